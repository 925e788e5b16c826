"""The ICMP ping engine: one socket per address family, many targets, one event loop.

(An address given twice gets a second socket: see PingSession.)

``PingSession(targets, options).run()`` is a generator of events (Reply,
ProbeError, Timeout, NoAnswerYet, Progress in flood mode, StatusRequest); after it
ends, ``summaries()`` gives one Summary per target. Nothing here prints.

How it keeps accurate and fast:
  * RTT = the kernel's receive timestamp (SO_TIMESTAMPNS) minus the kernel's
    send timestamp (SOF_TIMESTAMPING_TX_SOFTWARE, matched to its probe by an
    SCM_TS_OPT_ID key), so neither Python's wake-up nor its send path is in
    it. A flood, and kernels without SCM_TS_OPT_ID (< 6.13), use the clock read
    just before sendto() instead.
  * The echo request is built once per socket; each probe rewrites only its
    sequence number and the checksum (an incremental sum, not a pass over the
    data). Receives go into one preallocated buffer.
  * Replies are matched by identifier (the BPF filter or the datagram socket
    does that), sequence number and source address, so many targets share
    one socket and concurrent runs never mix.
  * ``stop()`` and ``request_status()`` may be called from signal handlers:
    they set a flag and wake the loop through a socketpair.

Timing rules follow iputils: a target is done when count replies (+errors)
are in; else after its last probe it lingers 2*max RTT (at least one
interval) if it had replies, -W (default 10 s) if not; -w ends everything.
"""

from __future__ import annotations

import errno
import functools
import os
import select
import socket
import struct
import time
from array import array
from collections import deque
from collections.abc import Generator, Iterator  # not typing: a share of start-up

from netlab.core import privilege
from netlab.ping.base import Session, TargetStats
from netlab.ping import icmp
from netlab.core.inet import multicast_unspecified
from netlab.ping.icmp import fold
from netlab.ping.options import DEFAULT_LINGER, FLOOD_WAIT, PingOptions
from netlab.ping.records import NoAnswerYet, ProbeError, Progress, Reply, IntervalReport, StatusRequest, Target, Timeout
from netlab.ping.sockets import (IP_RECVERR, IPV6_HOPLIMIT, IPV6_RECVERR, SCM_TS_OPT_ID, SO_TIMESTAMPING, SO_TIMESTAMPNS,
                                 IcmpSocket, ip_options, open_icmp_socket, request_flowlabel, tune)
from netlab.ping.route import path_mtu, probe_route, v6_sockaddr

SOL_SOCKET = socket.SOL_SOCKET
SOL_IP = socket.IPPROTO_IP
SOL_IPV6 = socket.IPPROTO_IPV6
IP_TTL = 2
MSG_ERRQUEUE = 0x2000
SO_EE_ORIGIN_LOCAL, SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_TIMESTAMPING = 1, 2, 3, 4
KEY = struct.Struct("I")
TIMESPEC = struct.Struct("@qq")
EXT_ERR = struct.Struct("@IBBBBII")  # struct sock_extended_err
U16 = icmp.U16
TWO_U16 = struct.Struct("!HH")
ANC_SIZE = socket.CMSG_SPACE(16) + socket.CMSG_SPACE(48) + 2 * socket.CMSG_SPACE(4)  # stamps, TTL/hop limit
ERR_ANC_SIZE = socket.CMSG_SPACE(48) + socket.CMSG_SPACE(16 + 28) + socket.CMSG_SPACE(4) * 2
NS = 1_000_000_000
PROGRESS_NS = NS // 10
FLOOD_WAIT_NS = int(FLOOD_WAIT * NS)


