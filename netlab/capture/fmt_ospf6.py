"""OSPFv3 (IP protocol 89 over IPv6), as tcpdump 4.99.3's print-ospf6.c prints it.

``OSPFv3, Hello, length 40``; -v adds the router, area and instance, and the body:
a Hello's options, timers, interface id and DR/BDR (-vv its neighbours), a Database
Description's options, flags, MTU and sequence (-vv its LSA headers); with -vv the
LS-Requests, LS-Updates (router, network, inter-area prefix, external, link,
intra-area prefix and grace LSAs decoded, others in hex) and LS-Acks; then an LLS
block and an authentication trailer. A read past the capture ends the line with
`` [|ospf3]``. Not decoded (tcpdump does): Intra-Area-TE LSAs' TLVs (in hex here).
"""

from __future__ import annotations

from netlab.capture import dispatch
from netlab.capture.fmt_base import CheckedReader, Truncated, hex_print, ip6

_READ = Truncated("ospf3")              # GET_ past the capture: tcpdump's longjmp
_CUT = Truncated("ospf3", whole=False)  # ospf6_print's own "goto trunc"
_TYPES = {1: "Hello", 2: "Database Description", 3: "LS-Request", 4: "LS-Update", 5: "LS-Ack"}
_OPTIONS = ((0x01, "V6"), (0x02, "External"), (0x04, "Deprecated"), (0x08, "NSSA"), (0x10, "Router"),
            (0x20, "Demand Circuit"), (0x100, "AFs Support"), (0x200, "LLS"), (0x400, "Authentication Trailer"))
_RLA_FLAGS = ((0x01, "ABR"), (0x02, "External"), (0x04, "Virtual-Link Endpoint"), (0x08, "Deprecated"),
              (0x10, "NSSA Translator"))
_ASLA_FLAGS = ((0x80000000, "External Type 2"), (0x02000000, "Forwarding"), (0x01000000, "Tag"))
_DD_FLAGS = ((0x04, "Init"), (0x02, "More"), (0x01, "Master"), (0x10, "IPv6 MTU"))
_PREFIX_OPTIONS = ((0x01, "No Unicast"), (0x02, "Local address"), (0x04, "Deprecated"), (0x08, "Propagate"),
                   (0x10, "Down"), (0x20, "N-bit"))
_LSA_TYPES = {1: "Router", 2: "Network", 3: "Inter-Area Prefix", 4: "Inter-Area Router", 5: "External",
              6: "Deprecated", 7: "NSSA", 8: "Link", 9: "Intra-Area Prefix", 10: "Intra-Area TE", 11: "Grace",
              12: "Router Information", 13: "Inter-AS-TE", 14: "Layer 1 VPN"}
_SCOPES = {0x0000: "Link Local", 0x2000: "Area Local", 0x4000: "Domain Wide"}
_GRACE_TLVS = {1: "Grace Period", 2: "Graceful restart Reason", 3: "IPv4 interface address"}
_GRACE_REASONS = {0: "Unknown", 1: "Software Restart", 2: "Software Reload/Upgrade", 3: "Control Processor Switch"}
_LSA_HDR = 20
_AT_HDR = 16
_LLS_HDR = 4


class _Stop(Exception):
    """One of ospf6_print's helpers returned "truncated": the line ends with `` [|ospf3]``."""


def _bits(table, value: int) -> str:
    return ", ".join(name for bit, name in table if value & bit) or "none"


def _ip6_at(r: CheckedReader, at: int) -> str:
    r.need(at, 16)
    return ip6(r.d[at:at + 16])


def ospf6_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    r = CheckedReader(d, end, _READ)
    kind = r.u8(p + 1)
    name = _TYPES.get(kind)
    out.append("OSPFv%u, %s, length %u" % (r.u8(p), name or "unknown packet type (%u)" % kind, length))
    if name is None or not f.vflag:
        return
    datalen = r.u16(p + 2)
    if datalen > length:
        out.append(" [len %u]" % datalen)
        return
    dataend = p + datalen
    out.append("\n\tRouter-ID %s" % r.ip4(p + 4))
    out.append(", Area %s" % r.ip4(p + 8) if r.u32(p + 8) else ", Backbone Area")
    if r.u8(p + 14):
        out.append(", Instance %u" % r.u8(p + 14))
    if r.u8(p) != 3:
        return
    try:
        _BODIES[kind](f, out, r, p, dataend)
        _trailer(f, out, r, p, kind, dataend, length - datalen)
    except _Stop:
        raise _CUT from None


