"""MPLS (Ethernet types 0x8847/0x8848, UDP port 6635, inside GRE), as tcpdump
4.99.3's print-mpls.c prints it: the label stack, then what the bottom label
or the first payload byte says follows (IPv4, IPv6), else the payload in hex.

``MPLS (label 100, tc 0, ttl 64) (label 200, tc 0, [S], ttl 64) IP ...``; with
-v each label after the first on a line of its own, reserved labels named.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture import fmt_base
from netlab.capture.fmt_base import Truncated, default_print_suppressed

_CUT = Truncated("mpls")
_U32 = struct.Struct("!I")

_RESERVED = ("IPv4 explicit NULL", "router alert", "IPv6 explicit NULL", "implicit NULL") + ("rsvd",) * 12


def mpls_print(f, out, d, p, length, end):
    out.append("MPLS")
    depth = 0
    while True:
        if length < 4:
            out.append(" (invalid)")
            if p + length > end:
                raise _CUT
            return
        if p + 4 > end:
            raise _CUT
        entry = _U32.unpack_from(d, p)[0]
        label, tc, bottom, ttl = entry >> 12, (entry >> 9) & 7, entry & 0x100, entry & 0xFF
        out.append("%s(label %u" % ("\n\t" if depth and f.vflag else " ", label))
        depth += 1
        if f.vflag and label < 16:
            out.append(" (%s)" % _RESERVED[label])
        out.append(", tc %u%s, ttl %u)" % (tc, ", [S]" if bottom else "", ttl))
        p += 4
        length -= 4
        if bottom:
            break
    if label in (0, 3):
        inner = dispatch.ETH_P_IP
    elif label == 2:
        inner = dispatch.ETH_P_IPV6
    else:
        if length < 1:
            return
        if p >= end:
            raise _CUT
        first = d[p]
        # a guess from the first byte, as tcpdump makes it (OSI, 0x81-0x83, netlab does not decode)
        inner = dispatch.ETH_P_IP if 0x45 <= first <= 0x4F else dispatch.ETH_P_IPV6 if 0x60 <= first <= 0x6F else None
    if inner is None:
        default_print(f, out, d, p, length, end, _CUT)
        return
    out.append("\n\t" if f.vflag else " ")
    dispatch.ETHERTYPES[inner](f, out, d, p, length, end)


def default_print(f, out, d, p, length, end, cut):
    """tcpdump's ND_DEFAULTPRINT of ``length`` bytes at p: hex and ASCII lines (none with -q or a
    -x/-X dump); bytes the capture lacks end it with ``cut``."""
    if default_print_suppressed(f):
        return
    fmt_base.default_print(f, out, d[p:min(p + length, end)])
    if p + length > end:
        raise cut


def _mpls_udp(f, out, d, q, length, end, ulen, fragmented):
    mpls_print(f, out, d, q, length, end)
    return True


dispatch.ETHERTYPES[0x8847] = mpls_print
dispatch.ETHERTYPES[0x8848] = mpls_print
dispatch.ports(dispatch.UDP_PORTS, _mpls_udp, 6635)
