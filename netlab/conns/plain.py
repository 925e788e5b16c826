"""The plain listing (`netlab conns -tanp` and the like), printed without the records' code.

    from netlab.core import owners
    owners.prefetch()  # first thing: the walk runs on the other core meanwhile
    from netlab.conns import plain
    answer = plain.table(("tcp",), ("inet", "inet6"))  # (text, notes), or None: list the records

A listing of TCP/UDP sockets in every state with their owners, nothing
selected in Python, printed as a table: what ss -tanp prints, the commonest
command. The table is made in C (_speedups.inet_table) from the dump as the
kernel sent it and the walk of /proc as C keeps it, so no Python object is
made per socket; and this module imports none of the records' code (the
dataclasses module alone is several milliseconds of a listing that takes a
few tens). netlab.conns.text prints the same table of a PackedConns through
``inet_table()`` here, and everything it needs of Python comes from here:
the columns' headers, how a process name is shown, the user names.

The same listing as json or jsonl (``table(fmt="json")``, ``inet_json()``) is
written in C too (_speedups.inet_json), as Conn.as_dict() and netlab.output
would write it: the records and orjson (itself ~15 ms of imports) are not needed.
"""

from __future__ import annotations

import os

from netlab.core import owners, packed
from netlab.core.states import ALL_STATES, STATE_NAMES

try:
    from netlab import _speedups
except ImportError:  # installed without a C compiler: the records' path prints every table
    _speedups = None

HEADERS = ("Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "User", "PID/Program")
RIGHT = (False, False, True, True, False, False, False, False)  # the queues are right-aligned


def shown(text: str) -> str:
    """Text as a table cell shows it: what is not printable as '?', as ps does.

    A process may name itself "x\\ntcp ESTAB ..." and a socket path may hold a
    newline: printed raw, they would forge lines of the table. JSON keeps them.
    """
    return text if text.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in text)


user_names: dict[int, str | None] = {}  # uid -> name, as user_name() looked them up


def user_name(uid: int | None) -> str | None:
    """The name of a uid, or the number where it has none; looked up once per uid."""
    if uid is None:
        return None
    if uid not in user_names:
        import pwd

        try:
            user_names[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            user_names[uid] = str(uid)
    return user_names[uid]


_process_users: dict[int, str | None] = {}


def process_user(pid: int) -> str | None:
    """The user a process runs as (the owner of /proc/PID, as ps and lsof show it); None once it is gone."""
    if pid not in _process_users:
        try:
            _process_users[pid] = user_name(os.stat(f"/proc/{pid}").st_uid)
        except OSError:
            _process_users[pid] = None
    return _process_users[pid]


def hidden_note(hidden: int) -> str | None:
    """The note of a listing that could not look at every process (None: it could)."""
    if not hidden or os.geteuid() == 0:
        return None
    return (f"{hidden} processes of other users are hidden; their sockets show no pid "
            "(run as root to see every owner)")


def inet_table(data: bytes, walk: object | None) -> str | None:
    """The table of a packed dump with its owners from ``walk`` (None: none), header first; None: print the records."""
    return _speedups.inet_table(data, walk, shown, user_name, STATE_NAMES, HEADERS, RIGHT)


def inet_json(data: bytes, walk: object | None, lines: bool = False) -> bytes | None:
    """The JSON of a packed dump with its owners from ``walk`` (None: none), as netlab.output writes the
    records' dicts: one indented list (output.to_json), or with ``lines`` an object a line (jsonl,
    output.to_jsonl_line: json.dumps's escapes), as UTF-8 (what stdout gets); None: print the records."""
    ensure_ascii = lines or not _orjson_installed()
    return _speedups.inet_json(data, walk, user_name, process_user, STATE_NAMES, lines, ensure_ascii)


def _orjson_installed() -> bool:
    """Whether output.to_json writes with orjson (text past ASCII as it is) rather than json.dumps
    (as \\u escapes); found as import would find it, without the import's ~15 ms."""
    import sys

    return "orjson" in sys.modules or any(
        getattr(finder, "find_spec", None) and finder.find_spec("orjson", None) for finder in sys.meta_path)


def _held(data: bytes) -> bool:
    """Whether a process can hold one of these sockets (an inode): the records' path of a filtered
    listing walks /proc only then, so without one there is no walk, and no note of hidden processes."""
    size = _speedups.PACKED_SOCK_SIZE
    inode = size - 4  # the last field of inet_diag_msg, after the packed socket's 8 bytes of header
    return any(data[i:i + 4] != b"\0\0\0\0" for i in range(inode, len(data), size))


def table(protocols=("tcp", "udp"), families=("inet", "inet6"), header: bool = True, states: int = ALL_STATES,
          bytecode: bytes = b"", fmt: str = "table") -> tuple[str | bytes, list[str]] | None:
    """The plain listing of these TCP/UDP sockets as `netlab conns` prints it, and its notes.

    ``fmt``: "table" (a str), or "json" or "jsonl" (UTF-8 bytes, as inet_json(); ``header`` means nothing).

    ``states`` (a mask of kernel states) and ``bytecode`` (inet_diag bytecode:
    netlab.core.bytecode) select in the kernel: a filter it runs alone. None
    where this path cannot print it: no C module, other protocols, no sock_diag
    here, a dump the kernel refused (bytecode it cannot run, say), or a cell the
    C table leaves to Python (a user name with a line break): the caller then
    lists the records (netlab.conns.list_connections), as for any other listing.
    """
    if _speedups is None or not protocols or any(p not in ("tcp", "udp") for p in protocols):
        return None
    data, diag_error, error = packed.dump(protocols, families, states, bytecode)
    if error or diag_error:
        return None
    if not data:  # no sockets: the header alone (each column as wide as its header), and no walk of /proc
        return {"table": "  ".join(HEADERS) if header else "", "json": b"[]", "jsonl": b""}[fmt], []
    walk, hidden = owners.socket_walk() if not bytecode or _held(data) else (None, 0)
    text = inet_table(data, walk) if fmt == "table" else inet_json(data, walk, lines=fmt == "jsonl")
    if text is None:
        return None
    if not header and fmt == "table":
        text = text.partition("\n")[2]
    note = hidden_note(hidden)
    return text, [note] if note else []
