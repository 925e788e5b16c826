"""Which processes hold which sockets: a walk of /proc/*/fd, as ss -p and lsof do.

    from netlab.core import owners
    owner_map = owners.socket_owners()
    owner_map.first(inode)  # Owner(pid, fd, name) or None

Every descriptor of every process is a readlink in /proc, and with 30k sockets
that is a good part of a listing's time, twice that in Python. So the walk
is in C (netlab._speedups) when it was built, and it can run ahead:
``prefetch()`` starts it in a thread of the C module's own, and the next
``socket_owners()`` (or ``socket_walk()``) takes that result. The CLI starts it
before importing typer, so for `netlab conns` the walk runs on the other core
while Python starts up and dumps the sockets. Without the C module the same
walk runs in Python (``walk_socket_fds``), in the caller's thread: a Python
thread would take the GIL back for every descriptor and gain nothing.

Processes that exit mid-walk are skipped; ones that deny access are counted
(``hidden_processes``), never an error. A walk that ran ahead looked at the
processes before the sockets were dumped, as ss does: a socket made in
between shows no pid.
"""

from __future__ import annotations

import os
from collections import namedtuple
from collections.abc import Iterable

try:
    from netlab import _speedups
except ImportError:  # installed without a C compiler: the Python walk does the same, slower
    _speedups = None


# This module is imported first thing by the CLI, to start the walk early, so it
# keeps to cheap imports: no dataclasses or typing (they would delay the start of the walk).
Owner = namedtuple("Owner", "pid fd name")  # name: /proc/PID/comm, as ss -p shows it


class OwnerMap:
    """socket inode -> the processes holding it, plus how many processes could not be looked at.

    Kept as plain tuples (30k sockets make object creation count):
    ``holders[inode]`` is a list of (pid, fd), ``names[pid]`` the process name.
    """

    __slots__ = ("holders", "names", "hidden_processes")

    def __init__(self, holders: dict[int, list[tuple[int, int]]] | None = None,
                 names: dict[int, str] | None = None, hidden_processes: int = 0) -> None:
        self.holders = {} if holders is None else holders
        self.names = {} if names is None else names
        self.hidden_processes = hidden_processes

    def owners(self, inode: int) -> list[Owner]:
        return [Owner(pid, fd, self.names.get(pid, "")) for pid, fd in sorted(self.holders.get(inode, ()))]

    def first(self, inode: int) -> Owner | None:
        owners = self.owners(inode)
        return owners[0] if owners else None


def socket_owners(wanted: set[int] | None = None, pids: Iterable[int] | None = None) -> OwnerMap:
    """Map socket inodes to the processes that hold them.

    ``wanted``: only these inodes matter (the Python walk keeps only them; the
    C walk keeps all). ``pids``: look only at these processes. A walk started
    by ``prefetch()`` answers a call without ``pids``.
    """
    if pids is None:
        pending = _take_prefetched()
        if pending is not None:
            return owner_map(*pending)
    if _speedups is not None:
        return OwnerMap(*_speedups.socket_fds(None if pids is None else [int(p) for p in pids]))
    return OwnerMap(*walk_socket_fds(wanted, pids))


def socket_walk() -> tuple[object, int]:
    """The C walk of every process as it is, not as dicts: (walk, hidden processes).

    ``walk`` is what _speedups.inet_table joins sockets with, and what
    _speedups.walk_result turns into an OwnerMap's parts. A walk started by
    ``prefetch()`` answers it. Only with the C walker.
    """
    pending = _take_prefetched()
    if pending is not None:
        return pending
    return _speedups.walk(None)


def owner_map(walk: object, hidden: int) -> OwnerMap:
    """The OwnerMap of a ``socket_walk()``."""
    holders, names, _ = _speedups.walk_result(walk)
    return OwnerMap(holders, names, hidden)


# ---------------------------------------------------------------- running ahead


_prefetched: object | None = None  # a _speedups.walk_start() job


def prefetch() -> bool:
    """Start the walk of every process now, for the next ``socket_owners()`` or ``socket_walk()``.

    The walk runs in a thread of the C module's own (no Python thread: neither
    the threading module's import nor the GIL is on its way), which hands over
    the walk as C keeps it: the dicts of an OwnerMap are made only where records
    need them. Returns False (and does nothing) without the C walker, or where
    no thread can start (the walk then runs when asked for).
    """
    global _prefetched
    if _speedups is None:
        return False
    try:
        _prefetched = _speedups.walk_start()
    except OSError:
        return False
    return True


def _take_prefetched() -> tuple | None:
    """The (walk, hidden) of the walk started by prefetch(), waiting for it; None if none was started."""
    global _prefetched
    pending, _prefetched = _prefetched, None
    return None if pending is None else _speedups.walk_join(pending)


# ---------------------------------------------------------------- the Python walk


def _comm(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            name = f.read()
    except OSError:
        return ""
    # Only the newline the kernel adds goes: a name may hold newlines of its own. comm is
    # bytes to the kernel: undecodable ones show as U+FFFD, as in the C walk.
    return (name[:-1] if name.endswith(b"\n") else name).decode(errors="replace")


def walk_socket_fds(wanted: set[int] | None = None,
                    pids: Iterable[int] | None = None) -> tuple[dict[int, list[tuple[int, int]]], dict[int, str], int]:
    """The walk in Python: (holders, names, hidden processes), as _speedups.socket_fds().

    ``wanted`` keeps only these inodes. The walk still goes through every
    process: one that stopped at the first holder of each socket would miss
    the others (a socket shared after fork) and count fewer hidden processes.
    """
    holders: dict[int, list[tuple[int, int]]] = {}
    names: dict[int, str] = {}
    hidden = 0
    readlink = os.readlink
    if pids is None:
        pid_names = [p for p in os.listdir("/proc") if p.isdigit()]
    else:
        pid_names = [str(p) for p in pids]
    for pid in pid_names:
        fd_dir = f"/proc/{pid}/fd/"
        try:
            fds = os.listdir(fd_dir)
        except PermissionError:
            hidden += 1
            continue
        except OSError:  # the process exited mid-walk
            continue
        pid_num = int(pid)
        found = False
        for fd in fds:
            try:
                target = readlink(fd_dir + fd)
            except PermissionError:  # listable (CAP_DAC_READ_SEARCH) but not ours to read
                hidden += 1
                break
            except OSError:  # the fd was closed mid-walk
                continue
            if target[:8] != "socket:[":
                continue
            inode = int(target[8:-1])
            if wanted is not None and inode not in wanted:
                continue
            entry = holders.get(inode)
            if entry is None:
                holders[inode] = [(pid_num, int(fd))]
            else:
                entry.append((pid_num, int(fd)))
            found = True
        if found:
            names[pid_num] = _comm(pid)
    return holders, names, hidden
