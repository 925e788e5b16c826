"""IPv4 and IPv6 (with extension headers) as tcpdump 4.99 prints them.

Printers take (f, out, d, off, length, end): the Formatter (options and
state), the list the text goes to, the frame bytes, where this header starts,
the length the layer below claims for it, and where the captured (and, below
IP, the IP-length-trimmed) bytes end.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import SOFT_TRUNC, TRUNC, CheckedReader, ip4, ip6, shouldbe
from netlab.core.inet import checksum

_IP4 = struct.Struct("!BBHHHBBH4s4s")
_IP6 = struct.Struct("!IHBB16s16s")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")

T_IP = TRUNC["ip"]
T_IP6 = TRUNC["ip6"]

IPPROTO_NAMES = {
    0: "Options", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 8: "EGP", 9: "IGRP", 17: "UDP",
    29: "ISO-TP4", 33: "DCCP", 41: "IPv6", 43: "Routing", 44: "Fragment", 46: "RSVP", 47: "GRE",
    50: "ESP", 51: "AH", 54: "NHRP", 55: "Mobile IP", 58: "ICMPv6", 77: "ND", 88: "EIGRP",
    89: "OSPF", 92: "MTP", 94: "IPIP", 97: "ETHERIP", 98: "ENCAP", 103: "PIM", 108: "Compressed IP",
    112: "VRRP", 113: "PGM", 132: "SCTP", 135: "Mobility", 136: "UDPLite",
}

_FRAG_FLAGS = {0x4000: "DF", 0x2000: "+", 0x8000: "rsvd"}
_FRAG_STR = {}
for _v in range(8):
    _bits = _v << 13
    _names = [n for b, n in ((0x2000, "+"), (0x4000, "DF"), (0x8000, "rsvd")) if _bits & b]
    _FRAG_STR[_bits] = ", ".join(_names) if _names else "none"

_IPOPT_NAMES = {0: "EOL", 1: "NOP", 68: "timestamp", 130: "security", 7: "RR", 137: "SSRR",
                131: "LSRR", 148: "RA", 82: "traceroute"}


def ip4_print(f, out, d, off, length, end):
    if end <= off:
        raise T_IP
    v = d[off] >> 4
    if v != 4:
        out.append("IP6, wrong link-layer encapsulation (invalid)" if v == 6 else "IP%u (invalid)" % v)
        return
    if not f.eflag:
        out.append("IP ")
    if end - off < 20:
        raise SOFT_TRUNC["ip"]
    vhl, tos, tlen, ipid, foff, ttl, proto, _sum, src, dst = _IP4.unpack_from(d, off)
    hlen = (vhl & 15) * 4
    if length < 20:
        out.append("truncated-ip %u" % length)
        return
    if hlen < 20:
        out.append("bad-hlen %u" % hlen)
        return
    if tlen < hlen:
        out.append("bad-len %u" % tlen)
        return
    if length < tlen:
        out.append("truncated-ip - %u bytes missing! " % (tlen - length))
    # tcpdump cuts the snapshot at the end of the IP datagram (padding is not payload)
    # and goes on with the header's length, whatever the frame held
    if off + min(length, tlen) < end:
        end = off + min(length, tlen)
    length = tlen
    options_cut = f.vflag and _ip4_verbose(f, out, d, off, vhl, tos, tlen, ipid, foff, ttl, proto, hlen, end)
    if foff & 0x1FFF == 0:
        l4 = off + hlen
        if options_cut:  # -v met the end of the capture inside the options
            out.append("%s > %s: " % (ip4(src), ip4(dst)))
            raise SOFT_TRUNC["ip"]
        if l4 > end:
            if proto != 6 and proto != 17:
                out.append("%s > %s: " % (ip4(src), ip4(dst)))
            out.append(" [remaining caplen(%u) < header length(%u)]" % (end - off, hlen))
            raise T_IP
        if proto == 6 or proto == 17:  # TCP and UDP print the addresses with their ports
            dispatch.IP4_PROTOS[proto](f, out, d, l4, length - hlen, end, off, False, True, foff & 0x2000)
        else:
            out.append("%s > %s: " % (ip4(src), ip4(dst)))
            demux(f, out, d, l4, length - hlen, end, off, False, proto, foff & 0x2000)
    else:
        if f.qflag > 1:
            return
        # a later fragment: no transport header to decode
        out.append("%s > %s: ip-proto-%u" % (ip4(src), ip4(dst), proto))


def _ip4_verbose(f, out, d, off, vhl, tos, tlen, ipid, foff, ttl, proto, hlen, end):
    s = "(tos 0x%x" % tos
    ecn = tos & 3
    if ecn == 1:
        s += ",ECT(1)"
    elif ecn == 2:
        s += ",ECT(0)"
    elif ecn == 3:
        s += ",CE"
    if ttl >= 1:
        s += ", ttl %u" % ttl
    s += ", id %u, offset %u, flags [%s], proto %s (%u), length %u" % (
        ipid, (foff & 0x1FFF) * 8, _FRAG_STR[foff & 0xE000], IPPROTO_NAMES.get(proto, "unknown"), proto, tlen)
    out.append(s)
    cut = False
    if hlen > 20:
        out.append(", options (")
        cut = _ip_options(out, d, off + 20, hlen - 20, end)
        out.append(")")
    if not f.kflag and off + hlen <= end:  # -K: no checksum check
        field = _U16.unpack_from(d, off + 10)[0]
        r = checksum(d[off:off + hlen])
        if r != 0:
            out.append(", bad cksum %x (->%x)!" % (field, shouldbe(field, r)))
    out.append(")\n    ")
    return cut


def _ip_options(out, d, p, length, end):
    """tcpdump's ip_optprint; True when the capture ended inside an option."""
    sep = ""
    while length > 0:
        out.append(sep)
        sep = ","
        if p >= end:
            raise TRUNC["ip"]
        code = d[p]
        out.append(_IPOPT_NAMES.get(code, "unknown %u" % code))
        if code in (0, 1):
            olen = 1
        else:
            if p + 1 >= end:
                raise TRUNC["ip"]
            olen = d[p + 1]
            if olen < 2:
                out.append(" [bad length %u]" % olen)
                return
        if olen > length:
            out.append(" [bad length %u]" % olen)
            return
        if p + olen > end:
            out.append(" [truncated-option]")
            return True
        if code == 0:
            return
        if code in (7, 131, 137):
            if olen < 3:
                out.append(" [bad length %u]" % olen)
            else:
                if (olen + 1) & 3:
                    out.append(" [bad length %u]" % olen)
                ptr = d[p + 2] - 1
                if ptr < 3 or ((ptr + 1) & 3) or ptr > olen + 1:
                    out.append(" [bad ptr %u]" % d[p + 2])
                i = 3
                while i < olen:
                    if p + i + 4 > end:
                        raise TRUNC["ip"]
                    out.append(" " + ip4(d[p + i:p + i + 4]))
                    if ptr > i:
                        out.append(",")
                    i += 4
        elif code == 68:
            if _ip_timestamp(out, d, p, olen, end):
                out.append(" [truncated-option]")
                return True
        elif code == 148:
            if olen < 4:
                out.append(" [bad length %u]" % olen)
            else:
                v = _U16.unpack_from(d, p + 2)[0]
                if v:
                    out.append(" value %u" % v)
        p += olen
        length -= olen