class _TargetState(TargetStats):
    """A target's counters plus what the loop needs to send to it and match its replies."""

    __slots__ = ("index", "isock", "packet", "base", "sockaddr", "sent_ns", "rcvd", "mask", "acked", "done", "pending")

    def __init__(self, index: int, target: Target, isock: IcmpSocket, table_size: int):
        super().__init__(target)
        self.index = index
        self.isock = isock
        self.packet, self.base = isock.request  # shared by the socket's targets, rewritten per probe
        self.sockaddr = _sockaddr(target)
        self.sent_ns = array("q", bytes(8 * table_size))  # realtime ns of each probe, by seq & mask
        self.rcvd = bytearray(table_size)  # 0 none, 1 replied, 2 errored: duplicates and -O
        self.mask = table_size - 1
        self.acked = 0
        self.done = False
        self.pending: deque = deque()  # (seq, monotonic deadline) when timeouts are streamed

    def acknowledge(self, seq: int) -> None:
        """An answer (reply or error) for seq: track the newest answered probe and the
        most probes ever in flight ("pipe N"), as iputils' acknowledge() does."""
        diff = (self.transmitted - seq) & 0xFFFF
        if diff <= 0x7FFF:
            if diff + 1 > self.pipesize:
                self.pipesize = diff + 1
            if self.transmitted - diff > self.acked:
                self.acked = self.transmitted - diff


def _table_size(options: PingOptions) -> int:
    """Per-target seq tables: 64 Ki entries for long runs, just enough for -c N without -w."""
    if options.count is None or options.run_deadline is not None:
        return 1 << 16
    size = 8
    while size <= options.count and size < 1 << 16:
        size <<= 1
    return size


