"""What /metrics shows: the kernel read at scrape time, as Prometheus metric families.

One scrape is one sock_diag dump of every TCP, UDP, RAW and UNIX socket of
this network namespace (as `netlab conns -s` counts them), one read of
/proc/net/snmp and netstat, and, for the listeners' owners, a walk of
/proc/*/fd only when a listener appeared that was not seen before (owners
are cached by socket inode: a scrape of a quiet host walks nothing). With
--process, the named processes' descriptors are walked each scrape (only
theirs). Each part that fails is left out of that scrape, counted in
netlab_exporter_scrape_errors_total and told as one line on stderr.
"""

from __future__ import annotations

import fnmatch
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from netlab.core import diag, owners, procfs
from netlab.core.sockets import Socket
from netlab.lab.counters import snake

PROTOCOLS = ("tcp", "udp", "raw", "unix")

# (group, kernel name, HELP): the counters that tell listen-queue and SYN trouble.
COUNTERS = (
    ("TcpExt", "ListenOverflows", "Times a listener's accept queue was full when a handshake completed (TcpExt)."),
    ("TcpExt", "ListenDrops", "SYNs and handshakes dropped at a listener, overflows included (TcpExt)."),
    ("TcpExt", "SyncookiesSent", "SYN cookies sent: the SYN queue was full (TcpExt)."),
    ("TcpExt", "SyncookiesRecv", "Valid SYN cookies received back (TcpExt)."),
    ("TcpExt", "SyncookiesFailed", "Cookie ACKs that did not validate (TcpExt)."),
    ("TcpExt", "TCPReqQFullDrop", "SYNs dropped because the SYN queue was full and cookies were off (TcpExt)."),
    ("TcpExt", "TCPReqQFullDoCookies", "SYNs answered with a cookie because the SYN queue was full (TcpExt)."),
    ("Tcp", "RetransSegs", "TCP segments retransmitted (Tcp)."),
    ("TcpExt", "TCPSynRetrans", "SYN and SYN-ACK retransmissions (TcpExt)."),
)


def counter_name(group: str, name: str) -> str:
    """ListenOverflows -> netlab_tcpext_listen_overflows (prometheus_client adds _total)."""
    return f"netlab_{group.lower()}_{snake(name)}"


def say(line: str) -> None:
    """One line on stderr per error: never a traceback."""
    try:
        print(f"netlab: error: exporter: {line}".replace("\n", " "), file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


@dataclass
class Options:
    pid_label: bool = False  # add pid to the listener series (one series per process: off by default)
    processes: Sequence[str] = ()  # names (comm, wildcards allowed) to count sockets of


class OwnerCache:
    """Listener inode -> (pid, process name), walked again only when an unknown listener shows up."""

    def __init__(self, walk: Callable[[], owners.OwnerMap] = owners.socket_owners) -> None:
        self._walk = walk
        self._known: dict[int, tuple[int, str] | None] = {}
        self.walks = 0

    def lookup(self, inodes: set[int]) -> dict[int, tuple[int, str] | None]:
        if inodes - self._known.keys():
            found = self._walk()
            self.walks += 1
            # The lowest pid holding the socket: a pre-fork server's parent, as `netlab backlog --watch`.
            self._known = {i: (o.pid, o.name) if (o := found.first(i)) else None for i in inodes}
        else:  # forget listeners that closed: the cache stays as large as the listener set
            self._known = {i: self._known[i] for i in inodes}
        return self._known


def _pids_named(patterns: Sequence[str]) -> dict[str, list[int]]:
    """For each pattern, the pids whose /proc/PID/comm matches it (wildcards as fnmatch)."""
    found: dict[str, list[int]] = {p: [] for p in patterns}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", "rb") as f:
                name = f.read().rstrip(b"\n").decode(errors="replace")
        except OSError:  # exited mid-walk
            continue
        for pattern in patterns:
            if fnmatch.fnmatchcase(name, pattern):
                found[pattern].append(int(entry))
    return found


@dataclass
class _Scrape:
    """The families of one scrape, and how long each part took."""

    families: list = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)