def _ip_timestamp(out, d, p, olen, end):
    """tcpdump's ip_printts: the timestamp option's body; True if the capture ended in it."""
    if olen < 4:
        out.append("[bad length %u]" % olen)
        return
    out.append(" TS{")
    flags = d[p + 3]
    hoplen = 4 if flags & 0xF == 0 else 8
    if (olen - 4) & (hoplen - 1):
        out.append("[bad length %u]" % olen)
    ptr = d[p + 2] - 1
    at = 0
    if ptr < 4 or ((ptr - 4) & (hoplen - 1)) or ptr > olen + 1:
        out.append("[bad ptr %u]" % d[p + 2])
    kind = {0: "TSONLY", 1: "TS+ADDR", 3: "PRESPEC"}.get(flags & 0xF)
    if kind is None:
        out.append("[bad ts type %u]" % (flags & 0xF))
    else:
        out.append(kind)
        at = 4
        while at < olen:
            if p + at + hoplen > end:  # (an entry the length cuts is read on past the option)
                return True
            stamp = _U32.unpack_from(d, p + at + hoplen - 4)[0]
            where = ip4(d[p + at:p + at + 4]) if hoplen == 8 else ""
            out.append("%s%u@%s" % (" ^ " if ptr == at else " ", stamp, where))
            at += hoplen
    out.append(" ^ " if ptr == at else "")
    out.append(" [%u hops not recorded]} " % (flags >> 4) if flags >> 4 else "}")


