"""The socket dump of `netlab conns`, started before the imports that print it.

    from netlab.core import ahead
    ahead.start_dump(("tcp",), ("inet", "inet6"))  # as soon as the command line is read
    ...
    diag.dump_packed(("tcp",), ("inet", "inet6"))  # takes that dump: the same sockets asked for

A plain listing spends most of its time importing (the dataclasses module
alone is several milliseconds) and then waiting for the kernel's dump. The
dump needs none of those imports: _speedups.packed_start asks and reads in a
thread of its own, so the kernel answers on the other core while Python
imports, as the owner walk does (netlab.core.owners.prefetch). This module
imports nothing else of weight, so that the dump can start first thing.
"""

from __future__ import annotations

try:
    from netlab import _speedups
except ImportError:  # installed without a C compiler: the dump runs when asked for, in Python
    _speedups = None
from netlab.core.states import ALL_STATES

_AF = {"inet": 2, "inet6": 10}  # socket.AF_INET, socket.AF_INET6: the socket module is an import too

_started: dict[tuple, object] = {}  # (protocols, families, states) -> a _speedups.packed_start() job


def requests(protocols, families, states: int) -> list[tuple[int, int, int]]:
    """The (proto, af, states) dump requests of _speedups.packed_start, in dump()'s order.

    TCP of both families is one request (af 0): one pass of the kernel's tables, not two.
    """
    codes = {"tcp": _speedups.PACKED_TCP, "udp": _speedups.PACKED_UDP}
    both = tuple(families) == ("inet", "inet6")
    return [(codes[p], 0, states) if p == "tcp" and both else (codes[p], _AF[f], states)
            for p in protocols for f in (families[:1] if p == "tcp" and both else families)]


def start_dump(protocols=("tcp", "udp"), families=("inet", "inet6"), states: int = ALL_STATES) -> bool:
    """Start the packed dump of these TCP/UDP sockets (``states``: a mask of kernel states).

    False (nothing started) without the C module, for other protocols, or where
    no thread can start: the dump then runs when it is asked for.
    """
    if _speedups is None or not protocols or any(p not in ("tcp", "udp") for p in protocols) \
            or any(f not in _AF for f in families):
        return False
    try:
        _started[(tuple(protocols), tuple(families), states)] = _speedups.packed_start(
            requests(protocols, families, states))
    except OSError:
        return False
    return True


def take_dump(protocols, families, states: int) -> object | None:
    """The job start_dump() started for these sockets, once; None if none was."""
    return _started.pop((tuple(protocols), tuple(families), states), None)


def dump(protocols, families, states: int) -> tuple[bytes, int, int]:
    """The packed dump of these sockets: the one started ahead, else one asked now (with the C module only).

    (packed, diag_error, error) as _speedups.packed_join returns them.
    """
    job = take_dump(protocols, families, states)
    if job is None:
        job = _speedups.packed_start(requests(protocols, families, states))
    return _speedups.packed_join(job)
