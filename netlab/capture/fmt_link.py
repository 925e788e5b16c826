"""The link layers as tcpdump 4.99 prints them: Ethernet (with 802.1Q tags), Linux
cooked v1 and v2, BSD/OpenBSD loopback, raw IP; and the hex lines of a frame
whose link or network type netlab does not decode.

Each printer takes (f, out, d, length): the Formatter, the list the text goes
to, the captured frame and its length on the wire. The network layer comes
from dispatch.ETHERTYPES, filled by fmt_ip and fmt_arp.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch, linktypes
from netlab.capture.dispatch import ETH_P_IP, ETH_P_IPV6
from netlab.capture.fmt_base import SOFT_TRUNC, TRUNC, default_print, mac

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_U32LE = struct.Struct("<I")
_ETHTYPE = struct.Struct("!12xH")
_SLL = struct.Struct("!HHH8sH")
_SLL2 = struct.Struct("!HHIHBB8s")

# tcpdump 4.99.3's ethertype_values (print-ether.c, numbers from ethertype.h), in its order: tok2str
# takes the first match, so a number listed twice keeps its first name
ETHERTYPE_NAMES = {
    0x0800: "IPv4", 0x8847: "MPLS unicast", 0x8848: "MPLS multicast", 0x86DD: "IPv6", 0x8100: "802.1Q",
    0x9100: "802.1Q-9100", 0x88A8: "802.1Q-QinQ", 0x9200: "802.1Q-9200", 0x88E5: "802.1AE MACsec", 0x0200: "PUP",
    0x0806: "ARP", 0x8035: "Reverse ARP", 0x0600: "NS", 0x0500: "Sprite", 0x1000: "Trail", 0x6001: "MOP DL",
    0x6002: "MOP RC", 0x6003: "DN", 0x6004: "LAT", 0x6007: "SCA", 0x6558: "TEB", 0x8038: "Lanbridge",
    0x803C: "DEC DNS", 0x803E: "DEC DTS", 0x805B: "VEXP", 0x805C: "VPROD", 0x809B: "Appletalk",
    0x80F3: "Appletalk ARP", 0x8137: "IPX", 0x880B: "PPP", 0x8808: "MPCP", 0x8809: "Slow Protocols",
    0x8863: "PPPoE D", 0x8864: "PPPoE S", 0x888E: "EAPOL", 0x8899: "Realtek protocols", 0x886F: "MS NLB heartbeat",
    0x8870: "Jumbo", 0x894F: "NSH", 0x9000: "Loopback", 0xFEFE: "OSI", 0x00FE: "GRE-OSI", 0xABCD: "CFM (old)",
    0x8902: "CFM", 0x893A: "IEEE1905.1", 0x88CC: "LLDP", 0x88CA: "TIPC", 0x0707: "GeoNet (old)", 0x8947: "GeoNet",
    0x1111: "CALM FAST", 0x88A2: "AoE", 0x88F7: "PTP", 0xD28B: "Arista Vendor Specific Protocol",
}
VLAN_TYPES = (0x8100, 0x88A8, 0x9100, 0x9200)
_PKTTYPES = {0: "In", 1: "B", 2: "M", 3: "P", 4: "Out"}
_BSD_AF = {2: "IPv4", 7: "ISO", 16: "Appletalk", 23: "IPX", 24: "IPv6", 28: "IPv6", 30: "IPv6"}


def _ethertype(f, out, d, p, etype, length, end):
    """Print the network layer for an Ethernet type; False if tcpdump does not know it."""
    printer = dispatch.ETHERTYPES.get(etype)
    if printer is None:
        return False
    printer(f, out, d, p, length, end)
    return True


def ether(f, out, d, length):
    """An Ethernet frame: a captured one, or one inside another packet (VXLAN)."""
    caplen = len(d)
    if caplen < 14:
        f.hdrlen = caplen
        raise SOFT_TRUNC["ether"]
    etype = _ETHTYPE.unpack_from(d)[0]
    if etype == ETH_P_IP and not f.eflag:  # the common case, straight through
        f.hdrlen = 14
        dispatch.ETHERTYPES[ETH_P_IP](f, out, d, 14, length - 14, caplen)
        return
    eflag = f.eflag
    if eflag:
        out.append("%s > %s, " % (mac(d[6:12]), mac(d[0:6])))
        if etype in VLAN_TYPES and caplen < 18:
            f.hdrlen = caplen
            raise SOFT_TRUNC["vlan"]
        out.append(_type_text(f, etype))
        # an 802.3 frame's length is its length field's, if that is the smaller
        out.append(", length %u: " % (length if etype > 1500 else min(etype, length - 14)))
    p = 14
    while etype in VLAN_TYPES:
        if caplen < p + 4:
            f.hdrlen = caplen
            raise SOFT_TRUNC["vlan"]
        if eflag and p > 14:  # an inner tag's type shows once the tag itself was captured
            out.append(_type_text(f, etype) + ", ")
        tci = _U16.unpack_from(d, p)[0]
        etype = _U16.unpack_from(d, p + 2)[0]
        if eflag:
            out.append(_vlan_text(tci))
        p += 4
    if eflag and p > 14:
        out.append(_type_text(f, etype) + ", " if etype > 1500 else "802.3")  # (tcpdump puts no comma there)
    f.hdrlen = p
    if etype <= 1500:
        # an 802.3 length field: LLC follows (fmt_llc), or what netlab does not decode
        if _llc(f, out, d, p, etype, length, caplen):
            return
        if not eflag:
            out.append("%s > %s, 802.3, length %u: " % (mac(d[6:12]), mac(d[0:6]), etype))
        default_print(f, out, d[p:])
        return
    if not _ethertype(f, out, d, p, etype, length - p, caplen):
        if not eflag:
            out.append("%s > %s, %s, length %u: " % (mac(d[6:12]), mac(d[0:6]), _type_text(f, etype), length))
        default_print(f, out, d[p:])


def _llc(f, out, d, p, field, length, caplen):
    """The LLC header and payload of an 802.3 frame, cut to the length its field gives
    (as tcpdump cuts them); False if fmt_llc leaves the frame to the plain 802.3 text."""
    llc = dispatch.LLC.get("802.2")
    if llc is None:
        return False
    left = length - p
    if field < left:
        left = field
    printed = llc(f, out, d, p, left, min(caplen, p + left), d[6:12], d[0:6])
    if printed is None:
        return False
    f.hdrlen = p + printed
    return True


def _vlan_text(tci):
    """An 802.1Q tag as tcpdump prints it: VLAN id, priority, drop-eligible bit."""
    return "vlan %u, p %u%s, " % (tci & 0xFFF, tci >> 13, ", DEI" if tci & 0x1000 else "")


def _type_text(f, etype):
    if etype <= 1500:
        return "802.3"
    name = ETHERTYPE_NAMES.get(etype)
    if f.qflag:
        return name if name else "Unknown Ethertype (0x%04x)" % etype
    return "ethertype %s (0x%04x)" % (name or "Unknown", etype)


def _sll_header_text(f, pkttype, halen, addr, etype, length):
    """The cooked header as tcpdump prints it; pkttype None: SLL2, whose direction comes first."""
    s = "" if pkttype is None else "%3s " % _PKTTYPES.get(pkttype, "?")
    if halen == 6:
        s += mac(addr[:6]) + " "
    if not f.qflag:
        if etype <= 1500:
            s += {1: "802.3", 4: "802.2"}.get(etype, "ethertype Unknown (0x%04x)" % etype)
        else:
            s += "ethertype %s (0x%04x)" % (ETHERTYPE_NAMES.get(etype, "Unknown"), etype)
        s += ", length %u: " % length
    return s


def _sll(f, out, d, length):
    caplen = len(d)
    if caplen < 16:
        f.hdrlen = caplen
        raise TRUNC["sll"]
    pkttype, _hatype, halen, addr, etype = _SLL.unpack_from(d)
    f.hdrlen = 16

    def header(total):
        return _sll_header_text(f, pkttype, halen, addr, etype, total)

    if f.eflag:
        out.append(header(length))
    _sll_payload(f, out, d, 16, etype, length - 16, caplen, header)


def _sll_payload(f, out, d, p, etype, length, caplen, header):
    """What follows a cooked header of p bytes; header(total length) gives its text."""
    header_len = p
    # tcpdump's cooked-capture printer knows one 802.1Q tag (no QinQ): the tag with
    # -e, then the inner type's name (no number) unless -q; a length means 802.2.
    if etype == 0x8100:
        if caplen < p + 4:
            f.hdrlen = caplen  # tcpdump's own length check: the cut tag counts as header
            raise SOFT_TRUNC["vlan"]
        tci = _U16.unpack_from(d, p)[0]
        etype = _U16.unpack_from(d, p + 2)[0]
        if etype <= 1500:
            etype = 4  # LINUX_SLL_P_802_2
        if f.eflag:
            out.append(_vlan_text(tci))
        if not f.qflag:
            out.append("ethertype %s, " % ETHERTYPE_NAMES.get(etype, "Unknown"))
        p += 4
        length -= 4
        f.hdrlen = p
    if etype <= 1500 or not _ethertype(f, out, d, p, etype, length, caplen):
        if not f.eflag:  # tcpdump shows the header it skipped (less any tag) to show the unknown type
            out.append(header(length + header_len))
        default_print(f, out, d[p:])


# if_indextoname() is a syscall round trip, about a hundred times the cost of a dict hit,
# and SLL2 asks on every packet: hence the cache, one entry per index seen.
_ifname_cache: dict[int, str] = {}


def _ifname(index: int) -> str:
    """tcpdump's interface column: the name, or "?" where there is none (0, or gone).

    Not netlab.core.addr.interface_name: that one answers the number for a gone
    index and None for 0, as ss shows them; tcpdump's text is "?" for both.
    """
    name = _ifname_cache.get(index)
    if name is None:
        from socket import if_indextoname  # here: socket is 3 ms of every start, and few captures are SLL2

        try:
            name = if_indextoname(index)
        except OSError:
            name = "?"
        _ifname_cache[index] = name
    return name


def _sll2(f, out, d, length):
    caplen = len(d)
    if caplen < 20:
        f.hdrlen = caplen
        raise TRUNC["sll2"]
    etype, _res, ifindex, _hatype, pkttype, halen, addr = _SLL2.unpack_from(d)
    f.hdrlen = 20
    out.append("%-5s %-3s " % (_ifname(ifindex), _PKTTYPES.get(pkttype, "?")))

    def header(total):
        return "ifindex %u " % ifindex + _sll_header_text(f, None, halen, addr, etype, total)

    if f.eflag:
        out.append(header(length))
    _sll_payload(f, out, d, 20, etype, length - 20, caplen, header)


def _null_common(f, out, d, length, family):
    caplen = len(d)
    f.hdrlen = 4
    if f.eflag:
        out.append(_null_hdr(f, family, length))
    if family == 2:
        dispatch.ETHERTYPES[ETH_P_IP](f, out, d, 4, length - 4, caplen)
    elif family in (24, 28, 30):
        dispatch.ETHERTYPES[ETH_P_IPV6](f, out, d, 4, length - 4, caplen)
    else:
        if not f.eflag:
            out.append(_null_hdr(f, family, length))
        default_print(f, out, d[4:])


def _null_hdr(f, family, length):
    if f.qflag:
        return "%s, length %u: " % (_BSD_AF.get(family, "Unknown AF %u" % family), length)
    return "AF %s (%u), length %u: " % (_BSD_AF.get(family, "Unknown"), family, length)


def _null(f, out, d, length):
    if len(d) < 4:
        f.hdrlen = len(d)
        raise TRUNC["null"]
    family = _U32LE.unpack_from(d)[0]
    if family & 0xFFFF0000:
        family = _U32.unpack_from(d)[0]
    _null_common(f, out, d, length, family)


def _loop(f, out, d, length):
    if len(d) < 4:
        f.hdrlen = len(d)
        raise TRUNC["null"]
    _null_common(f, out, d, length, _U32.unpack_from(d)[0])


def _raw(f, out, d, length):
    f.hdrlen = 0
    if f.eflag:
        out.append("ip: ")
    if not d or length < 1:
        out.append("truncated-ip %d" % length)
        return
    v = d[0] & 0xF0
    if v == 0x40:
        dispatch.ETHERTYPES[ETH_P_IP](f, out, d, 0, length, len(d))
    elif v == 0x60:
        dispatch.ETHERTYPES[ETH_P_IPV6](f, out, d, 0, length, len(d))
    else:
        out.append("unknown ip %u" % (v >> 4))


def unknown_link(f, out, d, length):
    f.hdrlen = 0
    default_print(f, out, d)


def _register() -> None:
    """One printer per header layout, for every link type linktypes gives that layout."""
    printers = {"ether": ether, "sll": _sll, "sll2": _sll2, "null": _null, "loop": _loop, "raw": _raw}
    for kind, printer in printers.items():
        for number in linktypes.numbers(kind):
            dispatch.LINKTYPES[number] = printer


_register()
