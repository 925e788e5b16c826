"""Watch real servers: is a listener dropping connections because its accept queue is full?

Every interval: each TCP LISTEN socket of this network namespace with its
accept-queue length against its backlog (sock_diag, as ss shows them), the
highest queue seen so far, its owning process (joined by the conns engine,
netlab.conns.list_connections), and the rate of ListenOverflows and
ListenDrops. Those two counters are per network namespace, not per socket: a
rising rate while one listener sits at backlog + 1 points at that listener.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from netlab.conns import Query, list_connections
from netlab.core import owners, procfs
from netlab.errors import UsageError
from netlab.lab.counters import delta as counters_delta
from netlab.records import fields_dict

WATCH_COUNTERS = (("TcpExt", "ListenOverflows"), ("TcpExt", "ListenDrops"))
LISTEN = frozenset({"LISTEN"})


@dataclass(slots=True)
class ListenerRow:
    local_addr: str
    local_port: int
    pid: int | None
    process: str | None
    accept_queue: int  # connections waiting for accept()
    backlog: int  # the effective backlog; the queue is full at backlog + 1
    fill_pct: float  # accept_queue / (backlog + 1)
    peak_accept_queue: int  # the highest accept_queue seen during this watch
    full: bool  # accept_queue > backlog: new SYNs are being dropped

    def as_dict(self) -> dict:
        return fields_dict(self)


@dataclass(slots=True)
class WatchSample:
    sample: int
    time: float  # Unix time of the sample
    interval_ms: float | None  # since the previous sample (None for the first)
    listen_overflows: int | None  # counter increase since the previous sample
    listen_drops: int | None
    overflows_per_s: float | None
    drops_per_s: float | None
    listeners: list[ListenerRow] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = fields_dict(self)
        out["listeners"] = [row.as_dict() for row in self.listeners]
        return out


def _netns_inode(pid: int | str) -> int:
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def check_pid(pid: int) -> None:
    """The process exists and shares our network namespace (sock_diag sees only our own)."""
    try:
        theirs = _netns_inode(pid)
    except FileNotFoundError:
        raise UsageError(f"no process {pid}", "see ps or pgrep for the server's PID") from None
    except PermissionError:
        raise UsageError(f"cannot look at process {pid}", "run as its user or as root") from None
    if theirs != _netns_inode("thread-self"):
        raise UsageError(f"process {pid} is in another network namespace",
                         f"run netlab inside it: nsenter -t {pid} -n netlab backlog --watch 1 --pid {pid}")


def process_gone(pid: int) -> bool:
    return not os.path.exists(f"/proc/{pid}/net/netstat")


def _counters(pid: int | None) -> procfs.Counters:
    return procfs.counters(f"/proc/{pid}/net" if pid else "/proc/thread-self/net")


def watch(port: int | None = None, pid: int | None = None, interval: float = 1.0, iterations: int | None = None,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[WatchSample]:
    """Yield one sample per interval (forever when iterations is None; the caller stops it).

    With ``pid``, the watch ends when that process exits (``process_gone`` tells).
    """
    if pid is not None:
        check_pid(pid)
    peaks: dict[int, int] = {}
    before = _counters(pid)
    before_t = time.monotonic()
    n = 0
    while iterations is None or n < iterations:
        if n:
            sleep(max(0.0, interval - (time.monotonic() - before_t)))
        if pid is not None and process_gone(pid):
            return
        now_counters = _counters(pid)
        now = time.monotonic()
        sample = WatchSample(n + 1, round(time.time(), 3), None, None, None, None, None)
        if n:
            elapsed = now - before_t
            delta = counters_delta(now_counters, before, WATCH_COUNTERS)
            sample.interval_ms = round(elapsed * 1000, 1)
            sample.listen_overflows = delta["listen_overflows"]
            sample.listen_drops = delta["listen_drops"]
            sample.overflows_per_s = round(sample.listen_overflows / elapsed, 1) if elapsed > 0 else None
            sample.drops_per_s = round(sample.listen_drops / elapsed, 1) if elapsed > 0 else None
        before, before_t = now_counters, now
        sample.listeners = _listeners(port, pid, peaks)
        n += 1
        yield sample


def _listeners(port: int | None, pid: int | None, peaks: dict[int, int]) -> list[ListenerRow]:
    socks = list_connections(Query(protocols=("tcp",), states=LISTEN, sport=port)).conns
    if pid is not None:
        # Not Query(pid=...): that would show the pid asked for as the owner, while the watch
        # shows the lowest pid holding the socket (a pre-fork server's parent), with or without --pid.
        mine = owners.socket_owners(pids=[pid]).holders
        socks = [s for s in socks if s.inode in mine]
    rows = []
    for s in sorted(socks, key=lambda s: (s.local_port or 0, s.family, s.local_addr or "")):
        peak = max(peaks.get(s.inode, 0), s.recv_q)
        peaks[s.inode] = peak
        rows.append(ListenerRow(
            local_addr=s.local_addr or "*",
            local_port=s.local_port or 0,
            pid=s.pid,
            process=None if s.pid is None else s.process or "",
            accept_queue=s.recv_q,
            backlog=s.send_q,
            fill_pct=round(100.0 * s.recv_q / (s.send_q + 1), 1),
            peak_accept_queue=peak,
            full=s.recv_q > s.send_q,
        ))
    return rows