_EXT_NAMES = {0: "hbhopt", 60: "dstopt", 43: "rt6", 44: "frag6"}


def ip6_print(f, out, d, off, length, end):
    if end - off < 40:
        raise SOFT_TRUNC["ip6"]
    flow, plen, nxt, hlim, src, dst = _IP6.unpack_from(d, off)
    if length < 40:
        out.append("truncated-ip6 %u" % length)
        return
    if not f.eflag:
        out.append("IP6 ")
    if flow >> 28 != 6:
        out.append("version error: %u != 6" % (flow >> 28))
        return
    if plen != 0:
        tlen = plen + 40
        if length < tlen:
            out.append("truncated-ip6 - %u bytes missing!" % (tlen - length))
        if off + min(length, tlen) < end:
            end = off + min(length, tlen)
        length = tlen
    else:
        length = 40  # no jumbo option: an empty payload
    if f.vflag:
        s = "("
        fl = flow & 0x0FFFFFFF
        if fl & 0x0FF00000:
            s += "class 0x%02x, " % ((fl & 0x0FF00000) >> 20)
        if fl & 0x000FFFFF:
            s += "flowlabel 0x%05x, " % (fl & 0x000FFFFF)
        s += "hlim %u, next-header %s (%u) payload length: %u) " % (
            hlim, IPPROTO_NAMES.get(nxt, "unknown"), nxt, plen)
        out.append(s)
    p = off + 40
    remaining = length - 40
    nh = nxt
    fragmented = 0
    if nh == 6 or nh == 17:
        dispatch.IP6_PROTOS[nh](f, out, d, p, remaining, end, off, True, True, 0)
        return
    out.append("%s > %s: " % (ip6(src), ip6(dst)))
    while True:  # tcpdump hands on to the next header even when none of it was captured
        if nh == 0 or nh == 60:
            adv = _ip6_opts(f, out, d, p, end, nh)
            nh = d[p]
        elif nh == 44:
            if p + (8 if f.vflag else 4) > end:
                raise TRUNC["frag6"]
            offlg = _U16.unpack_from(d, p + 2)[0]
            fraglen = plen + 40 - (p - off) - 8
            if f.vflag:
                out.append("frag (0x%08x:%u|%u)" % (_U32.unpack_from(d, p + 4)[0], offlg & 0xFFF8, fraglen))
            else:
                out.append("frag (%u|%u)" % (offlg & 0xFFF8, fraglen))
            if offlg & 0xFFF8:
                return
            out.append(" ")
            adv = 8
            if end <= p + adv:
                return
            nh = d[p]
            fragmented = 1
        elif nh == 43:
            adv = _rt6(f, out, d, p, end)
            if adv is None:
                return
            nh = d[p]
        else:
            demux(f, out, d, p, remaining, end, off, True, nh, fragmented)
            return
        if remaining < adv:
            raise T_IP6
        p += adv
        remaining -= adv
        if nh == 6 or nh == 17:
            demux(f, out, d, p, remaining, end, off, True, nh, fragmented)
            return


