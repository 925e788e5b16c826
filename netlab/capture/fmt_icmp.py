"""ICMP and ICMPv6 (echo, errors, neighbour/router discovery, MLD) as tcpdump 4.99 prints them."""

from __future__ import annotations

import struct

from netlab.capture import dispatch, fmt_dns
from netlab.capture.fmt_base import SOFT_TRUNC, TRUNC, final_dst6, ip4, ip6, pseudo6, shouldbe
from netlab.capture.hexdump import hex_lines
from netlab.core.inet import checksum

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_HH = struct.Struct("!HH")

T_ICMP = TRUNC["icmp"]
T_ICMP6 = TRUNC["icmp6"]

_ICMP_TYPES = {0: "echo reply", 8: "echo request", 4: "source quench", 10: "router solicitation",
               15: "info request", 16: "info reply", 17: "address mask request", 18: "address mask reply"}

_UNREACH = {
    0: "net %s unreachable", 1: "host %s unreachable", 5: "%s unreachable - source route failed",
    6: "net %s unreachable - unknown", 7: "host %s unreachable - unknown",
    8: "%s unreachable - source host isolated", 9: "net %s unreachable - admin prohibited",
    10: "host %s unreachable - admin prohibited", 11: "net %s unreachable - tos prohibited",
    12: "host %s unreachable - tos prohibited", 13: "host %s unreachable - admin prohibited filter",
    14: "host %s unreachable - host precedence violation", 15: "host %s unreachable - precedence cutoff",
}
_REDIRECT = {0: "redirect %s to net %s", 1: "redirect %s to host %s", 2: "redirect-tos %s to net %s",
             3: "redirect-tos %s to host %s"}
_PROTO_NAMES = {6: "tcp", 17: "udp"}


_SOFT = "soft"  # _icmp_text's answer for tcpdump's own (non-longjmp) length check


def _errtype(t):
    return t in (3, 4, 5, 11, 12)


def icmp_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    if p + 2 > end:
        raise T_ICMP
    typ = d[p]
    code = d[p + 1]
    try:
        text = _icmp_text(f, d, p, length, end, typ, code)
    except IndexError:
        raise T_ICMP from None
    if text is None:
        raise T_ICMP
    if text is _SOFT:
        raise SOFT_TRUNC["icmp"]
    out.append("ICMP " + text)
    out.append(", length %u" % length)
    if f.vflag and not fragmented:
        if p + length <= end:
            r = checksum(d[p:p + length])
            if r:
                field = _U16.unpack_from(d, p + 2)[0]
                out.append(" (wrong icmp cksum %x (->%x)!)" % (field, shouldbe(field, r)))
    if f.vflag >= 1 and _errtype(typ):
        q = p + 8
        out.append("\n\t")
        if q + 4 > end:  # tcpdump reads the quoted length first
            raise T_ICMP
        inner_len = _U16.unpack_from(d, q + 2)[0]
        dispatch.ETHERTYPES[dispatch.ETH_P_IP](f, out, d, q, inner_len, end)


