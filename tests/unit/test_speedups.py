"""netlab._speedups (C) against its Python twins, on real sockets of this process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from netlab import output
from netlab.output import tables
from netlab.conns import Conn
from netlab.core import diag, owners

try:
    from netlab import _speedups
except ImportError:  # not built here; CI builds it (scripts/install.sh --test) and must not skip
    _speedups = None

pytestmark = pytest.mark.skipif(_speedups is None and not os.environ.get("CI"),
                                reason="netlab._speedups is not built (scripts/install.sh --test builds it)")


def test_c_module_is_built():
    """CI must test the C code that users run: without it every test here would pass on the Python twins."""
    assert _speedups is not None
    assert diag._speedups is _speedups and owners._speedups is _speedups and tables._speedups is _speedups


@pytest.fixture
def sockets():
    """A listener, an established pair over IPv4 and one over IPv6, and a UDP socket."""
    made = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        listener = socket.socket(family)
        listener.bind((host, 0))
        listener.listen(7)
        client = socket.create_connection(listener.getsockname()[:2])
        server, _ = listener.accept()
        made += [listener, client, server]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    made.append(udp)
    yield made
    for s in made:
        s.close()


def _python_only(monkeypatch):
    monkeypatch.setattr(diag, "_speedups", None)
    monkeypatch.setattr(owners, "_speedups", None)


def _ours(records, sockets):
    inodes = {os.fstat(s.fileno()).st_ino for s in sockets}
    return sorted((r for r in records if r.inode in inodes), key=lambda r: r.inode)


@pytest.mark.parametrize("record", [diag.Socket, Conn])
def test_c_dump_makes_the_records_python_makes(sockets, monkeypatch, record):
    from_c = _ours(diag.dump(("tcp", "udp"), ("inet", "inet6"), record=record), sockets)
    _python_only(monkeypatch)
    from_python = _ours(diag.dump(("tcp", "udp"), ("inet", "inet6"), record=record), sockets)
    assert len(from_c) == len(sockets)
    assert [type(r) for r in from_c] == [record] * len(sockets)
    assert from_c == from_python


def test_c_dump_with_port_filter_and_states(sockets):
    port = sockets[0].getsockname()[1]
    found = diag.dump(("tcp",), ("inet",), states=["LISTEN"], sport=port)
    assert [(s.state, s.local_addr, s.local_port, s.send_q) for s in found] == [("LISTEN", "127.0.0.1", port, 7)]


def test_c_dump_tcp_info_decodes_as_python(sockets, monkeypatch):
    port = sockets[0].getsockname()[1]
    from_c = diag.dump(("tcp",), ("inet",), states=["ESTAB"], port=port, tcp_info=True)
    _python_only(monkeypatch)
    from_python = diag.dump(("tcp",), ("inet",), states=["ESTAB"], port=port, tcp_info=True)
    assert len(from_c) == 2
    for c, p in zip(sorted(from_c, key=lambda s: s.inode), sorted(from_python, key=lambda s: s.inode)):
        assert c.tcp_info.keys() == p.tcp_info.keys()
        # counters that do not move on an idle connection
        for key in ("state", "snd_mss", "rcv_mss", "snd_cwnd", "bytes_acked", "bytes_received"):
            assert c.tcp_info[key] == p.tcp_info[key], key


def test_c_walk_finds_what_the_python_walk_finds(sockets):
    holders, names, hidden = _speedups.socket_fds([os.getpid()])
    py_holders, py_names, py_hidden = owners.walk_socket_fds(pids=[os.getpid()])
    assert holders == py_holders and names == py_names and hidden == py_hidden == 0
    for s in sockets:
        assert holders[os.fstat(s.fileno()).st_ino] == [(os.getpid(), s.fileno())]
    with open(f"/proc/{os.getpid()}/comm") as comm:
        assert names[os.getpid()] == comm.read().strip()


def test_c_walk_of_every_process_includes_a_socket_shared_after_fork(sockets):
    listener = sockets[0]
    # the child inherits the listener: two holders of one inode, as after a server forks
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE,
                             pass_fds=[listener.fileno()])
    try:
        holders, names, _ = _speedups.socket_fds()
        pids = sorted(pid for pid, _ in holders[os.fstat(listener.fileno()).st_ino])
        assert pids == sorted([os.getpid(), child.pid])
        assert child.pid in names
    finally:
        child.stdin.close()
        child.wait(timeout=10)


def test_c_walk_skips_processes_that_are_gone():
    assert _speedups.socket_fds([2**22 + 7]) == ({}, {}, 0)


def test_prefetched_walk_answers_the_next_call_once(sockets):
    inode = os.fstat(sockets[0].fileno()).st_ino
    assert owners.prefetch()
    pending = owners._prefetched
    assert owners.socket_owners().first(inode).pid == os.getpid()
    assert owners._prefetched is None and pending is not None  # taken
    assert owners.socket_owners().first(inode).pid == os.getpid()  # a fresh walk


@pytest.mark.parametrize("blank", ["\u3000", "\xa0", "\x85", "\u2003"])
def test_c_aligner_result_is_the_str_python_makes(blank):
    """A wide blank cut from the end of a line must not leave a wide str behind: it would
    print the same yet compare unequal to the str Python makes."""
    rows, headers = [("a", blank), ("b", "c")], ["h1", "h2"]
    text = _speedups.aligned(rows, headers, [False, False])
    twin = output.plain_table_py(rows, headers, ["left", "left"])
    assert text == twin and hash(text) == hash(twin) and text.isascii()


def test_walks_keep_newlines_of_a_process_name(tmp_path):
    """prctl(PR_SET_NAME) takes any bytes: only the newline /proc/PID/comm adds is cut."""
    code = ("import ctypes, socket, sys; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); "
            "ctypes.CDLL(None).prctl(15, b'evil\\n\\n', 0, 0, 0); print(s.getsockname()[1], flush=True); "
            "sys.stdin.read()")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(child.stdout.readline())
        from_c = _speedups.socket_fds([child.pid])
        from_python = owners.walk_socket_fds(pids=[child.pid])
        assert from_c[1] == from_python[1] == {child.pid: "evil\n\n"}
        assert from_c[0] == from_python[0] and len(from_c[0]) == 1
        from netlab.conns.text import _shown
        assert _shown("evil\n\n") == "evil??"  # what the table prints; JSON keeps the name
        assert port > 0
    finally:
        child.stdin.close()
        child.wait(timeout=10)


@pytest.mark.parametrize("pid_offset", [2**32, -(2**32), 2**70])
def test_c_walk_of_an_impossible_pid_finds_nothing(sockets, pid_offset):
    # no wrap-around onto our own pid, which holds sockets: the Python twin finds no /proc entry either
    assert _speedups.socket_fds([os.getpid() + pid_offset]) == ({}, {}, 0)
    assert owners.walk_socket_fds(pids=[os.getpid() + pid_offset]) == ({}, {}, 0)


def test_python_walk_of_wanted_inodes_finds_every_holder(sockets):
    listener = sockets[0]
    inode = os.fstat(listener.fileno()).st_ino
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE,
                             pass_fds=[listener.fileno()])
    try:
        holders, _, _ = owners.walk_socket_fds(wanted={inode})
        assert sorted(pid for pid, _ in holders[inode]) == sorted([os.getpid(), child.pid])
    finally:
        child.stdin.close()
        child.wait(timeout=10)


MALFORMED_DUMP = r"""
import socket, struct, sys
from netlab.core import diag
DONE = struct.pack("=IHHII", 20, 3, 2, 1, 0) + struct.pack("=i", 0)
bad = struct.pack("=IHHII", 8, 20, 2, 1, 0)  # nlmsg_len 8: shorter than its own header
for reader in ("c", "packed", "python"):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    a.send(bad + DONE)  # nothing follows: a reader that skipped the bad bytes would wait forever
    if reader == "packed":
        out = bytearray()
        code = diag._speedups.inet_packed(b.fileno(), 1, diag._speedups.PACKED_TCP, socket.AF_INET, out)
        records = diag.packed_records(out)
    elif reader == "c":
        records, code = diag._speedups.inet_messages(b.fileno(), 1, diag.Socket, "tcp", "inet",
                                                    socket.AF_INET, diag._STATE_NAMES, False)
    else:
        records = list(diag._inet_dump_py(b, "tcp", "inet", socket.AF_INET, False, 1, diag.Socket))
    print(reader, records)
