"""TCP connect ping: no privilege needed, and it tells a refusal (RST) from silence.

Each probe is a non-blocking connect(); its time is the SYN / SYN-ACK round
trip the kernel measured (TCP_INFO tcpi_rtt), or the time from connect() to
the socket turning writable when the kernel has no sample. The outcome comes from SO_ERROR: 0 is a reply,
ECONNREFUSED means the host answered with RST (nothing listens there), no
answer within -W seconds (default 1, the first SYN retransmission) is a
timeout. A Session like the ICMP one: run() yields events, summaries().

Each probe holds a socket until its answer or -W, so the probes in flight are
capped by the descriptor limit (RLIMIT_NOFILE, less a margin): past it the next
probe waits for a slot instead of failing with EMFILE.
"""

from __future__ import annotations

import errno
import os
import resource
import select
import socket
import time
from collections.abc import Generator, Iterator  # not typing: a share of start-up

from netlab.core.sockopt import tcp_info
from netlab.ping.options import PingOptions
from netlab.ping.records import NoAnswerYet, ProbeError, Reply, StatusRequest, Target, Timeout
from netlab.ping.base import Session, TargetStats
from netlab.ping.sockets import bind_interface, bind_source, set_ttl_tos

NS = 1_000_000_000
DEFAULT_TCP_WAIT = 1.0
# Descriptors kept free beside the probe sockets: stdio, the control socketpair,
# the poll object, a resolver or a log file the caller may still open.
DESCRIPTOR_MARGIN = 16
IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: bind() picks the address now, the port at connect()