def _ls_type(out, r, ls_type, at):
    out.append("\n\t    %s LSA (%u), %s Scope%s, LSA-ID %s" % (
        _LSA_TYPES.get(ls_type & 0x1FFF, "Unknown"), ls_type & 0x1FFF, _SCOPES.get(ls_type & 0x6000, "Unknown"),
        ", transitive" if ls_type & 0x8000 else "", r.ip4(at)))


def _lshdr(out, r, q, dataend):
    if q + _LSA_HDR > dataend:
        raise _Stop
    out.append("\n\t  Advertising Router %s, seq 0x%08x, age %us, length %u" % (
        r.ip4(q + 8), r.u32(q + 12), r.u16(q), (r.u16(q + 18) - _LSA_HDR) & 0xFFFFFFFFFFFFFFFF))
    _ls_type(out, r, r.u16(q + 2), q + 4)


def _hello(f, out, r, p, dataend):
    h = p + 16
    out.append("\n\tOptions [%s]" % _bits(_OPTIONS, r.u32(h + 4)))
    out.append("\n\t  Hello Timer %us, Dead Timer %us, Interface-ID %s, Priority %u" % (
        r.u16(h + 8), r.u16(h + 10), r.ip4(h), r.u8(h + 4)))
    if r.u32(h + 12):
        out.append("\n\t  Designated Router %s" % r.ip4(h + 12))
    if r.u32(h + 16):
        out.append(", Backup Designated Router %s" % r.ip4(h + 16))
    if f.vflag > 1:
        out.append("\n\t  Neighbor List:")
        a = h + 20
        while a < dataend:
            out.append("\n\t    %s" % r.ip4(a))
            a += 4


def _dd(f, out, r, p, dataend):
    dd = p + 16
    out.append("\n\tOptions [%s]" % _bits(_OPTIONS, r.u32(dd)))
    out.append(", DD Flags [%s]" % _bits(_DD_FLAGS, r.u8(dd + 7)))
    out.append(", MTU %u, DD-Sequence 0x%08x" % (r.u16(dd + 4), r.u32(dd + 8)))
    if f.vflag > 1:
        _lshdrs(out, r, dd + 12, dataend)


def _lshdrs(out, r, q, dataend):
    while q < dataend:
        _lshdr(out, r, q, dataend)
        q += _LSA_HDR


def _ls_request(f, out, r, p, dataend):
    if f.vflag < 2:
        return
    q = p + 16
    while q < dataend:
        if q + 12 > r.end:
            raise _Stop
        out.append("\n\t  Advertising Router %s" % r.ip4(q + 8))
        _ls_type(out, r, r.u16(q + 2), q + 4)
        q += 12


def _ls_update(f, out, r, p, dataend):
    if f.vflag < 2:
        return
    count = r.u32(p + 16)
    count = count - (1 << 32) if count & 0x80000000 else count  # (tcpdump's int: "while (i--)")
    q = p + 20
    while q < dataend and count:
        count -= 1
        _lsa(out, r, q, dataend)
        q += r.u16(q + 18)


def _ls_ack(f, out, r, p, dataend):
    if f.vflag > 1:
        _lshdrs(out, r, p + 16, dataend)