def _icmp_text(f, d, p, length, end, typ, code):
    if typ in (0, 8):
        if p + 8 > end:
            return None
        ident, seq = _HH.unpack_from(d, p + 4)
        return "%s, id %u, seq %u" % ("echo reply" if typ == 0 else "echo request", ident, seq)
    if typ == 3:
        # the offending datagram's header follows the 8 ICMP bytes
        q = p + 8
        if code == 3:
            # tcpdump checks the quoted protocol itself, then reads the address
            if q + 10 > end:
                return _SOFT
            if q + 20 > end:
                return None
        elif q + 20 > end:
            return None
        dst = ip4(d[q + 16:q + 20])
        if code == 2:
            return "%s protocol %u unreachable" % (dst, d[q + 9])
        if code == 3:
            hl = (d[q] & 15) * 4
            proto = d[q + 9]
            if q + hl + 4 > end:
                return None
            dport = _U16.unpack_from(d, q + hl + 2)[0]
            if proto in _PROTO_NAMES:
                return "%s %s port %u unreachable" % (dst, _PROTO_NAMES[proto], dport)
            return "%s protocol %u port %u unreachable" % (dst, proto, dport)
        if code == 4:
            mtu = _U16.unpack_from(d, p + 6)[0]
            if mtu:
                return "%s unreachable - need to frag (mtu %u)" % (dst, mtu)
            return "%s unreachable - need to frag" % dst
        fmt = _UNREACH.get(code)
        if fmt is None:
            return "%s unreachable - #%u" % (dst, code)
        return fmt % dst
    if typ == 5:
        q = p + 8
        if q + 20 > end:
            return None
        dst = ip4(d[q + 16:q + 20])
        gw = ip4(d[p + 4:p + 8])
        fmt = _REDIRECT.get(code)
        if fmt is None:
            return "redirect-#%u %s to %s" % (code, dst, gw)
        return fmt % (dst, gw)
    if typ == 11:
        if p + 28 > end:  # tcpdump checks the quoted header's destination
            return _SOFT
        if code == 0:
            return "time exceeded in-transit"
        if code == 1:
            return "ip reassembly time exceeded"
        return "time exceeded-#%u" % code
    if typ == 12:
        if code == 0:
            return "parameter problem - octet %u" % d[p + 4]
        return "parameter problem - code %u" % code
    if typ in (13, 14):
        if p + 8 > end:  # (tcpdump checks a reply's stamps itself, reads a query's ids)
            return _SOFT if typ == 14 else None
        ident, seq = _HH.unpack_from(d, p + 4)
        if typ == 13:
            return "time stamp query id %u seq %u" % (ident, seq)
        if p + 20 > end:
            return _SOFT
        org, recv, xmit = struct.unpack_from("!III", d, p + 8)
        return "time stamp reply id %u seq %u: org %s, recv %s, xmit %s" % (
            ident, seq, _ms(org), _ms(recv), _ms(xmit))
    if typ == 9:
        return _router_adv(f, d, p, length, end)
    if typ == 17:
        if p + 8 > end:
            return None
        return "address mask request"
    if typ == 18:
        if p + 12 > end:
            return None
        return "address mask is 0x%08x" % _U32.unpack_from(d, p + 8)[0]
    name = _ICMP_TYPES.get(typ)
    if name is not None:
        return name
    return "type-#%u" % typ


def _ms(v):
    h, rem = divmod(v, 3600000)
    m, rem = divmod(rem, 60000)
    s, ms = divmod(rem, 1000)
    return "%02u:%02u:%02u.%03u" % (h, m, s, ms)


