"""Babel (UDP 6696 and 6697), as tcpdump 4.99.3's print-babel.c prints it.

``babel 2 (24) hello ihu``: the version, the body's length and a word per TLV; -v a
line per TLV (``Hello seqno 4 interval 4.00s``, ``Update/prefix/id 10.0.0.0/24 metric
96 seqno 3 interval 16.00s``...) with their sub-TLVs, and the TLVs of a trailer after
`` |`` (``----`` with -v). A datagram whose first byte is not 42 is ``babel invalid
header``; a TLV past the datagram `` (invalid)``, past the capture `` [|babel]``.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, ip4, ip6

_READ = Truncated("babel")               # GET_ past the capture (longjmp)
_CUT = Truncated("babel", whole=False)   # babel's own ND_TCHECK: nd_print_trunc
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
V4_MAPPED = bytes(10) + b"\xff\xff"
_INVALID, _TRUNC = -2, -1
_SUBTLV_DIVERSITY = {0: "reserved", 255: "all"}
_HELLO, _IHU, _UPDATE, _SS_UPDATE = 4, 5, 8, 13


class _Invalid(Exception):
    """tcpdump's ``goto invalid`` inside the TLV loop."""


def babel_print(f, out, d, q, length, end, ulen, fragmented):
    out.append("babel")
    if q + 4 > end:
        raise _CUT
    if d[q] != 42:
        out.append(" invalid header")
        return True
    out.append(" %u" % d[q + 1])
    if d[q + 1] != 2:
        out.append(" unknown version")
        return True
    if length < 4:
        out.append(" (invalid)")
        return True
    bodylen = _U16.unpack_from(d, q + 2)[0]
    out.append(" (%u)" % bodylen)
    length -= 4
    q += 4
    if length < bodylen:
        out.append(" (invalid)")
        return True
    ret = _tlvs(f, out, d, q, bodylen, length, end)
    if ret == 0:
        length -= bodylen
        q += bodylen
        if length:
            out.append("\n\t----" if f.vflag else " |")
            ret = _tlvs(f, out, d, q, length, length, end)
    if ret == _TRUNC:
        raise _CUT
    if ret == _INVALID:
        out.append(" (invalid)")
    return True


def _prefix(ae, plen, omitted, d, p, dp, length):
    """network_prefix: (16-byte prefix, bytes it took from the packet), or None."""
    pb = (plen + 7) // 8 if plen >= 0 else 4 if ae == 1 else 16
    if pb > 16:
        return None
    if ae == 0:
        return bytes(16), 0
    if ae == 1:
        if omitted > 4 or pb > 4 or (pb > omitted and length < pb - omitted):
            return None
        prefix = bytearray(V4_MAPPED + bytes(4))
        if omitted:
            prefix[:12 + omitted] = dp[:12 + omitted]
        take = max(pb - omitted, 0)
        prefix[12 + omitted:12 + omitted + take] = d[p:p + take]
        return bytes(prefix[:16]), take
    if ae == 2:
        if omitted > 16 or (pb > omitted and length < pb - omitted):
            return None
        prefix = bytearray(16)
        if omitted:
            prefix[:omitted] = dp[:omitted]
        take = max(pb - omitted, 0)
        prefix[omitted:omitted + take] = d[p:p + take]
        return bytes(prefix[:16]), take
    if ae == 3:
        if pb > 8 and length < pb - 8:
            return None
        take = max(pb - 8, 0)
        return (b"\xfe\x80" + bytes(6) + d[p:p + take]).ljust(16, b"\x00"), take
    return None


def _address(a: bytes) -> str:
    return ip4(a[12:]) if a[:12] == V4_MAPPED else ip6(a)


def _format_prefix(a: bytes, plen: int) -> str:
    if plen >= 96 and a[:12] == V4_MAPPED:
        return "%s/%u" % (ip4(a[12:]), plen - 96)
    return "%s/%u" % (ip6(a), plen)


