"""BOOTP/DHCP on UDP ports 67 and 68, as tcpdump 4.99.3's print-bootp.c prints it.

Without -v one line: ``BOOTP/DHCP, Request from 02:00:4d:00:00:01, length 300``.
With -v the header fields that are set (xid, secs, flags, the four addresses,
the client's Ethernet address, server name and boot file) on indented lines,
then every vendor option (RFC 1048/2132: ``DHCP-Message (53), length 1:
Discover``), each printed by the format tcpdump's table gives its tag; -vv adds
the flags word in hex, -vvv the PAD and END options.

Two ways out when the capture ends early, as in tcpdump: a field read past it
(its GET_ macros) jumps out of every printer (``Truncated``: the whole frame is
dumped); its own checks print `` [|bootp]`` and return.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, checked_readers, hex_print, ip4, mac, printjn, printztn

_CUT = Truncated("bootp")  # a read past the capture: tcpdump's longjmp
_SOFT_CUT = " [|bootp]"     # tcpdump's own check failed: the marker, and the line ends
_u8, _u16, _u32 = checked_readers(_CUT)

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_S32 = struct.Struct("!i")

_RFC1048_COOKIE = bytes([99, 130, 83, 99])
_CMU_COOKIE = b"CMU\x00"
_TAG_PAD, _TAG_END = 0, 255

# tag -> format letter + name, as tcpdump's tag2str: i addresses, l/L 32-bit words (unsigned/signed),
# s 16-bit words, b dotted bytes, B booleans, p address pairs, a text, $ decoded one by one, ' ' none
_TAGS = {
    0: " PAD", 1: "iSubnet-Mask", 2: "LTime-Zone", 3: "iDefault-Gateway", 4: "iTime-Server",
    5: "iIEN-Name-Server", 6: "iDomain-Name-Server", 7: "iLOG", 8: "iCS", 9: "iLPR-Server", 10: "iIM", 11: "iRL",
    12: "aHostname", 13: "sBS", 255: " END", 14: "aDP", 15: "aDomain-Name", 16: "iSS", 17: "aRP", 18: "aEP",
    19: "BIPF", 20: "BSRT", 21: "pPF", 22: "sRSZ", 23: "bTTL", 24: "lMTU-Timeout", 25: "sMTU-Table", 26: "sMTU",
    27: "BLSN", 28: "iBR", 29: "BMD", 30: "BMS", 31: "BRouter-Discovery", 32: "iRSA", 33: "pStatic-Route",
    34: "BUT", 35: "lAT", 36: "BIE", 37: "bTT", 38: "lKI", 39: "BKG", 40: "aYD", 41: "iYS", 42: "iNTP",
    43: "bVendor-Option", 44: "iNetbios-Name-Server", 45: "iWDD", 46: "$Netbios-Node", 47: "aNetbios-Scope",
    48: "iXFS", 49: "iXDM", 64: "sN+D", 65: "iN+S", 68: "iMH", 69: "iSMTP", 70: "iPOP3", 71: "iNNTP", 72: "iWWW",
    73: "iFG", 74: "iIRC", 75: "iSTS", 76: "iSTDA", 50: "iRequested-IP", 51: "lLease-Time", 52: "$OO",
    66: "aTFTP", 67: "aBF", 53: " DHCP-Message", 54: "iServer-ID", 55: "bParameter-Request", 56: "aMSG",
    57: "sMSZ", 58: "lRN", 59: "lRB", 60: "aVendor-Class", 61: "$Client-ID", 98: "aUAP", 116: "BNOAUTO",
    78: "bSLP-DA", 79: "bSLP-SCOPE", 117: "sNSSEARCH", 77: "$User-Class", 118: "iSUBNET",
    121: "$Classless-Static-Route", 249: "$Classless-Static-Route-Microsoft", 150: "iTFTP-Server-Address",
    80: "aSLP-NA", 81: "$FQDN", 82: "$Agent-Information", 83: "bARMT", 88: "aTZSTR", 89: "bFQDNS", 90: "bAUTH",
    91: "LLast-Transaction-Time", 92: "iAssociated-IP", 93: "sARCH", 94: "bNDI", 97: "bGUID", 95: "aLDAP",
    100: "aPOSIX-TZ", 101: "aTZ-Name", 112: "iNI", 113: "aNITAG", 114: "aURL", 161: "aMUD-URL",
}
_UNKNOWN_TAG = "?Unknown"

_DHCP_MESSAGES = {1: "Discover", 2: "Offer", 3: "Request", 4: "Decline", 5: "ACK", 6: "NACK", 7: "Release",
                  8: "Inform", 10: "LeaseQuery", 11: "LeaseUnassigned", 12: "LeaseUnknown", 13: "LeaseActive"}
_OVERLOAD = {1: "file", 2: "sname", 3: "file+sname"}
_NETBIOS_NODES = {1: "b-node", 2: "p-node", 4: "m-node", 8: "h-node"}
_HW_TYPES = {1: "ether", 6: "ieee802", 7: "arcnet", 15: "frelay", 23: "strip", 24: "ieee1394"}
_AGENT_SUBOPTIONS = {1: "Circuit-ID", 2: "Remote-ID", 6: "Subscriber-ID"}


def bootp_print(f, out, d, q, length, end, ulen, fragmented):
    op = _u8(d, q, end)
    out.append("BOOTP/DHCP, %s" % {1: "Request", 2: "Reply"}.get(op, "unknown (0x%02x)" % op))
    htype = _u8(d, q + 1, end)
    hlen = _u8(d, q + 2, end)
    ether = htype == 1 and hlen == 6
    if ether and op == 1:
        if q + 34 > end:
            raise _CUT
        out.append(" from %s" % mac(d[q + 28:q + 34]))
    out.append(", length %u" % length)
    if not f.vflag:
        return True
    if q + 10 > end:
        out.append(_SOFT_CUT)
        return True
    if htype != 1:
        out.append(", htype %u" % htype)
    if not ether:
        out.append(", hlen %u" % hlen)
    hops = _u8(d, q + 3, end)
    if hops:
        out.append(", hops %u" % hops)
    xid = _u32(d, q + 4, end)
    if xid:
        out.append(", xid 0x%x" % xid)
    secs = _u16(d, q + 8, end)
    if secs:
        out.append(", secs %u" % secs)
    flags = _u16(d, q + 10, end)
    out.append(", Flags [%s]" % ("Broadcast" if flags & 0x8000 else "none"))
    if f.vflag > 1:
        out.append(" (0x%04x)" % flags)
    for label, at in (("Client-IP", 12), ("Your-IP", 16), ("Server-IP", 20), ("Gateway-IP", 24)):
        if _u32(d, q + at, end):
            out.append("\n\t  %s %s" % (label, ip4(d[q + at:q + at + 4])))
    if ether:
        if q + 34 > end:
            raise _CUT
        out.append("\n\t  Client-Ethernet-Address %s" % mac(d[q + 28:q + 34]))
    for label, at, size in (("sname", 44, 64), ("file", 108, 128)):
        if _u8(d, q + at, end):
            out.append('\n\t  %s "' % label)
            if not printztn(out, d, q + at, size, end):
                out.append('"' + _SOFT_CUT)
                return True
            out.append('"')
    vend = q + 236
    if vend + 4 > end:
        out.append(_SOFT_CUT)
        return True
    cookie = d[vend:vend + 4]
    if cookie == _RFC1048_COOKIE:
        _rfc1048(f, out, d, vend, end)
    elif cookie == _CMU_COOKIE:
        _cmu(out, d, vend, end)
    else:
        word = _U32.unpack_from(cookie)[0]
        if word:
            out.append("\n\t  Vendor-#0x%x" % word)
    return True


def _rfc1048(f, out, d, p, end):
    """rfc1048_print: the magic cookie, then each option up to END or the end of the capture."""
    out.append("\n\t  Vendor-rfc1048 Extensions")
    out.append("\n\t    Magic Cookie 0x%08x" % _U32.unpack_from(d, p)[0])
    p += 4
    while p < end:
        tag = d[p]
        p += 1
        if f.vflag < 3 and tag == _TAG_PAD:
            continue
        if f.vflag < 3 and tag == _TAG_END:
            return
        spec = _TAGS.get(tag, _UNKNOWN_TAG)
        kind, name = spec[0], spec[1:]
        if tag in (_TAG_PAD, _TAG_END):
            olen = 0
        else:
            olen = _u8(d, p, end)
            p += 1
        out.append("\n\t    %s (%u), length %u%s" % (name, tag, olen, ": " if olen else ""))
        if tag == _TAG_PAD:  # (-vvv only) a run of PADs counts as one
            n = 1
            while p < end and d[p] == _TAG_PAD:
                p += 1
                n += 1
            if n > 1:
                out.append(", occurs %u" % n)
        if p + olen > end:
            out.append(_SOFT_CUT)
            return
        if tag == 53 and olen == 1:
            out.append(_DHCP_MESSAGES.get(d[p], "Unknown (%u)" % d[p]))
            p += 1
            continue
        if tag == 55:
            for k in range(olen):
                inner = d[p + k]
                out.append("\n\t      " if k % 4 == 0 else ", ")
                out.append("%s (%u)" % (_TAGS.get(inner, _UNKNOWN_TAG)[1:], inner))
            p += olen
            continue
        if kind == "?":  # an unknown tag: words or bytes by its length
            kind = "b" if olen & 1 else ("s" if olen & 2 else "l")
        value = d[p:p + olen]
        left = _option(out, tag, kind, value)
        if left is None:  # a string the capture cut (cannot happen after the check above)
            out.append(_SOFT_CUT)
            return
        p += olen
        if left:
            out.append("\n\t  trailing data length %u" % left)


def _option(out, tag, kind, v):
    """One option's value as tcpdump prints it by its format letter; the bytes it left over."""
    n = len(v)
    if kind == "a":
        out.append('"%s"' % printjn(v))
        return 0
    if kind in "ilL":
        words = []
        for i in range(0, n - 3, 4):
            if kind == "i":
                words.append(ip4(v[i:i + 4]))
            elif kind == "L":
                words.append("%d" % _S32.unpack_from(v, i)[0])
            else:
                words.append("%u" % _U32.unpack_from(v, i)[0])
        out.append(",".join(words))
        return n % 4
    if kind == "p":
        out.append(",".join("(%s:%s)" % (ip4(v[i:i + 4]), ip4(v[i + 4:i + 8])) for i in range(0, n - 7, 8)))
        return n % 8
    if kind == "s":
        out.append(",".join("%u" % _U16.unpack_from(v, i)[0] for i in range(0, n - 1, 2)))
        return n % 2
    if kind == "B":
        out.append(",".join({0: "N", 1: "Y"}.get(c, "%u?" % c) for c in v))
        return 0
    if kind == "$":
        return _special(out, tag, v)
    out.append(".".join("%u" % c for c in v))  # 'b', and the letterless DHCP-Message of a wrong length
    return 0


