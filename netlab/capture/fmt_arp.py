"""ARP as tcpdump 4.99 prints it: ``ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28``."""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import TRUNC, default_print, ip4, linkaddr

_ARP = struct.Struct("!HHBBH")
_OPS = {1: "Request", 2: "Reply", 3: "Reverse Request", 4: "Reverse Reply", 8: "InvRequest", 9: "InvReply",
        10: "NACK Reply"}
_HRD = {1: "Ethernet", 6: "TokenRing", 15: "FrameRelay", 19: "ATM", 24: "IEEE1394", 32: "InfiniBand"}
_PRO = {0x0800: "IPv4", 0x86DD: "IPv6", 0x0806: "ARP"}


def arp_print(f, out, d, p, length, end):
    if p + 8 > end:
        raise TRUNC["arp"]
    hrd, pro, hln, pln, op = _ARP.unpack_from(d, p)
    sha = p + 8
    spa = sha + hln
    tha = spa + pln
    tpa = tha + hln
    if tpa + pln > end:
        raise TRUNC["arp"]
    if not f.eflag:
        out.append("ARP, ")
    if (pro != 0x0800 and pro != 0x1000) or pln != 4 or hln == 0 or f.vflag:
        out.append("%s (len %u), %s (len %u)" % (_HRD.get(hrd, "Unknown Hardware (%u)" % hrd), hln,
                                                 _PRO.get(pro, "Unknown Protocol (0x%04x)" % pro), pln))
        if not f.vflag:
            out.append(", length %u" % length)
            return
    out.append("%s%s " % (", " if f.vflag else "", _OPS.get(op, "Unknown (%u)" % op)))

    def paddr(q):
        if pro == 0x0800 and pln == 4:
            return ip4(d[q:q + 4])
        return "<wrong proto type>" if pro != 0x0800 else "<wrong len>"

    if op == 1:
        out.append("who-has " + paddr(tpa))
        if any(d[tha:tha + hln]):
            out.append(" (%s)" % linkaddr(d[tha:tha + hln]))
        out.append(" tell " + paddr(spa))
    elif op == 2:
        out.append(paddr(spa) + " is-at " + linkaddr(d[sha:sha + hln]))
    elif op == 3:
        out.append("who-is %s tell %s" % (linkaddr(d[tha:tha + hln]), linkaddr(d[sha:sha + hln])))
    elif op == 4:
        out.append("%s at %s" % (linkaddr(d[tha:tha + hln]), paddr(tpa)))
    elif op == 8:
        out.append("who-is %s tell %s" % (linkaddr(d[tha:tha + hln]), linkaddr(d[sha:sha + hln])))
    elif op == 9:
        out.append("%s at %s" % (linkaddr(d[sha:sha + hln]), paddr(spa)))
    else:
        # an unknown operation: tcpdump dumps the ARP bytes, unguarded (-q, -x and -X too)
        default_print(f, out, d[p:end], always=True)
        return
    out.append(", length %u" % length)


dispatch.ETHERTYPES[0x0806] = arp_print
dispatch.ETHERTYPES[0x8035] = arp_print  # Reverse ARP