def _source_specific(ae, plen, src_plen, d, body, parsed, tlen):
    """The prefix and the source prefix of a source-specific request (print-babel.c's
    SS-Request and SS-MH-Request), formatted; ``parsed``: the body bytes before them."""
    got = _prefix(ae, plen, 0, d, body + parsed, None, tlen - parsed)
    _need(got is not None)
    parsed += got[1]
    src = _prefix(ae, src_plen, 0, d, body + parsed, None, tlen - parsed)
    _need(src is not None)
    if ae == 1:  # an IPv4 prefix, counted as in a v4-mapped IPv6 address
        plen, src_plen = (plen + 96) & 0xFF, (src_plen + 96) & 0xFF
    return _format_prefix(got[0], plen), _format_prefix(src[0], src_plen)


def _interval(i: int) -> str:
    return "0.0s (bogus)" if i == 0 else "%u.%02us" % (i // 100, i % 100)


def _interval_update(i: int) -> str:
    return "infinity" if i == 0xFFFF else _interval(i)


def _timestamp(i: int) -> str:
    return "%u.%06us" % (i // 1000000, i % 1000000)


def _id(d, p) -> str:
    return ":".join("%02x" % c for c in d[p:p + 8])


def _subtlvs(out, d, p, ep, tlv_type):
    while p < ep:
        sub = d[p]
        p += 1
        if sub == 0:
            out.append(" sub-pad1")
            continue
        if sub & 0x80:
            out.append(" (M)")
        if p == ep:
            out.append(" (invalid)")
            return
        sublen = d[p]
        p += 1
        if p + sublen > ep:
            out.append(" (invalid)")
            return
        if sub == 1:
            out.append(" sub-padn")
            p += sublen
        elif sub == 2:
            out.append(" sub-diversity")
            if sublen == 0:
                out.append(" empty")
                continue
            out.append(" " + "-".join(_SUBTLV_DIVERSITY.get(c, str(c)) for c in d[p:p + sublen]))
            p += sublen
            if tlv_type not in (_UPDATE, _SS_UPDATE):
                out.append(" (bogus)")
        elif sub == 3:
            out.append(" sub-timestamp")
            if tlv_type == _HELLO:
                if sublen < 4:
                    out.append(" (invalid)")
                    return
                out.append(" " + _timestamp(_U32.unpack_from(d, p)[0]))
            elif tlv_type == _IHU:
                if sublen < 8:
                    out.append(" (invalid)")
                    return
                first, second = struct.unpack_from("!II", d, p)
                out.append(" %s|%s" % (_timestamp(first), _timestamp(second)))
            else:
                out.append(" (bogus)")
            p += sublen
        else:
            out.append(" sub-unknown-0x%02x" % sub)
            p += sublen


_BRIEF = {1: " padN", 2: " ack-req", 3: " ack", 4: " hello", 5: " ihu", 6: " router-id", 7: " nh",
          9: " route-request", 10: " seqno-request", 11: " tspc", 12: " hmac", 13: " ss-update",
          14: " ss-request", 15: " ss-mh-request", 16: " mac", 17: " pc", 18: " challenge_request",
          19: " challenge_reply"}


def _tlvs(f, out, d, cp, tlvs_length, remaining, end):
    """babel_print_v2_tlvs: 0, or _TRUNC / _INVALID as tcpdump's -1 / -2."""
    prefixes = {1: V4_MAPPED + bytes(4), 2: bytes(16)}  # the last /prefix Update's, per family
    i = 0
    try:
        while i < tlvs_length:
            m = cp + i
            if i + 1 > tlvs_length or i + 1 > remaining:
                return _INVALID
            if m >= end:
                raise _READ
            kind = d[m]
            if kind == 0:
                out.append("\n\tPad 1" if f.vflag else " pad1")
                i += 1
                continue
            if i + 2 > tlvs_length or i + 2 > remaining:
                return _INVALID
            if m + 2 > end:
                return _TRUNC
            tlen = d[m + 1]
            if i + 2 + tlen > tlvs_length or i + 2 + tlen > remaining:
                return _INVALID
            if m + 2 + tlen > end:
                return _TRUNC
            if not f.vflag:
                if kind == _UPDATE:
                    out.append(" update")
                    if tlen < 10:
                        return _INVALID
                    out.append(_update_flags(d[m + 3]))
                else:
                    out.append(_BRIEF.get(kind, " unknown"))
            else:
                _verbose_tlv(out, d, m, kind, tlen, prefixes)
            i += tlen + 2
    except _Invalid:
        return _INVALID
    return 0


def _update_flags(flags: int) -> str:
    return ("/prefix" if flags & 0x80 else "") + ("/id" if flags & 0x40 else "") + ("/unknown" if flags & 0x3F else "")


def _need(ok: bool):
    if not ok:
        raise _Invalid


def _verbose_tlv(out, d, m, kind, tlen, prefixes):
    u16 = _U16.unpack_from
    if kind == 1:
        out.append("\n\tPad %u" % (tlen + 2))
    elif kind == 2:
        out.append("\n\tAcknowledgment Request ")
        _need(tlen >= 6)
        out.append("%04x %s" % (u16(d, m + 4)[0], _interval(u16(d, m + 6)[0])))
    elif kind == 3:
        out.append("\n\tAcknowledgment ")
        _need(tlen >= 2)
        out.append("%04x" % u16(d, m + 2)[0])
    elif kind == _HELLO:
        out.append("\n\tHello ")
        _need(tlen >= 6)
        if u16(d, m + 2)[0] & 0x8000:
            out.append("(Unicast) ")
        interval = u16(d, m + 6)[0]
        out.append("seqno %u %s" % (u16(d, m + 4)[0], "interval " + _interval(interval) if interval else "unscheduled"))
        if tlen > 6:
            _subtlvs(out, d, m + 8, m + 2 + tlen, kind)
    elif kind == _IHU:
        out.append("\n\tIHU ")
        _need(tlen >= 6)
        ae = d[m + 2]
        got = _prefix(ae, -1, 0, d, m + 8, None, tlen - 6)
        if got is None:
            out.append(" [|babel]")
            return
        addr, rc = got
        out.append("%s rxcost %u interval %s" % ("any" if ae == 0 else _address(addr), u16(d, m + 4)[0],
                                                 _interval(u16(d, m + 6)[0])))
        if rc < tlen - 6:
            _subtlvs(out, d, m + 8 + rc, m + 2 + tlen, kind)
    elif kind == 6:
        out.append("\n\tRouter Id")
        _need(tlen >= 10)
        out.append(" " + _id(d, m + 4))
    elif kind == 7:
        out.append("\n\tNext Hop")
        _need(tlen >= 2)
        ae = d[m + 2]
        got = _prefix(ae, -1, 0, d, m + 4, None, tlen - 2)
        _need(got is not None)
        out.append(" " + ("invalid AE 0" if ae == 0 else _address(got[0])))
    elif kind == _UPDATE:
        out.append("\n\tUpdate")
        _need(tlen >= 10)
        ae, flags = d[m + 2], d[m + 3]
        plen = (d[m + 4] + (96 if ae == 1 else 0)) & 0xFF
        got = _prefix(ae, d[m + 4], d[m + 5], d, m + 12, prefixes[1] if ae == 1 else prefixes[2], tlen - 10)
        _need(got is not None)
        prefix, rc = got
        out.append("%s %s metric %u seqno %u interval %s" % (
            _update_flags(flags), "any" if ae == 0 else _format_prefix(prefix, plen), u16(d, m + 10)[0],
            u16(d, m + 8)[0], _interval_update(u16(d, m + 6)[0])))
        if flags & 0x80:
            prefixes[1 if ae == 1 else 2] = prefix
        if rc < tlen - 10:
            _subtlvs(out, d, m + 12 + rc, m + 2 + tlen, kind)
    elif kind == 9:
        out.append("\n\tRoute Request ")
        _need(tlen >= 2)
        ae = d[m + 2]
        plen = (d[m + 3] + (96 if ae == 1 else 0)) & 0xFF
        got = _prefix(ae, d[m + 3], 0, d, m + 4, None, tlen - 2)
        _need(got is not None)
        out.append("for " + ("any" if ae == 0 else _format_prefix(got[0], plen)))
    elif kind == 10:
        out.append("\n\tSeqno Request ")
        _need(tlen >= 14)
        ae = d[m + 2]
        got = _prefix(ae, d[m + 3], 0, d, m + 16, None, tlen - 14)
        _need(got is not None)
        plen = (d[m + 3] + (96 if ae == 1 else 0)) & 0xFF
        out.append("(%u hops) for %s seqno %u id %s" % (
            d[m + 6], "invalid AE 0" if ae == 0 else _format_prefix(got[0], plen), u16(d, m + 4)[0], _id(d, m + 8)))
    elif kind == 11:
        out.append("\n\tTS/PC ")
        _need(tlen >= 6)
        out.append("timestamp %u packetcounter %u" % (_U32.unpack_from(d, m + 4)[0], u16(d, m + 2)[0]))
    elif kind == 12:
        out.append("\n\tHMAC ")
        _need(tlen >= 18)
        out.append("key-id %u digest-%u %s" % (u16(d, m + 2)[0], tlen - 2, d[m + 4:m + 2 + tlen].hex().upper()))
    elif kind == _SS_UPDATE:
        out.append("\n\tSS-Update")
        _need(tlen >= 10)
        ae, src_plen, plen, omitted = d[m + 2], d[m + 3], d[m + 4], d[m + 5]
        parsed = 10
        got = _prefix(ae, plen, omitted, d, m + 2 + parsed, prefixes[1] if ae == 1 else prefixes[2], tlen - parsed)
        _need(got is not None)
        prefix, rc = got
        if ae == 1:
            plen = (plen + 96) & 0xFF
        parsed += rc
        got = _prefix(ae, src_plen, 0, d, m + 2 + parsed, None, tlen - parsed)
        _need(got is not None)
        src, rc = got
        if ae == 1:
            src_plen = (src_plen + 96) & 0xFF
        parsed += rc
        out.append(" %s from %s metric %u seqno %u interval %s" % (
            _format_prefix(prefix, plen), _format_prefix(src, src_plen), u16(d, m + 10)[0], u16(d, m + 8)[0],
            _interval_update(u16(d, m + 6)[0])))
        if parsed < tlen:
            _subtlvs(out, d, m + 2 + parsed, m + 2 + tlen, kind)
    elif kind == 14:
        out.append("\n\tSS-Request ")
        _need(tlen >= 3)
        ae = d[m + 2]
        prefixes = _source_specific(ae, d[m + 3], d[m + 4], d, m + 2, 3, tlen)
        out.append("for any" if ae == 0 else "for (%s, %s)" % prefixes)
    elif kind == 15:
        out.append("\n\tSS-MH-Request ")
        _need(tlen >= 14)
        ae, hopc = d[m + 2], d[m + 6]
        prefix, source = _source_specific(ae, d[m + 3], d[m + 7], d, m + 2, 14, tlen)
        out.append("(%u hops) for (%s, %s) seqno %u id %s" % (hopc, prefix, source, u16(d, m + 4)[0], _id(d, m + 8)))
    elif kind == 16:
        out.append("\n\tMAC len %u" % tlen)
    elif kind == 17:
        out.append("\n\tPC")
        _need(tlen >= 4)
        out.append(" value %u index len %u" % (_U32.unpack_from(d, m + 2)[0], tlen - 4))
    elif kind in (18, 19):
        out.append("\n\tChallenge Request" if kind == 18 else "\n\tChallenge Reply")
        _need(tlen <= 192)
        out.append(" len %u" % tlen)
    else:
        out.append("\n\tUnknown message type %u" % kind)


dispatch.ports(dispatch.UDP_PORTS, babel_print, 6696, 6697)