def _prefix(out, r, t, left) -> int:
    """ospf6_print_lsaprefix: the prefix's bytes; _Stop where tcpdump returns -1."""
    if left < 4 or t + 4 > r.end:
        raise _Stop
    left -= 4
    plen = r.u8(t)
    words = (plen + 31) // 32
    if words * 4 > 16:
        out.append(" bogus prefixlen /%u" % plen)
        raise _Stop
    if left < words * 4:
        raise _Stop
    r.need(t + 4, words * 4)
    out.append("\n\t\t%s/%u" % (ip6(r.d[t + 4:t + 4 + words * 4].ljust(16, b"\x00")), plen))
    if r.u8(t + 1):
        out.append(", Options [%s]" % _bits(_PREFIX_OPTIONS, r.u8(t + 1)))
    out.append(", metric %u" % r.u16(t + 2))
    return 4 + words * 4


def _prefixes(out, r, t, left, count=None):
    """A run of prefixes: count of them, or as many as fill left."""
    while (left != 0) if count is None else (count > 0):
        size = _prefix(out, r, t, left)
        left -= size
        t += size
        if count is not None:
            count -= 1


def _lsa(out, r, q, dataend):
    _lshdr(out, r, q, dataend)
    length = r.u16(q + 18)
    if length < _LSA_HDR or q + length > dataend:
        raise _Stop
    left = length - _LSA_HDR
    t = q + _LSA_HDR
    ls_type = r.u16(q + 2)
    if ls_type == 0x2001:  # router
        if left < 4:
            raise _Stop
        left -= 4
        out.append("\n\t      Options [%s], RLA-Flags [%s]" % (_bits(_OPTIONS, r.u32(t)), _bits(_RLA_FLAGS, r.u8(t))))
        link = t + 4
        while left:
            if left < 16:
                raise _Stop
            left -= 16
            if link + 16 > r.end:
                raise _Stop
            kind = r.u8(link)
            text = {4: "Virtual Link: Neighbor Router-ID", 1: "Neighbor Router-ID", 2: "Neighbor Network-ID"}.get(kind)
            if text is None:
                out.append("\n\t      Unknown Router Links Type 0x%02x" % kind)
                return
            out.append("\n\t      %s %s\n\t      Neighbor Interface-ID %s, Interface %s, metric %u" % (
                text, r.ip4(link + 12), r.ip4(link + 8), r.ip4(link + 4), r.u16(link + 2)))
            link += 16
    elif ls_type == 0x2002:  # network
        if left < 4:
            raise _Stop
        left -= 4
        out.append("\n\t      Options [%s]\n\t      Connected Routers:" % _bits(_OPTIONS, r.u32(t)))
        a = t + 4
        while left:
            if left < 4:
                raise _Stop
            left -= 4
            out.append("\n\t\t%s" % r.ip4(a))
            a += 4
    elif ls_type == 0x2003:  # inter-area prefix
        if left < 4:
            raise _Stop
        out.append(", metric %u" % (r.u32(t) & 0xFFFFFF))
        _prefixes(out, r, t + 4, left - 4)
    elif ls_type == 0x4005:  # AS external
        if left < 4:
            raise _Stop
        left -= 4
        flags = r.u32(t)
        out.append("\n\t     Flags [%s] metric %u" % (_bits(_ASLA_FLAGS, flags), flags & 0xFFFFFF))
        prefix_at = t + 4
        size = _prefix(out, r, prefix_at, left)
        left -= size
        a = prefix_at + size
        if flags & 0x02000000:
            if left < 16:
                raise _Stop
            left -= 16
            out.append(" forward %s" % _ip6_at(r, a))
            a += 16
        if flags & 0x01000000:
            if left < 4:
                raise _Stop
            left -= 4
            out.append(" tag %s" % r.ip4(a))
            a += 4
        if r.u8(prefix_at + 2):  # (the referenced LS type's place: tcpdump reads the metric's first byte)
            if left < 4:
                raise _Stop
            out.append(" RefLSID: %s" % r.ip4(a))
    elif ls_type == 0x0008:  # link
        if left < 4:
            raise _Stop
        left -= 4
        if t + 4 > r.end:
            raise _Stop
        out.append("\n\t      Options [%s]" % _bits(_OPTIONS, r.u32(t)))
        if left < 20:
            raise _Stop
        left -= 20
        count = r.u32(t + 20)
        out.append("\n\t      Priority %u, Link-local address %s, Prefixes %u:" % (r.u8(t), _ip6_at(r, t + 4), count))
        _prefixes(out, r, t + 24, left, count)
    elif ls_type == 0x2009:  # intra-area prefix (tcpdump counts 6 of its 12 fixed bytes)
        if left < 4:
            raise _Stop
        left -= 4
        if t + 12 > r.end:
            raise _Stop
        _ls_type(out, r, r.u16(t + 2), t + 4)
        if left < 2:
            raise _Stop
        left -= 2
        count = r.u16(t)
        out.append("\n\t      Prefixes %u:" % count)
        _prefixes(out, r, t + 12, left, count)
    elif ls_type == 0x000B:  # grace
        _grace(out, r, t, left)
    else:
        if t > r.end:
            out.append("\n\t      Dissector error: print_unknown_data called with pointer past end of packet")
            raise _Stop
        out.append(hex_print("\n\t      ", r.d[t:min(t + left, r.end)]))


