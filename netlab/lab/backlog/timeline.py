"""A listener that starts accepting late: who got in at once, who waited, and for how long.

``clients`` non-blocking connects meet a listener whose accept queue holds
backlog + 1; the others' SYNs are dropped and they sit in SYN-SENT,
retransmitting their SYN on the kernel's schedule (measured here, not assumed). After
``accept_delay`` the listener accepts everything it can; each stuck client gets
in with its next SYN retransmission. We poll the clients' own TCP_INFO
(state, total_retrans) every few milliseconds, so each time below is when the
change was seen, to within one tick.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from dataclasses import dataclass, field

from netlab.core import procfs, sockopt
from netlab.lab.backlog import probes
from netlab.lab.counters import delta as counters_delta
from netlab.records import fields_dict

TCP_ESTABLISHED = 1
TICK_S = 0.005
# After the delay, a stuck client gets in with its next SYN retransmission. The
# first comes 1 s after connect(); since Linux 6.7 the next ones come 1 s apart
# (tcp_syn_linear_timeouts, 4 by default), before that and after those they
# double. Waiting 2.5 s past the delay covers a 1 s and a 2 s gap.
AFTER_DELAY_S = 2.5
MAX_ACCEPT_DELAY_S = 6.0
MAX_CLIENTS = 64


@dataclass(slots=True)
class ClientEvents:
    client: int
    local_port: int
    established_ms: float | None  # when the client saw its handshake complete (None: not within the run)
    accepted_ms: float | None  # when accept() handed it to the server
    syn_retransmits: int  # TCP_INFO total_retrans of the client
    retransmit_ms: list[float] = field(default_factory=list)  # when each retransmission was seen

    def as_dict(self) -> dict:
        return fields_dict(self)


@dataclass(slots=True)
class Timeline:
    backlog: int
    effective_backlog: int
    clients: int
    accept_delay_ms: float
    duration_ms: float
    isolation: str
    counters: dict
    events: list[ClientEvents]

    def as_dict(self) -> dict:
        out = fields_dict(self)
        out["events"] = [e.as_dict() for e in self.events]
        return out


def deadline_for(accept_delay: float) -> float:
    """When the run stops at the latest (the loop ends earlier once every client is in)."""
    return accept_delay + AFTER_DELAY_S


def run_timeline(backlog: int = 2, clients: int = 6, accept_delay: float = 1.5, private: bool = True) -> Timeline:
    with probes.place(private, {}) as where, contextlib.ExitStack() as stack:
        listener = probes.open_listener(backlog)
        stack.callback(listener.close)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        socks: list[socket.socket] = []
        accepted: list[socket.socket] = []
        stack.callback(probes.close_quietly, accepted)
        stack.callback(probes.close_quietly, socks)
        before = procfs.counters()
        t0 = time.monotonic()
        for _ in range(clients):
            socks.append(probes.connect_nonblocking(port))
        events = [ClientEvents(i, s.getsockname()[1], None, None, 0) for i, s in enumerate(socks)]
        by_port = {e.local_port: e for e in events}
        effective = probes.look(port).effective_backlog
        _follow(listener, socks, events, by_port, accepted, t0, accept_delay, deadline_for(accept_delay))
        duration = time.monotonic() - t0
        counters = counters_delta(procfs.counters(), before, probes.COUNTERS)
        return Timeline(backlog, effective, clients, round(accept_delay * 1000, 1), round(duration * 1000, 1),
                        where.isolation, counters, events)


def _ms(t0: float) -> float:
    return round((time.monotonic() - t0) * 1000, 1)


def _follow(listener, socks, events, by_port, accepted, t0, accept_delay, deadline) -> None:
    """The bounded loop: note retransmissions and completions; accept once the delay is over."""
    poller = select.poll()
    waiting = {}
    for sock, event in zip(socks, events):
        poller.register(sock, select.POLLOUT)
        waiting[sock.fileno()] = (sock, event)
    while True:
        now = time.monotonic() - t0
        if now >= accept_delay:
            _drain(listener, by_port, accepted, t0)
        for fd, (sock, event) in list(waiting.items()):
            info = sockopt.tcp_info(sock)
            while event.syn_retransmits < info.get("total_retrans", 0):
                event.syn_retransmits += 1
                event.retransmit_ms.append(_ms(t0))
            if info["state"] == TCP_ESTABLISHED:
                event.established_ms = _ms(t0)
                poller.unregister(fd)
                del waiting[fd]
        if not waiting and all(e.accepted_ms is not None for e in events):
            return
        if now >= deadline:
            return
        timeout = TICK_S if now >= accept_delay else min(TICK_S, accept_delay - now)
        poller.poll(max(1, int(timeout * 1000)))


def _drain(listener, by_port, accepted, t0) -> None:
    while True:
        try:
            conn, peer = listener.accept()
        except BlockingIOError:
            return
        accepted.append(conn)
        event = by_port.get(peer[1])
        if event is not None:
            event.accepted_ms = _ms(t0)
