"""-f to one target in C (netlab._speedups.flood_burst), the rules kept here in Python.

The C loop sends, reads and counts for up to a tenth of a second at a time; the
counters cross in one int64 array (the FIELDS below, the order of
_speedups_flood.c's enum). Between bursts this side yields Progress for the dots,
answers a SIGQUIT, applies -c, -w and the linger, and hands what C did not own
(an ICMP error, a socket error, a refused send) to the session's general path.
The Python loop (PingSession._run_flood) stays the reference, used where the C
module was not built or where each reply must become an event.
"""

from __future__ import annotations

import socket
import time
from array import array
from collections.abc import Iterator  # not typing: a share of start-up

from netlab.ping import icmp
from netlab.ping.records import Progress, StatusRequest

try:
    from netlab._speedups import flood_burst
except ImportError:  # built without a C compiler: the Python loop does it
    flood_burst = None

FIELDS = ("transmitted", "received", "duplicates", "errors", "tmin", "tmax", "tsum", "tsum2", "ewma8", "acked",
          "pipesize", "first_send", "last_send")
NS = 1_000_000_000
PROGRESS_NS = NS // 10
FLOOD_WAIT_NS = 10_000_000


def usable(session) -> bool:
    """The C loop counts replies without making events: for the text flood (dots, -q) only."""
    opts = session.options
    return flood_burst is not None and not opts.reply_events and not opts.keep_replies and not opts.latency


def _sockaddr_bytes(family: int, sockaddr: tuple) -> bytes:
    """The struct sockaddr sendto() takes, packed (C gets it as bytes)."""
    if family == socket.AF_INET6:
        host, port, flow, scope = sockaddr
        return (socket.AF_INET6.to_bytes(2, "little") + port.to_bytes(2, "big") + flow.to_bytes(4, "big")
                + socket.inet_pton(socket.AF_INET6, host) + scope.to_bytes(4, "little"))
    return socket.AF_INET.to_bytes(2, "little") + bytes(2) + socket.inet_aton(sockaddr[0]) + bytes(8)


def run(session, st, start: int, deadline_ns: int | None) -> Iterator[object]:
    """The flood to one target, as PingSession._run_flood does it, the hot loop in C."""
    opts = session.options
    isock = st.isock
    count = opts.count
    v6 = isock.v6
    source = socket.inet_pton(isock.family, st.target.address.partition("%")[0])
    dest = _sockaddr_bytes(isock.family, st.sockaddr)
    reply_type = icmp.ICMP6_ECHO_REPLY if v6 else icmp.ICMP_ECHOREPLY
    ident = isock.ident if isock.raw else -1  # a datagram socket's kernel checks it
    base = st.base if st.base is not None else -1
    counters = array("q", [0] * (len(FIELDS) + 1))
    control = session.control
    send_limit = count if count is not None and deadline_ns is None else -1
    next_progress = start
    buf = session._buf

    def load() -> None:
        for i, name in enumerate(FIELDS):
            counters[i] = getattr(st, _attr(name))
        counters[len(FIELDS)] = count if count is not None else -1

    def store() -> None:
        for i, name in enumerate(FIELDS):
            setattr(st, _attr(name), counters[i])

    while not control.stopping:
        now = time.monotonic_ns()
        if count is not None and st.received + st.errors >= count:
            break
        if deadline_ns is not None and (now >= deadline_ns or st.errors):
            break
        if now >= next_progress:
            next_progress = now + PROGRESS_NS
            if control.take_status_request():
                yield StatusRequest()
            yield Progress(st.target, st.transmitted, st.received, st.errors)
        until = next_progress
        if deadline_ns is not None:
            until = min(until, deadline_ns)
        if send_limit >= 0 and st.transmitted >= send_limit:  # all sent: linger as the general rules say
            linger_end = st.last_send + (2 * st.tmax * 1000 if st.received else session._probe_wait())
            if now >= linger_end:
                break
            until = min(until, linger_end)
        load()
        status, value, sender = flood_burst(
            isock.sock.fileno(), control.fileno(), st.packet, base, dest, int(isock.raw and not v6), reply_type,
            ident, source, st.sent_ns, st.rcvd, st.mask, counters, send_limit, until, opts.preload, buf)
        store()
        if status == 2:  # not our reply: an ICMP error quoting a probe, or someone else's packet
            event = session._packet(isock, value, [], (sender, 0, 0, 0) if v6 else (sender, 0))
            if event is not None:
                yield event
        elif status == 3:  # the socket reported an error: the error queue says which
            yield from session._drain(isock)
        elif status == 4:
            control.drain()
        elif status == 5:
            import os

            yield session._local_error(st, st.transmitted & 0xFFFF, OSError(value, os.strerror(value)))
    yield Progress(st.target, st.transmitted, st.received, st.errors)


def _attr(name: str) -> str:
    return {"acked": "acked", "pipesize": "pipesize", "ewma8": "ewma8"}.get(name, name)
