"""RX, AFS's transport, on UDP ports 7000-7009, as tcpdump 4.99.3's print-rx.c prints it.

A datagram shorter than RX's 28-byte header is `` [|rx] (5)`` (what most stray
traffic on these ports gets); else the packet type (`` rx data``, `` rx ack``...),
with -v the sequence and serial numbers, -vv the connection and call and the
flags, -vvv the security index and service id; acks their first packet, serial,
reason and acked/nacked ranges; the AFS call in a client's first data packet and,
matched through a cache of the last 64 calls, its reply (the services of
dispatch.RX_SERVICES: fmt_afs); and the length.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_HEADER = 28
_ACK_LEN = 18

_TYPES = {1: "data", 2: "ack", 3: "busy", 4: "abort", 5: "ackall", 6: "challenge", 7: "response", 8: "debug",
          9: "params", 13: "version"}
# (flag, packet type it applies to or 0 for any, name)
_FLAGS = ((1, 0, "client-init"), (2, 0, "req-ack"), (4, 0, "last-pckt"), (8, 0, "more-pckts"), (16, 0, "free-pckt"),
          (32, 2, "slow-start"), (32, 1, "jumbogram"))
_REASONS = {1: "ack requested", 2: "duplicate packet", 3: "out of sequence", 4: "exceeds window",
            5: "no buffer space", 6: "ping", 7: "ping response", 8: "delay", 9: "idle"}


_CACHE_SIZE = 64
_CLIENT_INITIATED = 1


class RxCalls:
    """print-rx.c's call cache: a ring of the last 64 calls (call number, client, server,
    port, service id, opcode), searched from where the last search found one."""

    __slots__ = ("ring", "next", "hint")

    def __init__(self):
        self.ring: list = [None] * _CACHE_SIZE
        self.next = 0
        self.hint = 0

    def insert(self, key: tuple, opcode: int) -> None:
        self.ring[self.next] = (key, opcode)
        self.next = (self.next + 1) % _CACHE_SIZE

    def find(self, key: tuple) -> int | None:
        i = self.hint
        while True:
            entry = self.ring[i]
            if entry is not None and entry[0] == key:
                self.hint = i
                return entry[1]
            i = (i + 1) % _CACHE_SIZE
            if i == self.hint:
                return None


def _addresses(d, f) -> tuple[bytes, bytes]:
    """What tcpdump reads as the IPv4 source and destination (bytes 12-19 of the IP header,
    also of an IPv6 one)."""
    ip = f.udp_ipoff
    return d[ip + 12:ip + 16], d[ip + 16:ip + 20]


def rx_print(f, out, d, q, length, end, ulen, fragmented):
    if q + _HEADER > end:
        out.append(" [|rx] (%u)" % length)
        return True
    kind, flags = d[q + 20], d[q + 21]
    out.append(" rx %s" % _TYPES.get(kind, "type %u" % kind))
    if f.vflag:
        if f.vflag > 1:
            out.append(" cid %08x call# %u" % (_U32.unpack_from(d, q + 4)[0], _U32.unpack_from(d, q + 8)[0]))
        out.append(" seq %u ser %u" % (_U32.unpack_from(d, q + 12)[0], _U32.unpack_from(d, q + 16)[0]))
        if f.vflag > 2:
            out.append(" secindex %u serviceid %u" % (d[q + 23], _U16.unpack_from(d, q + 26)[0]))
        if f.vflag > 1:
            names = [name for bit, kinds, name in _FLAGS if flags & bit and (not kinds or kinds == kind)]
            if names:
                out.append(" " + ",".join("<%s>" % n for n in names))
    seq = _U32.unpack_from(d, q + 12)[0]
    sport, dport = struct.unpack_from("!HH", d, q - 8)
    if kind == 1 and seq == 1 and flags & _CLIENT_INITIATED:
        if q + _HEADER + 4 <= end:
            src, dst = _addresses(d, f)
            f.rx_calls.insert((_U32.unpack_from(d, q + 8)[0], src, dst, dport, _U16.unpack_from(d, q + 26)[0]),
                              _U32.unpack_from(d, q + _HEADER)[0])
        service = dispatch.RX_SERVICES.get(dport)
        if service is not None:
            service[0](f, out, d, q, length, end)
    elif (kind == 1 and seq == 1 or kind == 4) and not flags & _CLIENT_INITIATED:
        src, dst = _addresses(d, f)
        opcode = f.rx_calls.find((_U32.unpack_from(d, q + 8)[0], dst, src, sport, _U16.unpack_from(d, q + 26)[0]))
        service = dispatch.RX_SERVICES.get(sport)
        if opcode is not None and service is not None:
            service[1](f, out, d, q, length, end, opcode)
    elif kind == 2:
        _ack(f, out, d, q, length, end)
    out.append(" (%u)" % length)
    return True


def _ack(f, out, d, q, length, end):
    """rx_ack_print: the ack's first packet, serial, reason and its acked and nacked ranges."""
    if length < _HEADER:
        return
    a = q + _HEADER
    if a + _ACK_LEN > end:
        out.append(" [|ack]")
        return
    if f.vflag > 2:
        out.append(" bufspace %u maxskew %u" % (_U16.unpack_from(d, a)[0], _U16.unpack_from(d, a + 2)[0]))
    first = _U32.unpack_from(d, a + 4)[0]
    reason = d[a + 16]
    out.append(" first %u serial %u reason %s" % (first, _U32.unpack_from(d, a + 12)[0],
                                                  _REASONS.get(reason, "#%u" % reason)))
    nacks = d[a + 17]
    p = a + _ACK_LEN
    if nacks:
        if p + nacks > end:
            out.append(" [|ack]")
            return
        for wanted, word in ((1, " acked"), (0, " nacked")):
            start = last = -2
            i = 0
            for i in range(nacks):
                if d[p + i] == wanted:
                    if last == -2:
                        out.append("%s %u" % (word, (first + i) & 0xFFFFFFFF))
                        start = i
                    elif last != i - 1:
                        out.append(",%u" % ((first + i) & 0xFFFFFFFF))
                        start = i
                    last = i
                elif last == i - 1 and start != last:
                    out.append("-%u" % ((first + i - 1) & 0xFFFFFFFF))
            i = nacks
            if last == i - 1 and start != last:
                out.append("-%u" % ((first + i - 1) & 0xFFFFFFFF))
        p += nacks
    p += 3  # padding
    if f.vflag > 1:
        for name in ("ifmtu", "maxmtu", "rwind", "maxpackets"):
            if end - p + 1 <= 4:
                return
            out.append(" %s %u" % (name, _U32.unpack_from(d, p)[0]))
            p += 4


dispatch.ports(dispatch.UDP_PORTS, rx_print, *range(7000, 7010))