class PingSession(Session):
    """ICMP echo: one socket per address family serves every target of that family.

    Replies are matched to targets by their source address, so an address given
    twice gets a socket (an identifier) of its own for its second turn.
    """

    def __init__(self, targets: list[Target], options: PingOptions):
        super().__init__(targets, options)
        self.warnings: list[str] = []  # for stderr before the header (iputils' WARNING lines)
        self.bound_source: str | None = None  # -B: the source the route gave, kept
        self.multicast = False  # -b or a multicast target: replies from any host count
        if len(self.targets) == 1:
            self._probe_route()
        targets = self.targets
        self.interval_ns = int(options.effective_interval * NS)
        self._sockets: list[IcmpSocket] = []
        self._by_sock: dict[object, IcmpSocket] = {}
        self._buf = bytearray(65536 + 512)
        self._view = memoryview(self._buf)
        size = _table_size(options)
        data = icmp.payload(options.size, options.pattern)
        try:
            for t in targets:
                isock = self._socket_for(t, data)
                self._states.append(_TargetState(len(self._states), t, isock, size))
                if options.flowlabel is not None and t.family == socket.AF_INET6:
                    self._states[-1].sockaddr = self._states[-1].sockaddr[:2] + (options.flowlabel,) + self._states[-1].sockaddr[3:]
                # Keyed without any %scope: received addresses come without one (the
                # scope id is a separate field of the sockaddr).
                isock.targets[_unscoped(t.address)] = self._states[-1]
        except BaseException:
            self.close()
            raise

    def _probe_route(self) -> None:
        """One host (iputils' mode): ask the routing first, as iputils does, so no route
        is one clear line at once; the address 0 becomes the source the kernel picks
        (Linux delivers 0.0.0.0 to this host)."""
        opts = self.options
        target = self.targets[0]
        self.multicast, unspecified = multicast_unspecified(target.address.partition("%")[0])
        if opts.source is not None:
            return
        source, broadcast = probe_route(target, opts.interface, opts.broadcast, opts.mark)
        if broadcast:
            self.warnings.append("WARNING: pinging broadcast address")
            self.multicast = True
        if opts.strict_source:
            self.bound_source = source
        if target.family == socket.AF_INET and unspecified:
            self.targets[0] = Target(target.host, source, target.family, target.numeric)

    def _socket_for(self, target: Target, data: bytes) -> IcmpSocket:
        """The first socket of the target's family that serves no target of its address yet."""
        address = _unscoped(target.address)
        repeat = 0
        for isock in self._sockets:
            if isock.family == target.family:
                if address not in isock.targets:
                    return isock
                repeat += 1
        opts = self.options
        source = opts.source or self.bound_source
        source = source if _same_family(source, target.family) else None
        v6 = target.family == socket.AF_INET6
        pmtudisc = opts.pmtudisc
        if pmtudisc is None and self.multicast and not v6:
            pmtudisc = "do"  # iputils: a broadcast ping does not fragment
        isock = open_icmp_socket(
            target.family, ttl=opts.ttl, tos=opts.tos, pmtudisc=pmtudisc, interface=opts.interface,
            source=source, ident_offset=repeat, ident=opts.ident, raw_only=opts.ip_options and not v6,
            # Not in a flood: one more syscall per probe would halve its rate; -U wants user time;
            # a multicast probe's looped-back copy arrives before the driver stamps the send.
            tx_stamps=opts.effective_interval > 0 and not opts.latency and not self.multicast)
        try:
            tune(isock.sock, v6, so_debug=opts.so_debug, mark=opts.mark, dont_route=opts.dont_route,
                 sndbuf=opts.sndbuf, broadcast=self.multicast, no_loop=opts.no_loop,
                 options=ip_options(opts.record_route, opts.timestamp, opts.prespec) if opts.ip_options else b"")
            if v6 and opts.flowlabel is not None:
                request_flowlabel(isock.sock, target.address, opts.flowlabel)
        except BaseException:
            isock.close()
            raise
        self._sockets.append(isock)
        self._by_sock[isock.sock] = isock
        packet = icmp.echo_request(isock.v6, isock.ident, data)
        # Only raw IPv4 needs our checksum: the kernel sums ICMPv6 and datagram sockets.
        base = icmp.partial_sum(packet) if (isock.raw and not isock.v6) else None
        isock.request = (packet, base)
        return isock

    @property
    def sockets(self) -> list[IcmpSocket]:
        return list(self._sockets)

    def close(self) -> None:
        for isock in self._sockets:
            isock.close()
        super().close()

    # -- the loop --------------------------------------------------------------------------------

    def run(self) -> Iterator[object]:
        opts = self.options
        states = self._states
        start = time.monotonic_ns()
        deadline_ns = self._deadline(start)
        for st in states:
            st.next_send = start
        if self.interval_ns == 0 and len(states) == 1 and not (opts.outstanding or opts.stream_timeouts or opts.adaptive
                                                                or opts.report_interval):
            yield from self._run_flood(states[0], start, deadline_ns)
            return
        yield from self._loop(start, deadline_ns)
        if self.interval_ns == 0:
            for st in states:
                yield Progress(st.target, st.transmitted, st.received, st.errors)
        # The end: unanswered probes are timeouts for whoever streams them.
        if opts.stream_timeouts:
            now_real = time.time()
            for st in states:
                while st.pending:
                    seq, _ = st.pending.popleft()
                    if not st.rcvd[seq & st.mask]:
                        yield Timeout(st.target, seq, now_real)

    def _loop(self, start: int, deadline_ns: int | None) -> Iterator[object]:
        """The general loop: any number of targets, -O, streamed timeouts, a flood to several."""
        states = self._states
        flood = self.interval_ns == 0
        control = self.control
        rlist = [s.sock for s in self._sockets] + [control]
        monotonic_ns = time.monotonic_ns
        next_progress = start
        report_ns = int(self.options.report_interval * NS) if self.options.report_interval else 0
        next_report = start + report_ns if report_ns else None
        while True:
            now = monotonic_ns()
            if control.stopping:
                break
            if next_report is not None and now >= next_report:
                next_report += report_ns
                yield IntervalReport(time.time())
            if flood and now >= next_progress:
                next_progress = now + PROGRESS_NS
                for st in states:
                    yield Progress(st.target, st.transmitted, st.received, st.errors)
            if control.take_status_request():
                yield StatusRequest()
            wake_at = now + NS  # wake at least once a second
            all_done = True
            for st in states:
                if st.done:
                    continue
                until = self._check_done(st, now, deadline_ns)
                if st.done:
                    continue
                all_done = False
                if until is not None:
                    wake_at = min(wake_at, until)
                if st.sending:
                    wake_at = min(wake_at, (yield from self._send_if_due(st, now, deadline_ns)))
                if st.pending:
                    until = yield from self._expire(st, now)
                    if until is not None:
                        wake_at = min(wake_at, until)
            if all_done:
                break
            if deadline_ns is not None:
                wake_at = min(wake_at, deadline_ns)
            if next_report is not None:
                wake_at = min(wake_at, next_report)
            yield from self._receive(rlist, wake_at)

    def _check_done(self, st: _TargetState, now: int, deadline_ns: int | None) -> int | None:
        """Mark st done if iputils' rules say it is; else when its linger ends (None: not lingering)."""
        count = self.options.count
        if count is not None and st.received + st.errors >= count:
            st.done = True
        elif deadline_ns is not None and (now >= deadline_ns or st.errors):
            st.done = True
        elif not st.sending:
            wait = max(2 * st.tmax * 1000, self.interval_ns) if st.received else self._probe_wait()
            if now < st.last_send + wait:
                return st.last_send + wait
            st.done = True
        return None

    def _send_if_due(self, st: _TargetState, now: int, deadline_ns: int | None) -> Generator[object, None, int]:
        """Send st's next probe if it is due; return when the one after it is due."""
        opts = self.options
        interval = self._adaptive_interval(st) if opts.adaptive else self.interval_ns
        if interval == 0:  # a flood: on the reply (-l: while fewer are in flight), or FLOOD_WAIT after the last probe
            due = now if st.transmitted - st.acked < opts.preload else st.last_send + FLOOD_WAIT_NS
        elif opts.adaptive and st.transmitted:
            due = st.last_send + interval
        else:
            due = st.next_send
        if due > now:
            return due
        count = opts.count
        while True:
            yield from self._send(st, now)
            if count is not None and st.transmitted >= count and deadline_ns is None:
                st.sending = False
                break
            if st.transmitted >= opts.preload or interval == 0:
                break  # -l: the first probes leave at once, back to back
        if interval == 0:
            return now + FLOOD_WAIT_NS
        st.next_send += interval
        if st.next_send < now - interval:  # stalled: do not burst to catch up
            st.next_send = now
        return st.next_send

    def _adaptive_interval(self, st: _TargetState) -> int:
        """-A: the interval is the smoothed RTT rounded to a millisecond (iputils'
        update_interval()), 2 ms at least without privilege; the -i value until a reply."""
        if not st.ewma8:
            return self.interval_ns
        ms = (st.ewma8 // 8 + 500) // 1000
        if ms < 2 and not privilege.can_raw():
            ms = 2
        return ms * 1_000_000

    def _expire(self, st: _TargetState, now: int) -> Generator[object, None, int | None]:
        """Streamed timeouts: a Timeout per probe unanswered past -W; when the next one expires."""
        pending = st.pending
        while pending and pending[0][1] <= now:
            seq, _ = pending.popleft()
            if not st.rcvd[seq & st.mask]:
                yield Timeout(st.target, seq, time.time())
        return pending[0][1] if pending else None

    def _receive(self, rlist: list, wake_at: int) -> Iterator[object]:
        """Wait until a socket is readable or wake_at, and turn what came into events."""
        control = self.control
        if self.interval_ns == 0:
            # The reply is usually queued by the time sendto() returns (veth and lo
            # deliver in the sender's softirq): try before sleeping in select.
            got = False
            for isock in self._sockets:
                for event in self._drain(isock):
                    got = True
                    yield event
            if got:
                return
        timeout = (wake_at - time.monotonic_ns()) / NS
        if timeout < 0:
            timeout = 0
        ready, _, _ = select.select(rlist, (), (), timeout)
        for sock in ready:
            if sock is control:
                control.drain()
                continue
            yield from self._drain(self._by_sock[sock])

    def _run_flood(self, st: _TargetState, start: int, deadline_ns: int | None) -> Iterator[object]:
        """-f to one target: ping-pong as fast as replies return, in one tight loop.

        The general loop's bookkeeping (many targets, -O, timers) costs more than
        the veth round trip itself, so a flood gets this loop: send, read what is
        queued, and only sleep in select() when the reply is not there yet. It
        yields Progress ten times a second and Reply only if asked to.

        The send (a copy of _send's) and the receive stay inline: a call per
        packet is a cost the flood benchmark sees.
        """
        from netlab.ping import flood

        if flood.usable(self):  # the same loop in C (netlab.ping.flood)
            yield from flood.run(self, st, start, deadline_ns)
            return
        count = self.options.count
        isock = st.isock
        sock = isock.sock
        sendto = sock.sendto
        packet, base = st.packet, st.base
        pack_into = U16.pack_into
        sockaddr = st.sockaddr
        sent_ns = st.sent_ns
        rcvd = st.rcvd
        mask = st.mask
        monotonic_ns = time.monotonic_ns
        time_ns = time.time_ns
        wait_ns = FLOOD_WAIT_NS
        control = self.control
        recvmsg_into = sock.recvmsg_into
        bufs = [self._view]
        handle = self._packet
        next_progress = start
        last = 0
        seq = 0
        preload = self.options.preload
        while not control.stopping:
            now = monotonic_ns()
            if count is not None and st.received + st.errors >= count:
                break
            if deadline_ns is not None and (now >= deadline_ns or st.errors):
                break
            if now >= next_progress:
                next_progress = now + PROGRESS_NS
                if control.take_status_request():
                    yield StatusRequest()
                yield Progress(st.target, st.transmitted, st.received, st.errors)
            sending = count is None or deadline_ns is not None or st.transmitted < count
            if sending and (st.transmitted - st.acked < preload or now - last >= wait_ns):
                seq = (st.transmitted + 1) & 0xFFFF
                pack_into(packet, 6, seq)
                if base is not None:
                    pack_into(packet, 2, fold(base + seq))
                idx = seq & mask
                rcvd[idx] = 0
                st.transmitted += 1
                if not st.first_send:
                    st.first_send = now
                st.last_send = last = now
                sent_ns[idx] = time_ns()
                try:
                    sendto(packet, sockaddr)
                except BlockingIOError:
                    pass
                except OSError as err:
                    yield self._local_error(st, seq, err)
            # One reply per turn: in a ping-pong there is one, and asking again
            # would only buy an EAGAIN (a syscall and an exception) per packet.
            try:
                n, anc, _flags, addr = recvmsg_into(bufs, ANC_SIZE)
            except BlockingIOError:
                pass
            except OSError:
                for event in self._drain(isock):  # the general path knows the error queue
                    yield event
                continue
            else:
                event = handle(isock, n, anc, addr)
                if event is not None:
                    yield event
                continue
            if st.acked != st.transmitted and not self._flood_sleep(st, sending, deadline_ns):
                break
        yield Progress(st.target, st.transmitted, st.received, st.errors)

    def _flood_sleep(self, st: _TargetState, sending: bool, deadline_ns: int | None) -> bool:
        """No reply yet: sleep until it comes, the next probe is due or -w ends the run.
        Once every probe is sent, linger as the general rules say: False when that is over."""
        monotonic_ns = time.monotonic_ns
        if not sending:
            wait = 2 * st.tmax * 1000 if st.received else self._probe_wait()
            if monotonic_ns() >= st.last_send + wait:
                return False
            timeout = min(FLOOD_WAIT_NS, st.last_send + wait - monotonic_ns()) / NS
        else:
            timeout = (st.last_send + FLOOD_WAIT_NS - monotonic_ns()) / NS
        if deadline_ns is not None:
            timeout = min(timeout, (deadline_ns - monotonic_ns()) / NS)
        if timeout > 0:
            control = self.control
            if control in select.select([st.isock.sock, control], (), (), timeout)[0]:
                control.drain()
        return True

    def _send(self, st: _TargetState, now: int) -> Iterator[object]:
        opts = self.options
        if opts.outstanding and st.transmitted and not st.rcvd[st.transmitted & st.mask]:
            yield NoAnswerYet(st.target, st.transmitted & 0xFFFF, time.time())
        seq = (st.transmitted + 1) & 0xFFFF
        packet, base = st.packet, st.base
        U16.pack_into(packet, 6, seq)
        if base is not None:
            U16.pack_into(packet, 2, fold(base + seq))
        idx = seq & st.mask
        st.rcvd[idx] = 0
        st.transmitted += 1
        if not st.first_send:
            st.first_send = now
        st.last_send = now
        isock = st.isock
        st.sent_ns[idx] = time.time_ns()  # replaced by the kernel's stamp when it comes
        try:
            if isock.tx_stamps:
                isock.sock.sendmsg((packet,), [(SOL_SOCKET, SCM_TS_OPT_ID, KEY.pack(st.index << 16 | seq))], 0,
                                   st.sockaddr)
            else:
                isock.sock.sendto(packet, st.sockaddr)
        except BlockingIOError:
            pass  # the send buffer is full (a flood outpacing the link): count it lost, like ping
        except OSError as err:
            if isock.tx_stamps and err.errno == errno.EINVAL:
                # A kernel before 6.13 does not know SCM_TS_OPT_ID: stamp in user space.
                isock.tx_stamps = False
                st.transmitted -= 1
                yield from self._send(st, now)
                return
            yield self._local_error(st, seq, err)
            return
        if opts.stream_timeouts:
            st.pending.append((seq, now + self._probe_wait()))

    def _probe_wait(self) -> int:
        """-W in ns (default 10 s): the wait after the last probe without replies, and a probe's timeout."""
        return self._wait_ns(DEFAULT_LINGER)

    # -- receiving -------------------------------------------------------------------------------

    def _drain(self, isock: IcmpSocket) -> Iterator[object]:
        """Read everything queued on the socket (non-blocking) and turn it into events."""
        recvmsg_into = isock.sock.recvmsg_into
        bufs = [self._view]
        packet = self._packet
        if isock.tx_stamps:
            # Send stamps first: a reply's stamp is always queued before the reply.
            yield from self._drain_errors(isock)
        while True:
            try:
                n, anc, _flags, addr = recvmsg_into(bufs, ANC_SIZE)
            except BlockingIOError:
                break
            except OSError:
                # A datagram socket reports an ICMP error first as a socket error:
                # the details wait in the error queue.
                if not isock.raw or isock.tx_stamps:
                    yield from self._drain_errors(isock)
                    continue
                break
            event = packet(isock, n, anc, addr)
            if event is not None:
                yield event
        if not isock.raw:
            yield from self._drain_errors(isock)

    def _packet(self, isock: IcmpSocket, n: int, anc: list, addr: tuple) -> object | None:
        """One received packet (in self._buf): count it; return its event, if it makes one."""
        buf = self._buf
        rx_ns = 0
        ttl = -1
        for level, kind, data in anc:
            if kind == SO_TIMESTAMPNS and level == SOL_SOCKET:
                sec, nsec = TIMESPEC.unpack(data)
                rx_ns = sec * NS + nsec
            elif (level == SOL_IP and kind == IP_TTL) or (level == SOL_IPV6 and kind == IPV6_HOPLIMIT):
                ttl = int.from_bytes(data[:4], "little")
        v6 = isock.v6
        raw = isock.raw
        if raw and not v6:
            off = (buf[0] & 0x0F) * 4
            ttl = buf[8]
        else:
            off = 0
        if self.options.latency:
            rx_ns = 0  # -U: the time this process sees the reply
        kind = buf[off]
        if kind != (icmp.ICMP6_ECHO_REPLY if v6 else icmp.ICMP_ECHOREPLY):
            if raw and kind in (icmp.ERROR_TYPES_V6 if v6 else icmp.ERROR_TYPES_V4):
                return self._quoted_error(isock, off, n, addr[0])
            return None
        if n - off < 8:
            return None
        rid, seq = TWO_U16.unpack_from(buf, off + 4)
        if raw and rid != isock.ident:
            return None
        source = addr[0]
        st = isock.targets.get(source)
        if st is None:
            if not self.multicast:
                return None
            st = self._states[0]  # a broadcast or multicast ping: every host's reply is an answer
        if v6 and addr[3]:  # a link-local source: ping shows it with its %interface
            from netlab.core.addr import interface_name  # here: core.addr imports ipaddress (~1 ms of start-up)

            source = f"{source}%{interface_name(addr[3])}"
        idx = seq & st.mask
        if not rx_ns:
            rx_ns = time.time_ns()
        rtt_us = (rx_ns - st.sent_ns[idx]) // 1000
        if rtt_us < 0:
            rtt_us = 0
        st.add_rtt(rtt_us)
        st.acknowledge(seq)
        dup = st.rcvd[idx] == 1
        if dup:
            st.duplicates += 1
        else:
            st.received += 1
            st.rcvd[idx] = 1
        keep = self.options.keep_replies
        if not (keep or self.options.reply_events):
            return None
        reply = Reply(st.target, seq, ttl, rtt_us, n - off, dup, source, rx_ns / NS,
                      bytes(buf[20:off]) if off > 20 else b"")
        if keep:
            st.replies.append(reply)
        return reply if self.options.reply_events else None

    def _quoted_error(self, isock: IcmpSocket, off: int, n: int, sender: str) -> ProbeError | None:
        """An ICMP error on a raw socket: find the echo request it quotes, and its target."""
        buf = self._buf
        kind, code = buf[off], buf[off + 1]
        info = int.from_bytes(buf[off + 4:off + 8], "big")
        inner = off + 8
        if isock.v6:
            if n < inner + 48 or buf[inner + 6] != socket.IPPROTO_ICMPV6:
                return None
            dst = socket.inet_ntop(socket.AF_INET6, bytes(buf[inner + 24:inner + 40]))
            quoted = inner + 40
            request = icmp.ICMP6_ECHO_REQUEST
            if kind not in (icmp.ICMP6_PACKET_TOO_BIG, icmp.ICMP6_PARAM_PROB):
                info = 0  # only these two carry a value (MTU, pointer) in that field
            message = icmp.describe_v6(kind, code, info)
        else:
            if n < inner + 28 or buf[inner + 9] != socket.IPPROTO_ICMP:
                return None
            dst = socket.inet_ntop(socket.AF_INET, bytes(buf[inner + 16:inner + 20]))
            quoted = inner + (buf[inner] & 0x0F) * 4
            request = icmp.ICMP_ECHO
            if kind == icmp.ICMP_DEST_UNREACH and code == icmp.ICMP_FRAG_NEEDED:
                info &= 0xFFFF
            elif kind == icmp.ICMP_PARAMETERPROB:
                info >>= 24
            message = icmp.describe_v4(kind, code, info)
        if n < quoted + 8 or buf[quoted] != request:
            return None
        rid, seq = TWO_U16.unpack_from(buf, quoted + 4)
        if rid != isock.ident:
            return None
        st = isock.targets.get(dst)
        if st is None:
            return None
        return self._count_error(st, seq, sender, message, kind, code)

    def _local_error(self, st: _TargetState, seq: int, err: OSError) -> ProbeError:
        """sendto() failed here, before any packet left: ping's "local error" words.

        Only a too-big probe is an error in the counts (the kernel queues it on the
        error queue, where iputils reads it); any other refusal (no route with -r,
        a full device queue) is iputils' "sendmsg: ..." line, the probe counted as sent."""
        if err.errno != errno.EMSGSIZE:
            return ProbeError(st.target, seq, "local", f"sendmsg: {err.strerror or err}", None, None, time.time())
        text = f"local error: {(err.strerror or str(err)).lower()}"
        if err.errno == errno.EMSGSIZE:  # iputils words it differently for v4 and v6
            sep = ": " if st.target.family == socket.AF_INET6 else "="
            text = f"local error: message too long, mtu{sep}{path_mtu(st.target)}"
        return self._count_error(st, seq, "local", text, None, None)

    def _count_error(self, st: _TargetState, seq: int, sender: str, message: str, kind: int | None,
                     code: int | None) -> ProbeError:
        st.errors += 1
        idx = seq & st.mask
        if not st.rcvd[idx]:
            st.rcvd[idx] = 2
        st.acknowledge(seq)
        return ProbeError(st.target, seq, sender, message, kind, code, time.time())

    def _drain_errors(self, isock: IcmpSocket) -> Iterator[ProbeError]:
        """The error queue: send timestamps, and on a datagram socket the ICMP errors
        the kernel parsed for us (IP_RECVERR)."""
        sock = isock.sock
        while True:
            try:
                n, anc, _flags, addr = sock.recvmsg_into([self._view], ERR_ANC_SIZE, MSG_ERRQUEUE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                if err.errno == errno.EAGAIN:
                    return
                raise
            stamp = 0
            for level, kind, data in anc:
                if level == SOL_SOCKET and kind == SO_TIMESTAMPING:
                    sec, nsec = TIMESPEC.unpack_from(data)  # ts[0]: the software stamp
                    stamp = sec * NS + nsec
                    continue
                if not ((level == SOL_IP and kind == IP_RECVERR) or (level == SOL_IPV6 and kind == IPV6_RECVERR)):
                    continue
                ee_errno, origin, etype, ecode, _pad, info, key = EXT_ERR.unpack_from(data)
                if origin == SO_EE_ORIGIN_TIMESTAMPING:
                    if stamp and key >> 16 < len(self._states):
                        st = self._states[key >> 16]
                        seq = key & 0xFFFF
                        if not st.rcvd[seq & st.mask]:  # never after its reply was counted
                            st.sent_ns[seq & st.mask] = stamp
                    continue
                offender = data[EXT_ERR.size:]
                if n < 8:
                    continue
                seq = U16.unpack_from(self._buf, 6)[0]
                st = isock.targets.get(addr[0])
                if st is None:
                    continue
                if origin in (SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6):
                    sender = _sockaddr_host(offender) or addr[0]
                    if isock.v6:
                        message = icmp.describe_v6(etype, ecode, info)
                    else:
                        message = icmp.describe_v4(etype, ecode, info)
                    yield self._count_error(st, seq, sender, message, etype, ecode)
                elif origin == SO_EE_ORIGIN_LOCAL:
                    text = f"local error: {os.strerror(ee_errno)}"
                    if ee_errno == errno.EMSGSIZE:
                        text = f"local error: message too long, mtu={info}"
                    yield self._count_error(st, seq, "local", text, None, None)


@functools.lru_cache(maxsize=64)
def _unscoped(address: str) -> str:
    return address.partition("%")[0]


def _sockaddr(target: Target) -> tuple:
    """Where sendto() goes. IPv6 needs the 4-tuple: a link-local target's %scope becomes its scope id."""
    if target.family == socket.AF_INET6:
        return v6_sockaddr(target.address, 0)
    return (target.address, 0)


def _same_family(address: str | None, family: int) -> bool:
    if not address:
        return False
    return (":" in address) == (family == socket.AF_INET6)


def _sockaddr_host(raw: bytes) -> str | None:
    """The address in a struct sockaddr_in/_in6 (the offender of an ICMP error)."""
    if len(raw) >= 8:
        fam = int.from_bytes(raw[0:2], "little")
        if fam == socket.AF_INET:
            return socket.inet_ntop(socket.AF_INET, raw[4:8])
        if fam == socket.AF_INET6 and len(raw) >= 24:
            return socket.inet_ntop(socket.AF_INET6, raw[8:24])
    return None