def _router_adv(f, d, p, length, end):
    if p + 8 > end:
        return _SOFT
    num, size, life = d[p + 4], d[p + 5], _U16.unpack_from(d, p + 6)[0]
    if life < 60:
        s = "router advertisement lifetime %u" % life
    elif life < 3600:
        s = "router advertisement lifetime %u:%02u" % (life // 60, life % 60)
    else:
        s = "router advertisement lifetime %u:%02u:%02u" % (life // 3600, (life % 3600) // 60, life % 60)
    s += " %u:" % num
    if size != 2:
        return s + " [size %u]" % size
    q = p + 8
    parts = []
    for _ in range(num):
        if q + 8 > end:
            return _SOFT
        parts.append(" {%s %u}" % (ip4(d[q:q + 4]), _U32.unpack_from(d, q + 4)[0]))
        q += 8
    return s + "".join(parts)


# ---------------------------------------------------------------- ICMPv6

_ICMP6_TYPES = {
    1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit", 4: "parameter problem",
    128: "echo request", 129: "echo reply", 130: "multicast listener query", 131: "multicast listener report",
    132: "multicast listener done", 133: "router solicitation", 134: "router advertisement",
    135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect", 138: "router renumbering",
    139: "who-are-you request", 140: "who-are-you reply", 141: "inverse neighbor solicitation",
    142: "inverse neighbor advertisement", 143: "multicast listener report v2",
    144: "home agent discovery request", 145: "home agent discovery reply",
    146: "mobile router solicitation", 147: "mobile router advertisement",
    148: "certification path solicitation", 149: "certification path advertisement",
    151: "multicast router advertisement", 152: "multicast router solicitation",
    153: "multicast router termination", 155: "RPL", 200: "mtrace response", 201: "mtrace",
}
# (tcpdump 4.99.3's own strings, the leading space of code 1 included; it knows no codes 5 and 6)
_UNREACH6 = {0: "unreachable route", 1: " unreachable prohibited", 2: "beyond scope", 3: "unreachable address",
             4: "unreachable port"}
_ND_OPTS = {1: "source link-address", 2: "destination link-address", 3: "prefix info", 4: "redirected header",
            5: "mtu", 7: "advertisement interval", 8: "homeagent information", 24: "route info",
            25: "rdnss", 31: "dnssl"}


def icmp6_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    if length == 0:
        out.append("ICMP6, length 0 (invalid)")
        return
    if p + 1 > end:
        raise T_ICMP6
    typ = d[p]
    if f.vflag and not fragmented and p + length <= end:
        dst = d[ipoff + 24:ipoff + 40] if p == ipoff + 40 else final_dst6(d, ipoff, p)
        ph = pseudo6(d[ipoff + 8:ipoff + 24], dst, 58, length)
        r = checksum(ph + d[p:p + length])
        field = _U16.unpack_from(d, p + 2)[0] if p + 4 <= end else 0
        if r:
            out.append("[bad icmp6 cksum 0x%04x -> 0x%04x!] " % (field, shouldbe(field, r)))
        else:
            out.append("[icmp6 sum ok] ")
    out.append("ICMP6, " + _ICMP6_TYPES.get(typ, "unknown icmp6 type (%u)" % typ))
    if f.vflag and typ in (133, 134, 135, 136, 137, 145, 147):
        out.append(", length %u" % length)
    if p + 2 > end:
        raise T_ICMP6
    code = d[p + 1]
    q = p + 8  # the offending packet for errors
    try:
        if typ == 1:
            out.append(", " + _UNREACH6.get(code, "unknown unreach code (%u)" % code))
            if code in (0, 1, 3):
                _need(q + 40, end)
                out.append(" " + ip6(d[q + 24:q + 40]))
            elif code == 2:
                _need(q + 40, end)
                out.append(" %s, source address %s" % (ip6(d[q + 24:q + 40]), ip6(d[q + 8:q + 24])))
            elif code == 4:  # (tcpdump's get_upperlayer fails softly on a cut quote)
                proto, l4 = _upper_layer(d, q, end)
                _need_quoted(l4 + 4, end)
                dport = _U16.unpack_from(d, l4 + 2)[0]
                if proto in _PROTO_NAMES:
                    out.append(", %s %s port %u" % (ip6(d[q + 24:q + 40]), _PROTO_NAMES[proto], dport))
                else:
                    out.append(", %s protocol %u port %u unreachable" % (ip6(d[q + 24:q + 40]), proto, dport))
            else:
                if f.vflag <= 1:
                    out.append(_unknown_data(d, p, min(end, p + length)))
                    return
        elif typ == 2:
            _need(p + 8, end)
            out.append(", mtu %u" % _U32.unpack_from(d, p + 4)[0])
        elif typ == 3:
            if code == 0:
                _need(q + 40, end)
                out.append(" for " + ip6(d[q + 24:q + 40]))
            elif code == 1:
                out.append(" (reassembly)")
            else:
                out.append(", unknown code (%u)" % code)
        elif typ == 4:
            _need_quoted(q + 40, end)
            ptr = _U32.unpack_from(d, p + 4)[0]
            what = {0: "erroneous", 1: "next header", 2: "option", 3: "incomplete header chain"}.get(code)
            if what is None:
                out.append(", code-#%u" % code)
            else:
                out.append(", %s - octet %u" % (what, ptr))
        elif typ in (128, 129):
            _need(p + 8, end)
            out.append(", id %u, seq %u" % _HH.unpack_from(d, p + 4))
        elif typ == 130:
            if length == 24:
                _mld(out, d, p, end, f)
            elif length >= 28:
                out.append(" v2")
                _mldv2_query(out, d, p, length, end, f)
            else:
                out.append(" unknown-version (len %u) " % length)
        elif typ in (131, 132):
            _mld(out, d, p, end, f)
        elif typ == 133:
            if f.vflag:
                _nd_opts(out, d, p + 8, length - 8, end, f, p)
        elif typ == 134:
            if f.vflag:
                _need(p + 16, end)
                hop, fl, life = d[p + 4], d[p + 5], _U16.unpack_from(d, p + 6)[0]
                reach, retrans = _U32.unpack_from(d, p + 8)[0], _U32.unpack_from(d, p + 12)[0]
                names = [n for b, n in ((0x80, "managed"), (0x40, "other stateful"), (0x20, "home agent"))
                         if fl & b]
                pref = {0: "medium", 1: "high", 2: "rsv", 3: "low"}[(fl >> 3) & 3]
                out.append("\n\thop limit %u, Flags [%s], pref %s, router lifetime %us, reachable time %ums, "
                           "retrans timer %ums" % (hop, ", ".join(names) if names else "none", pref, life, reach, retrans))
                _nd_opts(out, d, p + 16, length - 16, end, f, p)
        elif typ == 135:
            _need(p + 24, end)
            out.append(", who has " + ip6(d[p + 8:p + 24]))
            if f.vflag:
                _nd_opts(out, d, p + 24, length - 24, end, f, p)
        elif typ == 136:
            _need(p + 24, end)
            out.append(", tgt is " + ip6(d[p + 8:p + 24]))
            if f.vflag:
                fl = _U32.unpack_from(d, p + 4)[0]
                names = [n for b, n in ((0x80000000, "router"), (0x40000000, "solicited"),
                                        (0x20000000, "override")) if fl & b]
                out.append(", Flags [%s]" % (", ".join(names) if names else "none"))
                _nd_opts(out, d, p + 24, length - 24, end, f, p)
        elif typ == 137:
            _need(p + 40, end)
            out.append(", %s to %s" % (ip6(d[p + 24:p + 40]), ip6(d[p + 8:p + 24])))
            if f.vflag:
                _nd_opts(out, d, p + 40, length - 40, end, f, p)
        elif typ == 143:
            _mldv2_report(out, d, p, length, end, f)
        elif typ in (139, 140):
            _nodeinfo(out, d, p, length, end, typ, code)
        elif typ in (141, 142):
            pass
        elif typ in (144, 146):
            _need(p + 6, end)
            out.append(", id 0x%04x" % _U16.unpack_from(d, p + 4)[0])
        else:
            out.append(", length %u" % length)
            if f.vflag <= 1:
                out.append(_unknown_data(d, p, min(end, p + length)))
            return
    except IndexError:
        raise T_ICMP6 from None
    if not f.vflag:
        out.append(", length %u" % length)


def _unknown_data(d, p, stop, indent="\n\t"):
    """tcpdump's print_unknown_data: hex lines with the given indent."""
    return "".join(indent + ln[1:] for ln in hex_lines(d[p:stop], False))


def _need(n, end):
    if n > end:
        raise T_ICMP6


def _need_quoted(n, end):
    """tcpdump's own check on an error's quoted packet (not a longjmp)."""
    if n > end:
        raise SOFT_TRUNC["icmp6"]


def _upper_layer(d, q, end):
    """(protocol, offset) of the transport header inside an ICMPv6 error's quoted packet."""
    _need_quoted(q + 40, end)
    nh = d[q + 6]
    p = q + 40
    while nh in (0, 43, 60, 44, 51):
        _need_quoted(p + 2, end)
        if nh == 44:
            adv = 8
        elif nh == 51:
            adv = (d[p + 1] + 2) << 2
        else:
            adv = (d[p + 1] + 1) << 3
        nh = d[p]
        p += adv
    return nh, p


def _mld(out, d, p, end, f):
    _need(p + 24, end)
    # (no separator before it in tcpdump 4.99.3: "multicast listener reportmax resp delay: ...")
    out.append("max resp delay: %u addr: %s" % (_U16.unpack_from(d, p + 4)[0], ip6(d[p + 8:p + 24])))


def _mldv2_report(out, d, p, length, end, f):
    if length < 8:
        out.append(" [invalid len %u]" % length)
        return
    _need(p + 8, end)
    ngroups = _U16.unpack_from(d, p + 6)[0]
    out.append(", %u group record(s)" % ngroups)
    if not f.vflag:
        return
    group = 8
    for _ in range(ngroups):
        if length < group + 20:
            out.append(" [invalid number of groups]")
            return
        q = p + group
        _need(q + 20, end)
        rtype, nsrcs = d[q], _U16.unpack_from(d, q + 2)[0]
        out.append(" [gaddr %s" % ip6(d[q + 4:q + 20]))
        out.append(" %s" % _MLDV2_RECORDS.get(rtype, " [v2-report-#%u]" % rtype))
        if length < group + 20 + nsrcs * 16:
            out.append(" [invalid number of sources %u]" % nsrcs)
            return
        if f.vflag == 1:
            out.append(", %u source(s)" % nsrcs)
        else:
            out.append(" {")
            for k in range(nsrcs):
                _need(q + 36 + 16 * k, end)
                out.append(" " + ip6(d[q + 20 + 16 * k:q + 36 + 16 * k]))
            out.append(" }")
        group += 20 + nsrcs * 16
        out.append("]")


_MLDV2_RECORDS = {1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}


def _mldv2_query(out, d, p, length, end, f):
    _need(p + 28, end)
    mrc = _U16.unpack_from(d, p + 4)[0]
    if mrc < 32768:
        mrt = mrc
    else:
        mrt = ((mrc & 0x0FFF) | 0x1000) << (((mrc & 0x7000) >> 12) + 3)
    if f.vflag:
        out.append(" [max resp delay=%u]" % mrt)
    out.append(" [gaddr %s" % ip6(d[p + 8:p + 24]))
    if f.vflag:
        qqi = d[p + 25]
        if qqi & 0x80:
            qqi = ((qqi & 0x0F) | 0x10) << (((qqi & 0x70) >> 4) + 3)
        if d[p + 24] & 0x08:
            out.append(" sflag")
        if d[p + 24] & 0x07:
            out.append(" robustness=%u" % (d[p + 24] & 7))
        out.append(" qqi=%u" % qqi)
    nsrcs = _U16.unpack_from(d, p + 26)[0]
    if nsrcs > 0:
        if length < 28 + nsrcs * 16:
            out.append(" [invalid number of sources]")
            out.append("]")
            return
        if f.vflag == 1:
            out.append(" {...}")
        else:
            out.append(" {")
            for i in range(nsrcs):
                out.append(" " + ip6(d[p + 28 + i * 16:p + 44 + i * 16]))
            out.append(" }")
    out.append("]")


def _nd_opts(out, d, p, resid, end, f, icmp):
    """tcpdump's icmp6_opt_print (-v): one "\n\t  name option (n), length ..." line per option
    (icmp: where the ICMPv6 message starts, which DNSSL's compressed names count from)."""
    while p < end:
        if p + 2 > end:
            raise SOFT_TRUNC["icmp6"]
        if resid <= 0:
            return
        typ, olen = d[p], d[p + 1]
        if olen == 0 or p + olen * 8 > end:
            raise SOFT_TRUNC["icmp6"]
        name = _ND_OPTS.get(typ)
        out.append("\n\t  %s option (%u), length %u (%u): " % (name or "unknown", typ, olen * 8, olen))
        body = d[p + 2:p + olen * 8]
        if typ in (1, 2):
            out.append(_lladdr(body))
        elif typ == 5:
            out.append(" %u" % _U32.unpack_from(d, p + 4)[0])
        elif typ == 3:
            plen, fl = d[p + 2], d[p + 3]
            valid, pref = _U32.unpack_from(d, p + 4)[0], _U32.unpack_from(d, p + 8)[0]
            names = [n for b, n in ((0x80, "onlink"), (0x40, "auto"), (0x20, "router")) if fl & b]
            out.append("%s/%u, Flags [%s], valid time %s, pref. time %s" % (
                ip6(d[p + 16:p + 32]), plen, ", ".join(names) if names else "none", _lifetime(valid), _lifetime(pref)))
        elif typ == 25:
            out.append(" lifetime %us," % _U32.unpack_from(d, p + 4)[0])
            for a in range(p + 8, p + olen * 8, 16):
                out.append(" addr: %s" % ip6(d[a:a + 16]))
        elif typ == 7:
            out.append(" %ums" % _U32.unpack_from(d, p + 4)[0])
        elif typ == 8:
            out.append(" preference %u, lifetime %u" % (_U16.unpack_from(d, p + 4)[0], _U16.unpack_from(d, p + 6)[0]))
        elif typ == 31:
            out.append(" lifetime %us, domain(s):" % _U32.unpack_from(d, p + 4)[0])
            q = p + 8
            while q < p + olen * 8 and d[q]:
                out.append(" ")
                named = fmt_dns.fqdn(d, q, icmp, end)
                if named is None:
                    raise SOFT_TRUNC["icmp6"]
                out.append(named[0])
                q = named[1]
        elif typ == 24:
            if olen not in (1, 2, 3):
                raise SOFT_TRUNC["icmp6"]
            prefix = d[p + 8:p + 8 + (olen - 1) * 8].ljust(16, b"\x00")
            out.append(" %s/%u, pref=%s, lifetime=%s" % (ip6(prefix), d[p + 2], _RTPREF[(d[p + 3] & 0x18) >> 3],
                                                         _lifetime(_U32.unpack_from(d, p + 4)[0])))
        elif name is None and f.vflag <= 1:
            out.append(_unknown_data(d, p + 2, p + olen * 8, "\n\t  "))
            return
        if f.vflag > 1:
            out.append(_unknown_data(d, p + 2, p + olen * 8, "\n\t    "))
        p += olen * 8
        resid -= olen * 8


def _lladdr(b):
    return ":".join("%02x" % c for c in b[:6]) if len(b) >= 6 else ":".join("%02x" % c for c in b)


_RTPREF = ("medium", "high", "rsv", "low")  # a route's preference (RFC 4191)


def _lifetime(v):
    if v == 0xFFFFFFFF:
        return "infinity"
    return "%us" % v


def _nodeinfo(out, d, p, length, end, typ, code):
    """Node information query/reply (RFC 4620), as far as tcpdump 4.99.3 names it."""
    if typ == 139:
        if min(end, p + length) - p == 12:
            out.append(" who-are-you request")  # KAME's form
            return
        out.append(" node information query")
        if p + 16 > end:
            out.append(" [|icmp6]")  # tcpdump's own marker here, and the line goes on
            return
        qtype = _U16.unpack_from(d, p + 4)[0]
        fl = _U16.unpack_from(d, p + 6)[0]
        if qtype == 0:
            out.append(" (noop)")
            return
        if qtype == 1:
            out.append(" (supported qtypes")
        elif qtype == 2:
            out.append(" (DNS name")
        elif qtype == 3:
            letters = "".join(c for b, c in ((1, "T"), (2, "A"), (4, "C"), (8, "L"), (0x10, "S"), (0x20, "G"))
                              if fl & b)
            out.append(" (node addresses")
            if letters:
                out.append(" [%s]" % letters)
        elif qtype == 4:
            out.append(" (ipv4 addresses")
        else:
            out.append(" (unknown")
        if code == 0 and length >= 32:
            _need(p + 32, end)
            out.append(", subject=%s" % ip6(d[p + 16:p + 32]))
        elif code == 2 and length >= 20:
            out.append(", subject=%s" % ip4(d[p + 16:p + 20]))
        out.append(")")
    else:
        out.append(" node information reply")


dispatch.ip_proto(1, icmp_print, v6=False)
dispatch.ip_proto(58, icmp6_print, v4=False)