def _grace(out, r, t, left):
    """ospf_grace_lsa_print (print-ospf.c)."""
    while left > 0:
        if t + 4 > r.end:
            raise _Stop
        if left < 4:
            out.append("\n\t    Remaining LS length %u < 4" % left)
            raise _Stop
        kind, tlen = r.u16(t), r.u16(t + 2)
        t += 4
        left -= 4
        out.append("\n\t    %s TLV (%u), length %u, value: " % (_GRACE_TLVS.get(kind, "unknown"), kind, tlen))
        if tlen > left:
            out.append("\n\t    Bogus length %u > %u" % (tlen, left))
            raise _Stop
        if kind == 0 or tlen == 0 or t + tlen > r.end:
            raise _Stop
        if kind in (1, 3):
            if tlen != 4:
                out.append("\n\t    Bogus length %u != 4" % tlen)
                raise _Stop
            out.append("%us" % r.u32(t) if kind == 1 else r.ip4(t))
        elif kind == 2:
            if tlen != 1:
                out.append("\n\t    Bogus length %u != 1" % tlen)
                raise _Stop
            out.append("%s (%u)" % (_GRACE_REASONS.get(r.u8(t), "Unknown"), r.u8(t)))
        else:  # (tcpdump's vflag <= 1 test: LSAs are printed at -vv and up only, so never)
            pass
        tlen += -tlen % 4
        left -= tlen
        t += tlen


def _trailer(f, out, r, p, kind, dataend, left):
    """ospf6_decode_v3_trailer: an LLS block (Hellos and DDs with the L bit), then an
    authentication trailer."""
    lls = 0
    if (kind == 1 and r.u32(p + 20) & 0x200) or (kind == 2 and r.u32(p + 16) & 0x200):
        if left:
            if left < _LLS_HDR:
                raise _Stop
            out.append("\n\tLLS Checksum 0x%04x" % r.u16(dataend))
            lls = r.u16(dataend + 2)
            out.append(", Data Length %u" % lls)
            if lls < _LLS_HDR or lls > left or dataend + lls > r.end:
                raise _Stop
    at, left = dataend + lls, left - lls
    if left == 0:
        return
    if left < _AT_HDR:
        raise _Stop
    auth = r.u16(at)
    out.append("\n\tAuthentication Type %s" % ("HMAC" if auth == 1 else "unknown (0x%04x)" % auth))
    size = r.u16(at + 2)
    out.append(", Length %u" % size)
    if size < _AT_HDR or size > left:
        raise _Stop
    out.append(", SAID %u" % r.u16(at + 6))  # (each piece printed before the next is read)
    out.append(", CSN 0x%08x" % r.u32(at + 8))
    out.append(":%08x" % r.u32(at + 12))
    if at + size > r.end:
        raise _Stop
    if f.vflag > 1:
        out.append(hex_print("\n\tAuthentication Data ", r.d[at + _AT_HDR:at + size]))


_BODIES = {1: _hello, 2: _dd, 3: _ls_request, 4: _ls_update, 5: _ls_ack}
dispatch.ip_proto(89, ospf6_print, v4=False)