"""


def test_malformed_netlink_ends_the_dump_in_both_readers():
    """Bytes that are no whole message end the dump: no reader waits for more forever."""
    proc = subprocess.run([sys.executable, "-c", MALFORMED_DUMP], capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["c []", "packed []", "python []"]


def test_packed_dump_makes_the_records_of_the_dump(sockets):
    """dump_packed + packed_records (a plain listing read as records) == dump, socket by socket."""
    packed = diag.dump_packed(("tcp", "udp"), ("inet", "inet6"))
    assert len(packed) % diag.PACKED_SOCK_SIZE == 0
    assert _ours(diag.packed_records(packed, Conn), sockets) == _ours(diag.dump(("tcp", "udp"), record=Conn), sockets)


# A process named with a non-ASCII letter, a tab and a trailing blank (what _shown makes of it is
# wider in characters than in... bytes: the widths are characters), holding a socket of its own, a
# socket bound to a device (local address with %lo) and one it shares with a child (+1).
ODD_OWNER = r"""
import socket, os, sys
open("/proc/self/comm", "w").write("w\u00e9ird\tname ")
own = socket.socket(); own.bind(("127.0.0.1", 0)); own.listen(1)
dev = socket.socket(socket.AF_INET6); dev.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
dev.bind(("::1", 0)); dev.listen(1)
shared = socket.socket(); shared.bind(("127.0.0.1", 0)); shared.listen(2)
if os.fork() == 0:
    sys.stdin.read(); os._exit(0)
