"""The packed socket dump: TCP and UDP sockets as the kernel sent them, no Python object each.

    from netlab.core import packed
    data, diag_error, error = packed.dump(("tcp",), ("inet", "inet6"), packed.ALL_STATES)

``data`` holds one _speedups.PackedSock per socket: _speedups.inet_table makes
the plain table of them (netlab.conns.plain), _speedups.packed_records the
records (netlab.core.diag.packed_records). The C module asks sock_diag and
reads the answer in a thread of its own; TCP of both families is one request.
This module imports nothing of weight (not the socket record's dataclass), so
that the plain listing can do without those imports.
"""

from __future__ import annotations

try:
    from netlab import _speedups
except ImportError:  # installed without a C compiler: dumps are read in Python (netlab.core.diag)
    _speedups = None
from netlab.core.states import ALL_STATES  # noqa: F401 (the states of a plain listing, for callers)

_AF = {"inet": 2, "inet6": 10}  # socket.AF_INET, socket.AF_INET6: the socket module is an import too


def requests(protocols, families, states: int, bytecode: bytes = b"") -> list[tuple]:
    """The (proto, af, states[, bytecode]) dump requests of _speedups.packed_start, in diag.dump()'s order.

    TCP of both families is one request (af 0): one pass of the kernel's tables, not two;
    with bytecode, one per family (the kernel's request of every family takes none here).
    """
    codes = {"tcp": _speedups.PACKED_TCP, "udp": _speedups.PACKED_UDP}
    if bytecode:
        return [(codes[p], _AF[f], states, bytecode) for p in protocols for f in families]
    both = tuple(families) == ("inet", "inet6")
    return [(codes[p], 0, states) if p == "tcp" and both else (codes[p], _AF[f], states)
            for p in protocols for f in (families[:1] if p == "tcp" and both else families)]


def dump(protocols, families, states: int, bytecode: bytes = b"") -> tuple[bytes, int, int]:
    """The packed dump of these TCP/UDP sockets in these states (a mask of kernel states) that the
    inet_diag ``bytecode`` accepts (netlab.core.bytecode; none: all); C module only.

    (data, diag_error, error) as _speedups.packed_join returns them: the errno a
    dump was answered with, and that of the netlink socket (no sock_diag here).
    """
    return _speedups.packed_join(_speedups.packed_start(requests(protocols, families, states, bytecode)))