class NetlabCollector(Collector):
    """The /metrics collector: reads the kernel on each collect(); scrapes run one at a time."""

    PARTS = ("sockets", "listeners", "counters", "processes")

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options()
        self.owner_cache = OwnerCache()
        self.errors = {part: 0 for part in self.PARTS}
        self._lock = threading.Lock()

    def describe(self) -> list:
        return []  # no describe-time scrape on register()

    def collect(self) -> Iterator:
        with self._lock:
            scrape = self._scrape()
        yield from scrape.families
        yield from self._self_metrics(scrape)

    # ---------------------------------------------------------------- one scrape

    def _scrape(self) -> _Scrape:
        scrape = _Scrape()
        started = time.perf_counter()
        socks = self._part(scrape, "sockets", lambda: diag.dump(PROTOCOLS, ("inet", "inet6")))
        if socks is not None:
            scrape.families.append(_socket_counts(socks))
            self._part(scrape, "listeners", lambda: scrape.families.extend(self._listeners(socks)))
            if self.options.processes:
                self._part(scrape, "processes", lambda: scrape.families.append(self._process_counts(socks)))
        self._part(scrape, "counters", lambda: scrape.families.extend(_counters()))
        scrape.seconds["total"] = time.perf_counter() - started
        return scrape

    def _part(self, scrape: _Scrape, part: str, work: Callable):
        started = time.perf_counter()
        try:
            return work()
        except Exception as err:  # one part failing must not take the others down
            self.errors[part] += 1
            scrape.failed.add(part)
            say(f"{part}: {type(err).__name__}: {err}")
            return None
        finally:
            scrape.seconds[part] = time.perf_counter() - started

    def _listeners(self, socks: list[Socket]) -> list:
        listeners = [s for s in socks if s.proto == "tcp" and s.state == "LISTEN"]
        found = self.owner_cache.lookup({s.inode for s in listeners})
        names = ["address", "port", "process"] + (["pid"] if self.options.pid_label else [])
        queue = GaugeMetricFamily(
            "netlab_tcp_listener_accept_queue_connections",
            "Connections waiting for accept() on a listening TCP socket (ss Recv-Q); "
            "SO_REUSEPORT sockets with the same labels are summed.", labels=names)
        backlog = GaugeMetricFamily(
            "netlab_tcp_listener_backlog_connections",
            "The effective listen() backlog of a listening TCP socket (ss Send-Q); the queue is full at backlog + 1.",
            labels=names)
        full = GaugeMetricFamily(
            "netlab_tcp_listener_accept_queue_full",
            "1 if the accept queue is full (longer than the backlog: new handshakes are dropped), else 0.",
            labels=names)
        merged: dict[tuple, list[int]] = {}
        for s in listeners:
            owner = found.get(s.inode)
            labels = [s.local_addr or "*", str(s.local_port or 0), owner[1] if owner else ""]
            if self.options.pid_label:
                labels.append(str(owner[0]) if owner else "")
            row = merged.setdefault(tuple(labels), [0, 0, 0])
            row[0] += s.recv_q
            row[1] += s.send_q
            row[2] |= s.recv_q > s.send_q
        for labels, (q, b, f) in sorted(merged.items()):
            queue.add_metric(labels, q)
            backlog.add_metric(labels, b)
            full.add_metric(labels, int(f))
        return [queue, backlog, full]

    def _process_counts(self, socks: list[Socket]) -> GaugeMetricFamily:
        family = GaugeMetricFamily("netlab_process_sockets",
                                   "Sockets held by the processes named with --process, by protocol and state.",
                                   labels=["process", "protocol", "state"])
        by_inode = {s.inode: s for s in socks}
        for pattern, pids in _pids_named(self.options.processes).items():
            held = owners.socket_owners(pids=pids).holders if pids else {}
            counts: dict[tuple[str, str], int] = {}
            for inode in held:  # each socket once, however many of the processes hold it
                s = by_inode.get(inode)
                if s is not None:
                    counts[(s.proto, s.state)] = counts.get((s.proto, s.state), 0) + 1
            for (proto, state), n in sorted(counts.items()):
                family.add_metric([pattern, proto, state], n)
        return family

    def _self_metrics(self, scrape: _Scrape) -> Iterator:
        duration = GaugeMetricFamily("netlab_exporter_scrape_duration_seconds",
                                     "How long this scrape's reading of the kernel took, by part.", labels=["part"])
        for part, seconds in scrape.seconds.items():
            duration.add_metric([part], seconds)
        yield duration
        errors = CounterMetricFamily("netlab_exporter_scrape_errors",
                                     "Scrapes in which a part failed (the error is on the exporter's stderr).",
                                     labels=["part"])
        success = GaugeMetricFamily("netlab_exporter_scrape_success",
                                    "1 if this scrape read that part, 0 if it failed.", labels=["part"])
        for part, n in self.errors.items():
            errors.add_metric([part], n)
            if part in scrape.seconds:
                success.add_metric([part], int(part not in scrape.failed))
        yield errors
        yield success


def _socket_counts(socks: list[Socket]) -> GaugeMetricFamily:
    counts: dict[tuple[str, str, str], int] = {}
    for s in socks:
        key = (s.proto, s.family, s.state)
        counts[key] = counts.get(key, 0) + 1
    family = GaugeMetricFamily("netlab_sockets",
                               "Sockets of this network namespace by protocol, family and state (netlab conns -s).",
                               labels=["protocol", "family", "state"])
    for labels, n in sorted(counts.items()):
        family.add_metric(list(labels), n)
    return family


def _counters() -> list:
    now = procfs.counters("/proc/thread-self/net")
    out = []
    for group, name, help_text in COUNTERS:
        if name in now.groups.get(group, {}):  # an older kernel may lack one: leave it out, never 0
            family = CounterMetricFamily(counter_name(group, name), help_text)
            family.add_metric([], now.get(group, name))
            out.append(family)
    return out