_IP6OPT_NAMES = {0xC2: "jumbo", 0x05: "rtalert", 0xC9: "homeaddr", 0x04: "tunnelimit", 0x63: "rpl"}


def _ip6_opts(f, out, d, p, end, nh):
    proto = "hbhopt" if nh == 0 else "dstopt"
    if p + 2 > end:
        raise TRUNC[proto]
    hlen = (d[p + 1] + 1) << 3
    if p + hlen > end:
        raise SOFT_TRUNC[proto]
    out.append("HBH " if nh == 0 else "DSTOPT ")
    if f.vflag:
        _ip6_opt_print(out, d, p + 2, p + hlen)
    return hlen


def _ip6_opt_print(out, d, p, stop):
    while p < stop:
        t = d[p]
        if t == 0:
            out.append("(pad1)")
            p += 1
            continue
        if p + 2 > stop:
            out.append("[trunc]")
            return
        olen = d[p + 1]
        if t == 1:
            out.append("(padn)")
        elif t == 0x05 and olen == 2:
            out.append("(rtalert: 0x%04x) " % _U16.unpack_from(d, p + 2)[0])
        elif t == 0xC2 and olen == 4:
            out.append("(jumbo: %u) " % _U32.unpack_from(d, p + 2)[0])
        else:
            out.append("(opt_type 0x%02x: len=%u)" % (t, olen))
        p += olen + 2
    out.append(" ")


def _rt6(f, out, d, p, end):
    """The routing header as tcpdump 4.99.3's rt6_print prints it: ``RT6 (len=2, type=0
    [Deprecated], segleft=1, [0]fd77::1) ``, segment routing's (type 4) last entry, flags,
    tag and segments; its length, or None for one tcpdump calls invalid (the line ends)."""
    if p >= end:
        raise SOFT_TRUNC["ip6"]
    out.append("RT6")
    r = CheckedReader(d, end, TRUNC["rt6"], p)
    hl = r.u8(1)
    out.append(" (len=%u" % hl)
    typ = r.u8(2)
    out.append(", type=%u" % typ)
    if typ == 0:
        out.append(" [Deprecated]")
    out.append(", segleft=%u" % r.u8(3))
    if typ in (0, 2):
        reserved = r.u32(4)
        if reserved or f.vflag:
            out.append(", rsv=0x%0x" % reserved)
    elif typ == 4:
        out.append(", last-entry=%u" % r.u8(4))
        flags = r.u8(5)
        if flags or f.vflag:
            out.append(", flags=0x%0x" % flags)
        out.append(", tag=%x" % r.u16(6))
    else:
        out.append(" (unknown type) (invalid)")
        return None
    if hl % 2:
        out.append(" (invalid length %u) (invalid)" % hl)
        return None
    q = p + 8
    for i in range(hl // 2):
        if q + 16 > end:
            raise TRUNC["rt6"]
        out.append(", [%u]%s" % (i, ip6(d[q:q + 16])))
        q += 16
    out.append(") ")
    return (hl + 1) << 3


def demux(f, out, d, p, length, end, ipoff, v6, proto, fragmented):
    """tcpdump's ip_demux_print: the transport after IPv4 or the last IPv6 header."""
    printer = (dispatch.IP6_PROTOS if v6 else dispatch.IP4_PROTOS).get(proto)
    if printer is None:
        out.append(" ip-proto-%u %u" % (proto, length))
    else:
        printer(f, out, d, p, length, end, ipoff, v6, False, fragmented)


def _ip4_in_ip(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    ip4_print(f, out, d, p, length, end)


def _ip6_in_ip(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    ip6_print(f, out, d, p, length, end)


def _no_next_header(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    out.append("no next header")


dispatch.ETHERTYPES[dispatch.ETH_P_IP] = ip4_print
dispatch.ETHERTYPES[dispatch.ETH_P_IPV6] = ip6_print
dispatch.ip_proto(4, _ip4_in_ip)
dispatch.ip_proto(41, _ip6_in_ip)
dispatch.ip_proto(59, _no_next_header)
