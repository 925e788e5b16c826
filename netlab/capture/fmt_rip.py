"""RIP versions 1 and 2 on UDP port 520, as tcpdump 4.99.3's print-rip.c prints it.

``RIPv2, Response, length: 44``; -v adds the route entries (``AFI IPv4,
10.78.0.0/16, tag 0x0000, metric: 2, next-hop: self``) and authentication
entries on lines of their own, -vv a hex dump of the datagram. Entries the
capture cut end with `` [|rip]``.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, hex_print, ip4, printjnp

_SOFT_CUT = " [|rip]"
_CUT = Truncated("rip")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")

_COMMANDS = {1: "Request", 2: "Response", 3: "Trace on", 4: "Trace off", 5: "Poll", 6: "Poll Entry"}
_BSD_AF = {2: "IPv4", 6: "NS", 7: "ISO", 16: "Appletalk", 23: "IPX", 24: "IPv6", 28: "IPv6", 30: "IPv6"}
_ROUTE_LEN = 20


def _plen(mask: int) -> int:
    """mask2plen: the prefix length of a contiguous mask, -1 for any other."""
    for n in range(32, -1, -1):
        if mask == (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF:
            return n
    return -1


def rip_print(f, out, d, q, length, end, ulen, fragmented):
    avail = max(0, end - q)
    left = min(avail, length)
    if left < 4:
        out.append(_SOFT_CUT)
        return True
    left -= 4
    version, command = d[q + 1], d[q]
    out.append("%sRIPv%u" % ("\n\t" if f.vflag else "", version))
    if version == 0:
        out.append(hex_print("\n\t", d[q:min(q + length, end)]))
        return True
    out.append(", %s, length: %u" % (_COMMANDS.get(command, "unknown command (%u)" % command), length))
    if not f.vflag:
        return True
    if command in (1, 2):
        if version in (1, 2):
            out.append(", routes: %u%s" % (length // _ROUTE_LEN, " or less" if version == 2 else ""))
            entry = _v1_entry if version == 1 else _v2_entry
            p = q + 4
            while left:
                size = entry(out, d, p, left, end)
                if size == 0:
                    out.append(_SOFT_CUT)
                    break
                if left < size:
                    out.append(" [remaining entries length %u < %u] (invalid)" % (left, size))
                    break
                p += size
                left -= size
        else:
            out.append(", unknown version")
    elif command not in (4, 5, 6) and f.vflag <= 1:
        out.append(hex_print("\n\t", d[q:min(q + length, end)]))
    if f.vflag > 1:
        out.append(hex_print("\n\t", d[q:min(q + length, end)]))
    return True


def _v1_entry(out, d, p, left, end):
    if left < _ROUTE_LEN or p + _ROUTE_LEN > end:
        return 0
    family = _U16.unpack_from(d, p)[0]
    if family not in (2, 0):
        out.append("\n\t AFI %s, " % _BSD_AF.get(family, "Unknown (%u)" % family))
        out.append(hex_print("\n\t  ", d[p + 4:p + _ROUTE_LEN]))
        return _ROUTE_LEN
    if any(d[p + 2:p + 4]) or any(d[p + 8:p + 16]):
        out.append(hex_print("\n\t  ", d[p:p + _ROUTE_LEN]))
        return _ROUTE_LEN
    out.append("\n\t  %s%s, metric: %u" % ("AFI 0, " if family == 0 else "", ip4(d[p + 4:p + 8]),
                                          _U32.unpack_from(d, p + 16)[0]))
    return _ROUTE_LEN


def _v2_entry(out, d, p, left, end):
    if left < 4 or p + 4 > end:
        return 0
    family, tag = _U16.unpack_from(d, p)[0], _U16.unpack_from(d, p + 2)[0]
    if family == 0xFFFF:  # authentication
        p += 4
        left -= 4
        if tag == 2:
            out.append("\n\t  Simple Text Authentication data: ")
            printjnp(out, d, p, 16, end, _CUT)
        elif tag == 3:
            if p + 16 > end or left < 16:
                return 0
            out.append("\n\t  Auth header: Packet Len %u, Key-ID %u, Auth Data Len %u, SeqNo %u, MBZ %u, MBZ %u" % (
                _U16.unpack_from(d, p)[0], d[p + 2], d[p + 3], _U32.unpack_from(d, p + 4)[0],
                _U32.unpack_from(d, p + 8)[0], _U32.unpack_from(d, p + 12)[0]))
        else:
            out.append("\n\t  Auth trailer:" if tag == 1 else "\n\t  Unknown (%u) Authentication data:" % tag)
            out.append(hex_print("\n\t  ", d[p:min(p + left, end)]))
            return 4 + left  # (to the end of the packet)
    elif family not in (2, 0):
        out.append("\n\t  AFI %s" % _BSD_AF.get(family, "Unknown (%u)" % family))
        out.append(hex_print("\n\t  ", d[p + 4:min(p + _ROUTE_LEN, end)]))
    else:
        if p + _ROUTE_LEN > end or left < _ROUTE_LEN:
            return 0
        out.append("\n\t  AFI %s, %15s/%-2d, tag 0x%04x, metric: %u, next-hop: " % (
            _BSD_AF.get(family, "%u" % family), ip4(d[p + 4:p + 8]), _plen(_U32.unpack_from(d, p + 8)[0]), tag,
            _U32.unpack_from(d, p + 16)[0]))
        out.append(ip4(d[p + 12:p + 16]) if any(d[p + 12:p + 16]) else "self")
    return _ROUTE_LEN


dispatch.ports(dispatch.UDP_PORTS, rip_print, 520)
