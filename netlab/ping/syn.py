"""Half-open TCP ping (--tcp PORT --syn): a raw SYN out, the SYN-ACK or RST read back, as hping3 -S.

The target's application never sees a connection: the SYN-ACK reaches a port
that no socket of ours listens or connects on, so our kernel answers it with a
RST and the target drops the half-open entry before it reaches the accept
queue. The source port is reserved with a bound (never listening) TCP socket,
so no other program of this host gets it meanwhile.

Each probe's sequence number is a per-run random base plus the probe's number:
the answer's acknowledgement number (the SYN's sequence + 1) names the probe.
Times are the kernel's receive stamp (SO_TIMESTAMPNS) minus the clock read just
before sendto(). Root or CAP_NET_RAW only; the connect() mode needs nothing.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from collections.abc import Iterator  # not typing: a share of start-up

from netlab.core import privilege
from netlab.core.inet import checksum
from netlab.errors import PrivilegeError
from netlab.ping.base import Session, TargetStats
from netlab.ping.options import PingOptions
from netlab.ping.records import ProbeError, Reply, StatusRequest, Target, Timeout
from netlab.ping.route import probe_route, v6_sockaddr
from netlab.ping.sockets import IPV6_HOPLIMIT, IPV6_RECVHOPLIMIT, SO_TIMESTAMPNS, bind_interface, bind_source, set_ttl_tos

NS = 1_000_000_000
DEFAULT_SYN_WAIT = 1.0  # as the connect() mode: the first SYN retransmission
TCP = struct.Struct("!HHIIBBHHH")
IPV6_CHECKSUM = 7
SYN, RST, ACK = 0x02, 0x04, 0x10
TIMESPEC = struct.Struct("@qq")


class _Family:
    """The raw socket of one address family, and the source port reserved for it."""

    def __init__(self, family: int, options: PingOptions):
        v6 = family == socket.AF_INET6
        self.v6 = v6
        self.raw = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.keeper = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.raw.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self.raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            if v6:  # the kernel sums an IPv6 raw socket's payload at this offset
                self.raw.setsockopt(socket.IPPROTO_IPV6, IPV6_CHECKSUM, 16)
                self.raw.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
            if options.interface:
                bind_interface(self.raw, options.interface)
            if options.source and (":" in options.source) == v6:
                bind_source(self.raw, options.source)
            set_ttl_tos(self.raw, v6, options.ttl, options.tos)
            self.raw.setblocking(False)
            self.keeper.bind(("::" if v6 else "0.0.0.0", 0))
            self.sport = self.keeper.getsockname()[1]
        except BaseException:
            self.close()
            raise

    def fileno(self) -> int:
        return self.raw.fileno()

    def close(self) -> None:
        self.raw.close()
        self.keeper.close()


def syn_segment(src: str, dst: str, sport: int, dport: int, seq: int, v6: bool) -> bytes:
    """A bare SYN (no options); IPv4's checksum over the pseudo-header, IPv6's left to the kernel."""
    tcp = TCP.pack(sport, dport, seq, 0, 5 << 4, SYN, 64240, 0, 0)
    if v6:
        return tcp
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    return tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]


class SynPingSession(Session):
    """--tcp PORT --syn: one raw socket per family, answers matched by address, ports and ack number."""

    def __init__(self, targets: list[Target], options: PingOptions):
        super().__init__(targets, options)
        if not privilege.can_raw():
            raise PrivilegeError("--syn sends raw TCP segments: it needs root or CAP_NET_RAW",
                                 "drop --syn: --tcp PORT alone (connect) needs no privilege")
        self.port = options.tcp_port
        self._states = [TargetStats(t) for t in targets]
        self._families: dict[int, _Family] = {}
        self._sources: list[str] = []
        self._base = int.from_bytes(os.urandom(4), "big")
        self._pending: dict[tuple[int, int], tuple[int, int]] = {}  # (target, seq) -> (sent realtime ns, deadline)
        try:
            for t in targets:
                if t.family not in self._families:
                    self._families[t.family] = _Family(t.family, options)
                source = options.source if options.source and (":" in options.source) == (t.family == socket.AF_INET6) \
                    else probe_route(t, options.interface)[0]
                self._sources.append(source)
        except BaseException:
            self.close()
            raise
        # Where sendto() goes; an IPv6 target's 4-tuple keeps a link-local %scope.
        self._where = [(t.address, 0) if t.family == socket.AF_INET else v6_sockaddr(t.address, 0) for t in targets]
        self._buf = bytearray(65536)

    def close(self) -> None:
        for fam in self._families.values():
            fam.close()
        super().close()

    def run(self) -> Iterator[object]:
        count = self.options.count
        interval, wait, deadline = self._start_rounds(DEFAULT_SYN_WAIT)
        control = self.control
        rlist = [*self._families.values(), control]
        while not control.stopping:
            now = time.monotonic_ns()
            if control.take_status_request():
                yield StatusRequest()
            if deadline is not None and now >= deadline:
                break
            wake_at = now + NS
            for index, st in enumerate(self._states):
                if st.sending and count is not None and deadline is not None and st.received + st.errors >= count:
                    st.sending = False  # with -w, -c counts answers
                if not st.sending:
                    continue
                if st.next_send <= now:
                    yield from self._send(index, st, now, wait)
                    st.next_send = max(st.next_send + interval, now - interval)
                    if count is not None and deadline is None and st.transmitted >= count:
                        st.sending = False
                        continue
                wake_at = min(wake_at, st.next_send)
            for key, (_sent, until) in list(self._pending.items()):
                if until <= now:
                    del self._pending[key]
                    yield Timeout(self._states[key[0]].target, key[1], time.time())
                else:
                    wake_at = min(wake_at, until)
            if not self._pending and not any(st.sending for st in self._states):
                break
            if deadline is not None:
                wake_at = min(wake_at, deadline)
            ready, _, _ = select.select(rlist, (), (), max(0, wake_at - time.monotonic_ns()) / NS)
            for fam in ready:
                if fam is control:
                    control.drain()
                else:
                    yield from self._receive(fam)
        for (index, seq) in list(self._pending):
            yield Timeout(self._states[index].target, seq, time.time())
        self._pending.clear()

    def _send(self, index: int, st: TargetStats, now: int, wait: int) -> Iterator[object]:
        seq = st.transmitted + 1
        st.transmitted = seq
        if not st.first_send:
            st.first_send = now
        st.last_send = now
        target = st.target
        fam = self._families[target.family]
        segment = syn_segment(self._sources[index], target.address, fam.sport, self.port,
                              (self._base + seq) & 0xFFFFFFFF, fam.v6)
        where = self._where[index]
        sent = time.time_ns()
        try:
            fam.raw.sendto(segment, where)
        except OSError as err:
            st.errors += 1
            yield ProbeError(target, seq, "local", f"sendmsg: {err.strerror}", None, None, time.time())
            return
        self._pending[(index, seq)] = (sent, now + wait)

    def _receive(self, fam: _Family) -> Iterator[object]:
        view = memoryview(self._buf)
        while True:
            try:
                n, anc, _flags, addr = fam.raw.recvmsg_into([view], 256)
            except BlockingIOError:
                return
            rx_ns = 0
            hops = -1
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = TIMESPEC.unpack(data)
                    rx_ns = sec * NS + nsec
                elif level == socket.IPPROTO_IPV6 and kind == IPV6_HOPLIMIT:
                    hops = int.from_bytes(data[:4], "little")
            event = self._segment(fam, n, addr[0], rx_ns or time.time_ns(), hops)
            if event is not None:
                yield event

    def _segment(self, fam: _Family, n: int, source: str, rx_ns: int, ttl: int) -> object | None:
        buf = self._buf
        off = 0
        if not fam.v6:  # an IPv4 raw socket reads the IP header too
            off = (buf[0] & 0x0F) * 4
            ttl = buf[8]
        if n < off + 20:
            return None
        sport, dport, _seq, ack, _off, flags, _win, _sum, _urg = TCP.unpack_from(buf, off)
        if sport != self.port or dport != fam.sport or not flags & ACK:
            return None
        seq = (ack - 1 - self._base) & 0xFFFFFFFF
        for index, st in enumerate(self._states):
            if st.target.address.partition("%")[0] == source and (index, seq) in self._pending:
                break
        else:
            return None
        sent, _ = self._pending.pop((index, seq))
        if flags & RST:
            st.errors += 1
            return ProbeError(st.target, seq, source, "Connection refused (RST)", None, None, rx_ns / NS)
        if flags & SYN:
            us = max(0, (rx_ns - sent) // 1000)
            st.add_rtt(us)
            st.received += 1
            reply = Reply(st.target, seq, ttl, us, n - off, False, source, rx_ns / NS)
            if self.options.keep_replies:
                st.replies.append(reply)
            return reply
        return None