print(own.getsockname()[1], dev.getsockname()[1], shared.getsockname()[1], flush=True)
sys.stdin.read()
"""


@pytest.fixture
def odd_owner():
    child = subprocess.Popen([sys.executable, "-c", ODD_OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        yield [int(p) for p in child.stdout.readline().split()]
    finally:
        child.stdin.close()
        child.wait(timeout=10)


@pytest.mark.parametrize("header", [True, False])
def test_c_table_is_the_table_python_makes_of_the_records(sockets, odd_owner, header):
    """The plain listing's table made in C (inet_table) against _row and the aligner on its records."""
    from netlab.conns import Query, list_connections
    from netlab.conns.engine import PackedConns
    from netlab.conns.text import listing_text

    conns = list_connections(Query(protocols=("tcp", "udp"))).conns
    assert isinstance(conns, PackedConns)
    from_c = listing_text(conns, "table", header=header)
    from_python = listing_text(list(conns), "table", header=header)  # the records, made of the same dump
    assert from_c == from_python
    lines = from_c.splitlines()
    for port in odd_owner:  # the odd owner's three sockets are there, as Python shows them
        line = next(line for line in lines if f":{port} " in line)
        assert "/w\u00e9ird?name" in line
    assert any(f"%lo:{odd_owner[1]} " in line for line in lines)
    assert any(f":{odd_owner[2]} " in line and line.endswith(" (+1)") for line in lines)


def test_c_table_leaves_a_line_break_to_the_python_path(sockets):
    """A user name with a line break (tabulate lays it out): inet_table answers None, the records' path prints."""
    from netlab.conns.text import _columns, _shown

    packed = diag.dump_packed(("tcp",), ("inet",))
    walk, _ = _speedups.walk([os.getpid()])
    columns = _columns(False, False)
    args = (_shown, lambda uid: "a\nb", diag._STATE_NAMES, tuple(c.header for c in columns),
            tuple(c.align == "right" for c in columns))
    assert _speedups.inet_table(packed, walk, *args) is None
    assert _speedups.inet_table(bytearray(), walk, *args) is None  # no sockets: the header alone, in Python


def test_c_walk_of_a_sparse_descriptor_table(sockets):
    """A descriptor far past the others is found, as the Python walk finds it."""
    far = os.dup2(sockets[0].fileno(), 900)  # far past the last open descriptor
    try:
        holders, _, _ = _speedups.socket_fds([os.getpid()])
        assert holders == owners.walk_socket_fds(pids=[os.getpid()])[0]
        assert (os.getpid(), far) in holders[os.fstat(far).st_ino]
    finally:
        os.close(far)


def test_packed_dump_asks_tcp_of_both_families_at_once(sockets):
    """One request (af 0) for TCP of IPv4 and IPv6; UDP, or one family, as the records' dump asks."""
    from netlab.core import packed

    tcp, udp = _speedups.PACKED_TCP, _speedups.PACKED_UDP
    assert packed.requests(("tcp", "udp"), ("inet", "inet6"), 7) == [
        (tcp, 0, 7), (udp, socket.AF_INET, 7), (udp, socket.AF_INET6, 7)]
    assert packed.requests(("tcp",), ("inet6",), 7) == [(tcp, socket.AF_INET6, 7)]
    both = diag.packed_records(packed.dump(("tcp",), ("inet", "inet6"), packed.ALL_STATES)[0])
    assert {(r.family, r.inode) for r in _ours(both, sockets)} == {
        ("inet" if s.family == socket.AF_INET else "inet6", os.fstat(s.fileno()).st_ino) for s in sockets[:6]}
    assert [r.family for r in both] == sorted((r.family for r in both), key=lambda f: f != "inet")  # IPv4 first
    assert packed.ALL_STATES == diag.states_mask(None)



def test_the_ping_socket_filter_really_filters():
    """netlab.ping.sockets._attach_filter (the program's address from an array, not ctypes) on a UDP
    socket on loopback: a classic BPF program that drops all, then one that keeps all."""
    import struct

    from netlab.ping import sockets as ping_sockets

    def program(verdict: int) -> tuple[bytes, int]:
        return struct.pack("HBBI", 0x06, 0, 0, verdict), 1  # ret #verdict

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(0.2)
        ping_sockets._attach_filter(rx, *program(0))
        tx.sendto(b"dropped", rx.getsockname())
        with pytest.raises(TimeoutError):
            rx.recv(64)
        ping_sockets._attach_filter(rx, *program(0xFFFFFFFF))
        tx.sendto(b"kept", rx.getsockname())
        assert rx.recv(64) == b"kept"