def descriptor_budget() -> int:
    """How many probe sockets may be open at once: the soft RLIMIT_NOFILE, less what
    is open already and a margin. Each probe holds a socket until its answer or -W."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    try:
        used = len(os.listdir("/proc/self/fd"))
    except OSError:
        used = 3
    return max(1, soft - used - DESCRIPTOR_MARGIN)


class TcpPingSession(Session):
    """TCP connect ping: a socket per probe, matched by descriptor, so targets never mix."""

    def __init__(self, targets: list[Target], options: PingOptions):
        super().__init__(targets, options)
        self.port = options.tcp_port
        self._inflight: dict[int, tuple[socket.socket, TargetStats, int, int, int]] = {}  # fd -> (sock, st, seq, t0, deadline)
        try:
            # A bad -I shows up now, before any output, as it does for the ICMP socket.
            for family in {t.family for t in targets}:
                self._probe_socket(family).close()
        except BaseException:
            self.close()
            raise
        self._states = [TargetStats(t) for t in targets]
        self._poll = select.poll()
        self._poll.register(self.control, select.POLLIN)
        self.budget = descriptor_budget()

    def close(self) -> None:
        for sock, *_ in self._inflight.values():
            sock.close()
        self._inflight.clear()
        super().close()

    def run(self) -> Iterator[object]:
        count = self.options.count
        interval, wait, deadline = self._start_rounds(DEFAULT_TCP_WAIT)
        control = self.control
        while not control.stopping:
            now = time.monotonic_ns()
            if control.take_status_request():
                yield StatusRequest()
            if deadline is not None and now >= deadline:
                break
            wake_at = now + NS
            for st in self._states:
                # As in ICMP mode: with -w, -c counts answers (replies + errors) and the
                # target then stops; without -w, it counts probes sent.
                if st.sending and count is not None and deadline is not None and st.received + st.errors >= count:
                    st.sending = False
                    self._drop(st)
                if not st.sending:
                    continue
                if st.next_send <= now:
                    if len(self._inflight) >= self.budget:
                        continue  # no descriptor free: wait for an answer or a timeout to release one
                    sent = yield from self._connect(st, now, wait)
                    if not sent:
                        continue
                    st.next_send = max(st.next_send + interval, now - interval)
                    if count is not None and deadline is None and st.transmitted >= count:
                        st.sending = False
                        continue
                wake_at = min(wake_at, st.next_send)
            for fd, (sock, st, seq, t0, until) in list(self._inflight.items()):
                if until <= now:
                    self._forget(fd)
                    yield Timeout(st.target, seq, time.time())
                else:
                    wake_at = min(wake_at, until)
            if not self._inflight and not any(st.sending for st in self._states):
                break
            if deadline is not None:
                wake_at = min(wake_at, deadline)
            timeout_ms = max(0, (wake_at - time.monotonic_ns() + 999_999) // 1_000_000)
            for fd, _ev in self._poll.poll(timeout_ms):
                if fd == control.fileno():
                    control.drain()
                    continue
                yield from self._complete(fd, time.monotonic_ns())
        for fd, (sock, st, seq, t0, until) in list(self._inflight.items()):
            self._forget(fd)
            yield Timeout(st.target, seq, time.time())

    def _probe_socket(self, family: int) -> socket.socket:
        """A non-blocking TCP socket with -I, -t and -Q applied; closed again if any of that fails."""
        opts = self.options
        v6 = family == socket.AF_INET6
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            if opts.interface:
                bind_interface(sock, opts.interface)
            if opts.source and (":" in opts.source) == v6:
                # Take the address only: the port comes with connect(), so thousands of
                # probes do not each reserve an ephemeral port of their own.
                sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                bind_source(sock, opts.source)
            set_ttl_tos(sock, v6, opts.ttl, opts.tos)
            return sock
        except BaseException:
            sock.close()
            raise

    def _connect(self, st: TargetStats, now: int, wait: int) -> Generator[object, None, bool]:
        """Start one probe; False if no descriptor was free after all (try again later)."""
        try:
            sock = self._probe_socket(st.target.family)
        except OSError as err:
            if err.errno in (errno.EMFILE, errno.ENFILE) and self._inflight:
                # Something else holds descriptors too: use what we have, and wait.
                self.budget = len(self._inflight)
                return False
            raise
        if self.options.outstanding and st.transmitted and self._in_flight(st, st.transmitted):
            yield NoAnswerYet(st.target, st.transmitted, time.time())  # -O, as in ICMP mode
        seq = st.transmitted + 1
        st.transmitted = seq
        if not st.first_send:
            st.first_send = now
        st.last_send = now
        t0 = time.monotonic_ns()
        rc = sock.connect_ex((st.target.address, self.port))
        if rc not in (0, errno.EINPROGRESS):
            sock.close()
            yield self._error(st, seq, rc)
            return True
        self._inflight[sock.fileno()] = (sock, st, seq, t0, now + wait)
        self._poll.register(sock, select.POLLOUT)
        return True

    def _in_flight(self, st: TargetStats, seq: int) -> bool:
        return any(entry[1] is st and entry[2] == seq for entry in self._inflight.values())

    def _drop(self, st: TargetStats) -> None:
        """Close a finished target's probes still in flight; their answers no longer count."""
        for fd, entry in list(self._inflight.items()):
            if entry[1] is st:
                self._forget(fd)

    def _complete(self, fd: int, t1: int) -> Iterator[object]:
        entry = self._inflight.get(fd)
        if entry is None:
            return
        sock, st, seq, t0, _ = entry
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._forget(fd)
            yield self._error(st, seq, err)
            return
        # The kernel timed the SYN / SYN-ACK exchange itself (tcpi_rtt, microseconds):
        # that is the round trip, without Python's wake-up. Without a sample (a
        # retransmitted SYN, Karn's rule) fall back to the connect() wall time.
        us = tcp_info(sock).get("rtt_us") or (t1 - t0) // 1000
        self._forget(fd)
        st.add_rtt(us)
        st.received += 1
        reply = Reply(st.target, seq, -1, us, 0, False, st.target.address, time.time())
        if self.options.keep_replies:
            st.replies.append(reply)
        yield reply

    def _forget(self, fd: int) -> None:
        sock = self._inflight.pop(fd)[0]
        self._poll.unregister(fd)
        sock.close()

    def _error(self, st: TargetStats, seq: int, err: int) -> ProbeError:
        st.errors += 1
        message = "Connection refused (RST)" if err == errno.ECONNREFUSED else os.strerror(err)
        return ProbeError(st.target, seq, st.target.address, message, None, None, time.time())
