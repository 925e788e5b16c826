"""The hot path: one function per packet for the shapes that make up most traffic.

Ethernet (or raw/cooked) + IPv4 without options or fragmentation, or IPv6 without
extension headers, + TCP with no options, nop,nop,TS, or the usual SYN options,
or + UDP on a port tcpdump prints nothing more for, or + ICMP echo (IPv4). Such a line is built with
two unpacks, one dict lookup for the "IP a.p > b.q: " prefix (cached per flow
direction together with the flow's relative-sequence key) and one % format.

Anything else returns None *before touching any state*, and the general
printers (fmt_ip, fmt_tcp, ...) print it; the conformance tests run both paths.
The text is the general printers' text, character for character.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import ip4, ip6, mac
from netlab.capture.fmt_tcp import FLAGS, conversation

_IP4 = struct.Struct("!BxHxxHxB")             # vhl, tlen, frag, proto
_IP6 = struct.Struct("!4xHB")                 # payload length, next header
_TCP = struct.Struct("!4xIIBBH4x")            # seq, ack, offset, flags, win
_UDP = struct.Struct("!HHH")                  # sport, dport, ulen
_PORTS = struct.Struct("!HH")
_TS = struct.Struct("!II")
_SYN = struct.Struct("!2xH4xII3xB")           # mss, TS val, ecr, wscale

M32 = 0xFFFFFFFF

_NOP_NOP_TS = b"\x01\x01\x08\x0a"


def make(formatter, l3off: int, type_off: int | None, pre: str = "%s%s", link_e: bool = False):
    """The fast line function for a link type whose IP header starts at l3off.

    type_off is where the link layer's Ethernet type sits (None for raw IP,
    where tcpdump goes by the version nibble). The function takes
    (data, length, a, b) and returns the whole line, ``pre % (a, b)`` (the
    timestamp) included, or None. Building the stamp into the one % format
    saves a copy of every line.

    One long function on purpose: the per-packet closures below find their
    structs, formats and caches as closure cells, not as globals or attributes.
    """
    tcp_seq = formatter.tcp_seq
    relative = not formatter.sflag  # -S prints the numbers as on the wire
    flows: dict[bytes, tuple] = {}
    # -e on Ethernet: "src > dst, ethertype ..., length N: " comes in through b
    # (pre is then "%s%s") and the IP lines lose their "IP " as tcpdump's do
    ip_prefix = ("", "") if link_e else ("IP ", "IP6 ")
    mac_pairs: dict[bytes, str] = {}
    e_types = {4: "ethertype IPv4 (0x0800), length %u: ", 6: "ethertype IPv6 (0x86dd), length %u: "}
    ip4_unpack = _IP4.unpack_from
    ip6_unpack = _IP6.unpack_from
    tcp_unpack = _TCP.unpack_from
    udp_unpack = _UDP.unpack_from
    ts_unpack = _TS.unpack_from
    syn_unpack = _SYN.unpack_from
    flags_text = FLAGS
    # ports whose payload tcpdump decorates: the printer modules have filled the tables by now
    tcp_app = frozenset(dispatch.TCP_PORTS)
    udp_app = frozenset(dispatch.UDP_PORTS)
    ack_data = pre + "%sFlags [%s], seq %u:%u, ack %u, win %u%s, length %u"
    ack_seq = pre + "%sFlags [%s], seq %u, ack %u, win %u%s, length 0"
    ack_only = pre + "%sFlags [%s], ack %u, win %u%s, length 0"
    noack_data = pre + "%sFlags [%s], seq %u:%u, win %u%s, length %u"
    noack_seq = pre + "%sFlags [%s], seq %u, win %u%s, length 0"
    noack_only = pre + "%sFlags [%s], win %u%s, length 0"
    udp_bad = pre + "%sUDP, bad length %u > %u"
    udp_ok = pre + "%sUDP, length %u"
    echo = pre + "%sICMP %s, id %u, seq %u, length %u"
    echo_unpack = _PORTS.unpack_from
    hosts: dict[bytes, str] = {}
    nop_nop_ts = _NOP_NOP_TS
    syn_mss, syn_tail1, syn_tail2 = b"\x02\x04", b"\x04\x02\x08\x0a", b"\x01\x03\x03"

    def flow(key: bytes, v6: bool):
        """("IP a.p > b.q: ", relative-seq key, reversed) for one direction (cached)."""
        if v6:
            src, dst, ports = key[:16], key[16:32], key[32:36]
            prefix, text = ip_prefix[1], ip6
        else:
            src, dst, ports = key[:4], key[4:8], key[8:12]
            prefix, text = ip_prefix[0], ip4
        sport, dport = _PORTS.unpack(ports)
        line = "%s%s.%u > %s.%u: " % (prefix, text(src), sport, text(dst), dport)
        info = (line, *conversation(src, dst, sport, dport))
        if len(flows) > 100000:
            flows.clear()
        flows[key] = info
        return info

    def tcp_line(d, t, avail, plen, head, a, b):
        """TCP at offset t, plen bytes of segment; head = ("IP a.p > b.q: ", key, rev)."""
        seq, ack, offb, flags, win = tcp_unpack(d, t)
        hlen = (offb >> 4) << 2
        if hlen < 20 or hlen > plen or t + hlen > avail or flags & 32:
            return None
        dlen = plen - hlen
        if dlen and ((d[t] << 8 | d[t + 1]) in tcp_app or (d[t + 2] << 8 | d[t + 3]) in tcp_app):
            return None  # tcpdump decorates these payloads: the general printers do it
        if hlen == 32:
            if d[t + 20:t + 24] != nop_nop_ts:
                return None
            opts = ", options [nop,nop,TS val %u ecr %u]" % ts_unpack(d, t + 24)
        elif hlen == 20:
            opts = ""
        elif hlen == 40 and d[t + 20:t + 22] == syn_mss and d[t + 24:t + 28] == syn_tail1 \
                and d[t + 36:t + 39] == syn_tail2:
            opts = ", options [mss %u,sackOK,TS val %u ecr %u,nop,wscale %u]" % syn_unpack(d, t + 20)
        else:
            return None
        line, key, rev = head
        if flags & 16:
            if relative:
                # fmt_tcp.relative_seq, inlined: calling it per segment made this path ~5% slower
                th = tcp_seq.get(key)
                if th is None or flags & 2:
                    tcp_seq[key] = [(ack - 1) & M32, seq] if rev else [seq, (ack - 1) & M32]
                elif rev:
                    seq = (seq - th[1]) & M32
                    ack = (ack - th[0]) & M32
                else:
                    seq = (seq - th[0]) & M32
                    ack = (ack - th[1]) & M32
            if dlen:
                return ack_data % (a, b, line, flags_text[flags], seq, (seq + dlen) & M32, ack, win, opts, dlen)
            if flags & 7:
                return ack_seq % (a, b, line, flags_text[flags], seq, ack, win, opts)
            return ack_only % (a, b, line, flags_text[flags], ack, win, opts)
        if dlen:
            return noack_data % (a, b, line, flags_text[flags], seq, (seq + dlen) & M32, win, opts, dlen)
        if flags & 7:
            return noack_seq % (a, b, line, flags_text[flags], seq, win, opts)
        return noack_only % (a, b, line, flags_text[flags], win, opts)

    def udp_line(d, u, avail, plen, line, a, b):
        if u + 8 > avail or plen < 8:
            return None
        sport, dport, ulen = udp_unpack(d, u)
        if sport in udp_app or dport in udp_app or ulen < 8:
            return None
        ulen -= 8
        if ulen > plen - 8:
            return udp_bad % (a, b, line, ulen, plen - 8)
        return udp_ok % (a, b, line, ulen)

    def echo_line(d, l3off, tlen, a, b):
        """ICMP echo request/reply (ping), the commonest non-TCP/UDP IPv4 line."""
        t = l3off + 20
        if tlen < 28 or d[t] not in (0, 8):
            return None
        key = d[l3off + 12:l3off + 20]
        line = hosts.get(key)
        if line is None:
            if len(hosts) > 100000:
                hosts.clear()
            line = hosts[key] = "%s%s > %s: " % (ip_prefix[0], ip4(key[:4]), ip4(key[4:]))
        ident, seq = echo_unpack(d, t + 4)
        return echo % (a, b, line, "echo request" if d[t] else "echo reply", ident, seq, tlen - 20)

    def fast(d, length, a, b):
        avail = len(d)
        if avail < l3off + 40:
            return None
        v = d[l3off] >> 4
        if type_off is not None:
            etype = d[type_off] << 8 | d[type_off + 1]
            if not ((etype == 0x0800 and v == 4) or (etype == 0x86DD and v == 6)):
                return None
        if link_e:
            macs = d[:12]
            pair = mac_pairs.get(macs)
            if pair is None:
                if len(mac_pairs) > 10000:
                    mac_pairs.clear()
                pair = mac_pairs[macs] = "%s > %s, " % (mac(macs[6:12]), mac(macs[:6]))
            b = pair + e_types[v] % length
        if v == 4:
            vhl, tlen, frag, proto = ip4_unpack(d, l3off)
            # no options, no fragment, not truncated on the wire nor in the capture
            if vhl != 0x45 or frag & 0x3FFF or tlen < 20 or tlen > length - l3off or l3off + tlen > avail:
                return None
            key = d[l3off + 12:l3off + 24]
            head = flows.get(key) or flow(key, False)
            if proto == 6:
                return tcp_line(d, l3off + 20, l3off + tlen, tlen - 20, head, a, b)
            if proto == 17:
                return udp_line(d, l3off + 20, l3off + tlen, tlen - 20, head[0], a, b)
            if proto == 1:
                return echo_line(d, l3off, tlen, a, b)
            return None
        if v == 6:
            plen, nxt = ip6_unpack(d, l3off)
            if plen == 0 or plen + 40 > length - l3off or l3off + 40 + plen > avail or avail < l3off + 44:
                return None
            if nxt == 6:
                if avail < l3off + 60:
                    return None
                key = d[l3off + 8:l3off + 44]
                return tcp_line(d, l3off + 40, l3off + 40 + plen, plen, flows.get(key) or flow(key, True), a, b)
            if nxt == 17:
                key = d[l3off + 8:l3off + 44]
                head = flows.get(key) or flow(key, True)
                return udp_line(d, l3off + 40, l3off + 40 + plen, plen, head[0], a, b)
        return None

    return fast
