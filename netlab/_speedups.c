/*
 * netlab._speedups: the loops of `netlab conns` that are too slow in Python, in
 * C. No library does them fast (psutil's net_connections walks /proc in Python;
 * tabulate is many times slower on 30k rows), and each has a pure-Python twin
 * that stays the reference, used where this module was not built:
 *
 *   socket_fds(pids=None) -> (holders, names, hidden)
 *       The walk of /proc/PID/fd: a readlink per descriptor. Same result as
 *       netlab.core.owners.walk_socket_fds(): holders {inode: [(pid, fd), ...]},
 *       names {pid: comm} for the processes holding sockets, and how many
 *       processes could not be looked at. The walk runs without the GIL, so a
 *       Python thread can run it while the main thread does other work.
 *
 *   inet_messages(fd, seq, factory, proto, family, af, state_names, want)
 *       -> (records, error)
 *       Reads a sock_diag dump that was already sent on netlink socket fd and
 *       turns each inet_diag_msg into factory(proto, family, state, local_addr,
 *       local_port, remote_addr, remote_port, recv_q, send_q, uid, inode,
 *       cookie, interface, None, timer, expires_ms, info), info being the raw
 *       INET_DIAG_INFO bytes when asked for, else None. error is 0, or the
 *       errno the kernel answered the dump with. Same records as
 *       netlab.core.diag._inet_dump_py().
 *
 *   aligned(rows, headers, right) -> str or None
 *       A table of string cells as tabulate's "plain" format prints it: each
 *       column as wide as its widest cell or its header plus two, columns
 *       joined by two spaces, right[i] right-aligns column i, trailing
 *       whitespace stripped from every line. None if a cell holds a line
 *       break (tabulate lays those out). Same as netlab.render.plain_table_py().
 *
 *   flood_burst(...) -> (status, value, sender)
 *       `netlab ping -f`'s ping-pong for up to a given instant, the counters in a
 *       shared int64 buffer (netlab/ping/flood.py; its twin is the Python loop of
 *       netlab.ping.engine.PingSession._run_flood).
 *
 *   walk, walk_start, walk_join, walk_result; inet_packed, packed_start, packed_join,
 *   packed_records; inet_table, inet_json
 *       The plain listing without a Python object per socket: the walk kept
 *       in C, the dump packed, and the table made from both in C (each
 *       documented in its file; the Python twin is the records' path).
 *
 * Each lives in a file of its own (_speedups_procwalk.c, _speedups_diag.c,
 * _speedups_align.c, _speedups_flood.c, _speedups_table.c); this one holds the module table.
 */
#include "_speedups.h"

static PyMethodDef methods[] = {
    {"socket_fds", netlab_socket_fds, METH_VARARGS,
     "socket_fds(pids=None) -> (holders, names, hidden): socket inodes held by processes, from /proc/PID/fd."},
    {"inet_messages", netlab_inet_messages, METH_VARARGS,
     "inet_messages(fd, seq, factory, proto, family, af, state_names, want) -> (records, errno)."},
    {"walk", netlab_walk, METH_VARARGS,
     "walk(pids=None) -> (capsule, hidden): socket_fds's walk, kept in C (_speedups_procwalk.c)."},
    {"walk_start", netlab_walk_start, METH_NOARGS,
     "walk_start() -> job: walk() of every process in a thread of its own (_speedups_procwalk.c)."},
    {"walk_join", netlab_walk_join, METH_O, "walk_join(job) -> (capsule, hidden): the result of walk_start()."},
    {"walk_result", netlab_walk_result, METH_VARARGS,
     "walk_result(capsule) -> (holders, names, hidden): a walk's result as socket_fds returns it."},
    {"inet_packed", netlab_inet_packed, METH_VARARGS,
     "inet_packed(fd, seq, proto, af, out) -> errno: a dump appended to a bytearray, a PackedSock per socket."},
    {"packed_start", netlab_packed_start, METH_O,
     "packed_start(requests) -> job: the packed dumps of (proto, af, states) requests, in a thread (_speedups_diag.c)."},
    {"packed_join", netlab_packed_join, METH_O,
     "packed_join(job) -> (packed, diag_error, error): the result of packed_start()."},
    {"packed_records", netlab_packed_records, METH_VARARGS,
     "packed_records(packed, factory, state_names) -> records: inet_messages's records of a packed dump."},
    {"inet_table", netlab_inet_table, METH_VARARGS,
     "inet_table(packed, walk, shown, user_name, state_names, headers, right) -> str or None (_speedups_table.c)."},
    {"inet_json", netlab_inet_json, METH_VARARGS,
     "inet_json(packed, walk, user_name, process_user, state_names, lines, ensure_ascii) -> bytes or None "
     "(_speedups_table.c)."},
    {"aligned", netlab_aligned, METH_VARARGS,
     "aligned(rows, headers, right) -> str or None: string cells as tabulate's plain format aligns them."},
    {"flood_burst", netlab_flood_burst, METH_VARARGS,
     "flood_burst(...) -> (status, value, sender): ping -f's ping-pong for a bounded time (_speedups_flood.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "The hot loops of netlab conns, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    PyObject *m = PyModule_Create(&module);
    /* what inet_packed appends per socket, and its protocol codes */
    if (m && (PyModule_AddIntConstant(m, "PACKED_SOCK_SIZE", sizeof(PackedSock)) < 0 ||
              PyModule_AddIntConstant(m, "PACKED_TCP", PACKED_TCP) < 0 ||
              PyModule_AddIntConstant(m, "PACKED_UDP", PACKED_UDP) < 0))
        Py_CLEAR(m);
    return m;
}