def _special(out, tag, v):
    """The options tcpdump decodes one by one ('$' in its table)."""
    n = len(v)
    if tag in (46, 52):  # NetBIOS node type, option overload
        if n < 1:
            out.append("[ERROR: length < 1 bytes]")
            return 0
        out.append((_NETBIOS_NODES if tag == 46 else _OVERLOAD).get(v[0], "#%d" % v[0]))
        return n - 1
    if tag == 81:  # client FQDN
        if n < 3:
            out.append("[ERROR: length < 3 bytes]")
            return 0
        if v[0] & 0xF0:
            out.append("[ERROR: MBZ nibble 0x%x != 0] " % ((v[0] & 0xF0) >> 4))
        if v[0] & 0x0F:
            out.append("[%s] " % "".join(c for bit, c in ((1, "S"), (2, "O"), (4, "E"), (8, "N")) if v[0] & bit))
        if v[1] or v[2]:
            out.append("%u/%u " % (v[1], v[2]))
        out.append('"%s"' % printjn(v[3:]))
        return 0
    if tag == 61:  # client id: a hardware type and address, or text after a 0
        if n < 1:
            out.append("[ERROR: length < 1 bytes]")
            return 0
        if v[0] == 0:
            out.append('"%s"' % printjn(v[1:]))
        else:
            out.append("%s " % _HW_TYPES.get(v[0], "hardware-type %u," % v[0]))
            out.append(":".join("%02x" % c for c in v[1:]))
        return 0
    if tag == 82:  # relay agent information
        i = 0
        while n - i >= 2:
            sub, slen = v[i], v[i + 1]
            i += 2
            name = _AGENT_SUBOPTIONS.get(sub, "Unknown")
            if slen > n - i:
                out.append("\n\t      %s SubOption %u, length %u: length goes past end of option" % (name, sub, slen))
                return 0
            out.append("\n\t      %s SubOption %u, length %u: " % (name, sub, slen))
            if sub in _AGENT_SUBOPTIONS:
                out.append(printjn(v[i:i + slen]))
            else:
                out.append(hex_print("\n\t\t", v[i:i + slen]))
            i += slen
        return n - i
    if tag in (121, 249):  # classless static routes
        if n < 5:
            out.append("[ERROR: length < 5 bytes]")
            return 0
        i = 0
        routes = []
        while i < n:
            width = v[i]
            i += 1
            if width > 32:
                routes.append("[ERROR: Mask width (%u) > 32]" % width)
                break
            octets = (width + 7) // 8
            if n - i < octets + 4:
                routes.append("[ERROR: Remaining length (%u) < %u bytes]" % (n - i, octets + 4))
                break
            if width == 0:
                dest = "default"
            else:
                dest = ".".join("%u" % c for c in v[i:i + octets]) + ".0" * (4 - octets) + "/%u" % width
            routes.append("(%s:%s)" % (dest, ip4(v[i + octets:i + octets + 4])))
            i += octets + 4
        out.append(",".join(routes))
        return 0
    if tag == 77:  # user class
        if n < 2:
            out.append("[ERROR: length < 2 bytes]")
            return 0
        i = 0
        number = 1
        while i < n:
            slen = v[i]
            i += 1
            out.append("\n\t      instance#%u: " % number)
            if slen == 0:
                out.append("[ERROR: suboption length must be non-zero]")
                return 0
            if n - i < slen:
                out.append("[ERROR: invalid option]")
                return 0
            out.append('"%s", length %u' % (printjn(v[i:i + slen]), slen))
            number += 1
            i += slen
        return 0
    out.append("[unknown special tag %u, size %u]" % (tag, n))
    return 0


def _cmu(out, d, p, end):
    """cmu_print: the CMU vendor area's addresses that are set."""
    out.append(" vend-cmu")
    if p + 8 > end:
        out.append(_SOFT_CUT)
        return
    flags = d[p + 4]  # (tcpdump reads the first byte of the 32-bit flags word)
    if flags & ~1:
        out.append(" F:0x%x" % flags)
    for label, at in (("DG", 12), ("SM" if flags & 1 else "SM*", 8), ("NS1", 16), ("NS2", 20), ("IEN1", 24),
                      ("IEN2", 28), ("TS1", 32), ("TS2", 36)):
        if p + at + 4 > end:
            out.append(_SOFT_CUT)
            return
        if any(d[p + at:p + at + 4]):
            out.append(" %s:%s" % (label, ip4(d[p + at:p + at + 4])))


dispatch.ports(dispatch.UDP_PORTS, bootp_print, 67, 68)
