"""VRRP (IP protocol 112), versions 2 and 3, as tcpdump 4.99.3's print-vrrp.c prints it.

``VRRPv2, Advertisement, vrid 51, prio 100, authtype none, intvl 1s, length 20``;
a TTL other than 255 is shown (RFC 5798 wants 255); -v adds a bad checksum and
the virtual addresses (and version 2's simple-text password). A field past the
capture ends the line with `` [|vrrp]``.
"""

from __future__ import annotations

from netlab.capture import dispatch
from netlab.capture.fmt_base import CheckedReader, Truncated, ip4, ip6, printjnp, pseudo4, pseudo6
from netlab.core.inet import checksum

_CUT = Truncated("vrrp")
_AUTH = {0: "none", 1: "simple", 2: "ah"}


def vrrp_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    out.append("VRRP")
    r = CheckedReader(d, end, _CUT, p)
    first = r.u8(0)
    version, kind = first >> 4, first & 0x0F
    out.append("v%u, %s" % (version, "Advertisement" if kind == 1 else "unknown type (%u)" % kind))
    ttl = d[ipoff + 7] if v6 else d[ipoff + 8]
    if ttl != 255:
        out.append(", (ttl %u)" % ttl)
    if version not in (2, 3) or kind != 1:
        return
    out.append(", vrid %u, prio %u" % (r.u8(1), r.u8(2)))
    if version == 2:
        auth = r.u8(4)
        out.append(", authtype %s" % _AUTH.get(auth, "#%d" % auth))
        out.append(", intvl %us, length %u" % (r.u8(5), length))
    else:
        out.append(", intvl %ucs, length %u" % ((r.u8(4) & 0x0F) << 8 | r.u8(5), length))
    if not f.vflag:
        return
    naddrs = r.u8(3)
    if p + length <= end:
        if version == 2:
            bad = checksum(d[p:p + length])
        elif v6:
            bad = checksum(pseudo6(d[ipoff + 8:ipoff + 24], d[ipoff + 24:ipoff + 40], 112, length) + d[p:p + length])
        else:
            bad = checksum(pseudo4(d[ipoff + 12:ipoff + 16], d[ipoff + 16:ipoff + 20], 112, length) + d[p:p + length])
        if bad:
            out.append(", (bad vrrp cksum %x)" % r.u16(6))
    out.append(", addrs")
    if naddrs > 1:
        out.append("(%u)" % naddrs)
    out.append(":")
    q = p + 8
    size = 16 if v6 else 4
    for i in range(naddrs):
        if q + size > end:
            raise _CUT
        out.append("%s%s" % (" " if i == 0 else ",", ip6(d[q:q + 16]) if v6 else ip4(d[q:q + 4])))
        q += size
    if version == 2 and auth == 1:
        out.append(' auth "')
        printjnp(out, d, q, 8, end, _CUT)
        out.append('"')


dispatch.ip_proto(112, vrrp_print)
