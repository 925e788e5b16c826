"""LLDP (Ethernet type 0x88cc), as tcpdump 4.99.3's print-lldp.c prints it.

``LLDP, length 110: switch1``: the system name is on the default line. -v adds
every TLV on lines of its own: chassis and port ids (by subtype), TTL, port and
system descriptions, capabilities, management addresses, and the IEEE 802.1 and
802.3 organisation-specific TLVs lldpd and switches send (PVID, VLAN names,
link aggregation, MAC/PHY, power via MDI, maximum frame size); -vv a hex dump
of each TLV. Other organisations' TLVs (LLDP-MED, DCBX, IANA) get the hex dump
tcpdump gives unknown ones, which is not what it prints for those.
A TLV past the capture or the length ends the line with `` [|lldp]``.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, hex_print, ip4, ip6, mac, printjn

_SOFT_CUT = " [|lldp]"
_CUT = Truncated("lldp")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")

_TLVS = {0: "End", 1: "Chassis ID", 2: "Port ID", 3: "Time to Live", 4: "Port Description", 5: "System Name",
         6: "System Description", 7: "System Capabilities", 8: "Management Address", 127: "Organization specific"}
_CHASSIS_SUBTYPES = {1: "Chassis component", 2: "Interface alias", 3: "Port component", 4: "MAC address",
                     5: "Network address", 6: "Interface name", 7: "Local"}
_PORT_SUBTYPES = {1: "Interface alias", 2: "Port component", 3: "MAC address", 4: "Network Address",
                  5: "Interface Name", 6: "Agent circuit ID", 7: "Local"}
_CAPABILITIES = ((1, "Other"), (2, "Repeater"), (4, "Bridge"), (8, "WLAN AP"), (16, "Router"), (32, "Telephone"),
                 (64, "Docsis"), (128, "Station Only"))
_INTF_NUMBERING = {2: "Interface Index", 3: "System Port Number"}
_OUI_8021, _OUI_8023 = 0x0080C2, 0x00120F

# tcpdump's tables (print-lldp.c, oui.c, af.c)
LLDP_8021_SUBTYPE = {1: 'Port VLAN Id',
                     2: 'Port and Protocol VLAN ID',
                     3: 'VLAN name',
                     4: 'Protocol Identity',
                     7: 'Link aggregation',
                     8: 'Congestion Notification',
                     9: 'ETS Configuration',
                     10: 'ETS Recommendation',
                     11: 'Priority Flow Control Configuration',
                     12: 'Application Priority',
                     13: 'EVB',
                     14: 'CDCP'}
LLDP_8023_SUBTYPE = {1: 'MAC/PHY configuration/status',
                     2: 'Power via MDI',
                     3: 'Link aggregation',
                     4: 'Max frame size'}
LLDP_8021_PORT_PROTOCOL_ID = {2: 'supported', 4: 'enabled'}
LLDP_AGGREGATION = {1: 'supported', 2: 'enabled'}
LLDP_8023_AUTONEGOTIATION = {1: 'supported', 2: 'enabled'}
LLDP_PMD_CAPABILITY = {16384: '10BASE-T hdx',
                       8192: '10BASE-T fdx',
                       4096: '100BASE-T4',
                       2048: '100BASE-TX hdx',
                       1024: '100BASE-TX fdx',
                       512: '100BASE-T2 hdx',
                       256: '100BASE-T2 fdx',
                       128: 'Pause for fdx links',
                       64: 'Asym PAUSE for fdx',
                       32: 'Sym PAUSE for fdx',
                       16: 'Asym and Sym PAUSE for fdx',
                       8: '1000BASE-{X LX SX CX} hdx',
                       4: '1000BASE-{X LX SX CX} fdx',
                       2: '1000BASE-T hdx',
                       1: '1000BASE-T fdx'}
LLDP_MAU_TYPES = {0: 'Unknown',
                  1: 'AUI',
                  2: '10BASE_5',
                  3: 'FOIRL',
                  4: '10BASE2',
                  5: '10BASET duplex mode unknown',
                  6: '10BASEFP',
                  7: '10BASEFB',
                  8: '10BASEFL duplex mode unknown',
                  9: '10BROAD36',
                  10: '10BASET hdx',
                  11: '10BASET fdx',
                  12: '10BASEFL hdx',
                  13: '10BASEFL fdx',
                  14: '100BASET4',
                  15: '100BASETX hdx',
                  16: '100BASETX fdx',
                  17: '100BASEFX hdx',
                  18: '100BASEFX fdx',
                  19: '100BASET2 hdx',
                  20: '100BASET2 fdx',
                  21: '1000BASEX hdx',
                  22: '1000BASEX fdx',
                  23: '1000BASELX hdx',
                  24: '1000BASELX fdx',
                  25: '1000BASESX hdx',
                  26: '1000BASESX fdx',
                  27: '1000BASECX hdx',
                  28: '1000BASECX fdx',
                  29: '1000BASET hdx',
                  30: '1000BASET fdx',
                  31: '10GBASEX',
                  32: '10GBASELX4',
                  33: '10GBASER',
                  34: '10GBASEER',
                  35: '10GBASELR',
                  36: '10GBASESR',
                  37: '10GBASEW',
                  38: '10GBASEEW',
                  39: '10GBASELW',
                  40: '10GBASESW'}
LLDP_MDI = {1: 'PSE', 2: 'supported', 4: 'enabled', 8: 'can be controlled'}
LLDP_MDI_POWER_PAIRS = {1: 'signal', 2: 'spare'}
LLDP_MDI_POWER_CLASS = {1: 'class0', 2: 'class1', 3: 'class2', 4: 'class3', 5: 'class4'}
OUI = {0: 'Ethernet',
       12: 'Cisco',
       94: 'IANA',
       129: 'Nortel Networks SONMP',
       248: 'Cisco bridged',
       32962: 'Ethernet bridged',
       41022: 'ATM Forum',
       57391: 'DOCSIS Spanning Tree',
       524295: 'Appletalk',
       36969: 'Juniper',
       524297: 'Hewlett-Packard',
       4623: 'IEEE 802.3 Private',
       4795: 'ANSI/TIA',
       6945: 'DCBX',
       8992: 'Nicira Networks',
       6035143: 'Big Switch Networks',
       11588341: 'Vello Systems',
       9345: 'HP',
       1258: 'HP-Labs',
       7636849: 'Infoblox Inc',
       10756869: 'Open Networking Lab',
       1183: 'Freescale',
       5549: 'Netronome',
       4120: 'Broadcom',
       57348: 'PMC-Sierra',
       13693147: 'Ericsson'}
AF = {0: 'Reserved',
      1: 'IPv4',
      2: 'IPv6',
      3: 'NSAP',
      4: 'HDLC',
      5: 'BBN 1822',
      6: '802',
      7: 'E.163',
      8: 'E.164',
      9: 'F.69',
      10: 'X.121',
      11: 'Novell IPX',
      12: 'Appletalk',
      13: 'Decnet IV',
      14: 'Banyan Vines',
      15: 'E.164 with NSAP subaddress',
      196: 'Layer-2 VPN',
      25: 'VPLS'}


def _bits(table, value, none):
    names = [name for bit, name in table.items() if bit and value & bit == bit]
    return ", ".join(names) if names else none


class _Short(Exception):
    """tcpdump's ``goto trunc``: the marker, and the line ends."""


def _printjnp(d, i, n, end):
    """nd_printjnp: up to n bytes to the first NUL; a read past the capture jumps out."""
    stop = min(i + n, end)
    nul = d.find(b"\x00", i, stop)
    if nul >= 0:
        return printjn(d[i:nul])
    if stop < i + n:
        raise _CUT
    return printjn(d[i:stop])


def lldp_print(f, out, d, p, length, end):
    out.append("LLDP, length %u" % length)
    left = length
    q = p
    try:
        while left >= 2:
            if q + 2 > end:
                raise _Short
            word = _U16.unpack_from(d, q)[0]
            kind, size = word >> 9, word & 0x1FF
            left -= 2
            q += 2
            if f.vflag:
                out.append("\n\t%s TLV (%u), length %u" % (_TLVS.get(kind, "Unknown"), kind, size))
            if not kind or not size:
                break
            if q + size > end or left < size:
                raise _Short
            dump = _tlv(f, out, d, q, kind, size, end)
            if f.vflag > 1 or (f.vflag and dump):
                out.append(hex_print("\n\t  ", d[q:q + size]))
            left -= size
            q += size
    except _Short:
        out.append(_SOFT_CUT)


def _network_addr(d, i, n):
    """lldp_network_addr_print; None if the address does not fit."""
    if n < 1:
        return None
    af = d[i]
    name = AF.get(af, "Unknown")
    if af == 1:
        if n - 1 < 4:
            return None
        return "AFI %s (%u): %s" % (name, af, ip4(d[i + 1:i + 5]))
    if af == 2:
        if n - 1 < 16:
            return None
        return "AFI %s (%u): %s" % (name, af, ip6(d[i + 1:i + 17]))
    if af == 6:
        if n - 1 < 6:
            return None
        return "AFI %s (%u): %s" % (name, af, mac(d[i + 1:i + 7]))
    return "AFI %s (%u), no AF printer !" % (name, af)


def _tlv(f, out, d, q, kind, size, end):
    """One TLV's value (captured whole); True if tcpdump follows it with a hex dump at -v."""
    if kind == 5:  # the system name, on the default line too
        out.append(": " + _printjnp(d, q, size, end))
        return False
    if not f.vflag:
        return kind not in _TLVS
    if kind in (1, 2):
        if size < 2:
            raise _Short
        subtype = d[q]
        names = _CHASSIS_SUBTYPES if kind == 1 else _PORT_SUBTYPES
        out.append("\n\t  Subtype %s (%u): " % (names.get(subtype, "Unknown"), subtype))
        mac_subtype, net_subtype = (4, 5) if kind == 1 else (3, 4)
        if subtype == mac_subtype:
            if size < 7:
                raise _Short
            out.append(mac(d[q + 1:q + 7]))
        elif subtype == net_subtype:
            text = _network_addr(d, q + 1, size - 1)
            if text is None:
                raise _Short
            out.append(text)
        elif subtype in names:
            out.append(_printjnp(d, q + 1, size - 1, end))
        else:
            return True
    elif kind == 3:
        if size < 2:
            raise _Short
        out.append(": TTL %us" % _U16.unpack_from(d, q)[0])
    elif kind == 4:
        out.append(": " + _printjnp(d, q, size, end))
    elif kind == 6:
        out.append("\n\t  " + _printjnp(d, q, size, end))
    elif kind == 7:
        if size < 4:
            raise _Short
        cap, enabled = _U16.unpack_from(d, q)[0], _U16.unpack_from(d, q + 2)[0]
        out.append("\n\t  System  Capabilities [%s] (0x%04x)" % (_caps(cap), cap))
        out.append("\n\t  Enabled Capabilities [%s] (0x%04x)" % (_caps(enabled), enabled))
    elif kind == 8:
        _management_address(out, d, q, size, end)
    elif kind == 127:
        if size < 3:
            raise _Short
        oui = int.from_bytes(d[q:q + 3], "big")
        out.append(": OUI %s (0x%06x)" % (OUI.get(oui, "Unknown"), oui))
        if oui == _OUI_8021:
            return _ieee8021(out, d, q, size, end)
        if oui == _OUI_8023:
            return _ieee8023(out, d, q, size)
        return True
    else:
        return True
    return False


def _caps(value):
    names = [name for bit, name in _CAPABILITIES if value & bit]
    return ", ".join(names) if names else "none"


def _management_address(out, d, q, size, end):
    if size < 1:
        raise _Short
    alen = d[q]
    left = size - 1
    if left < alen:
        raise _Short
    text = _network_addr(d, q + 1, alen)
    if text is None:
        raise _Short
    out.append("\n\t  Management Address length %u, %s" % (alen, text))
    i = q + 1 + alen
    left -= alen
    if left < 5:
        raise _Short
    subtype = d[i]
    out.append("\n\t  %s Interface Numbering (%u): %u" % (_INTF_NUMBERING.get(subtype, "Unknown"), subtype,
                                                           _U32.unpack_from(d, i + 1)[0]))
    i += 5
    left -= 5
    if left:
        oid_len = d[i]
        if left < 1 + oid_len:
            raise _Short
        if oid_len:
            out.append("\n\t  OID length %u" % oid_len)
            out.append(_printjnp(d, i + 1, oid_len, end))


def _ieee8021(out, d, q, size, end):
    if size < 4:
        return False
    subtype = d[q + 3]
    out.append("\n\t  %s Subtype (%u)" % (LLDP_8021_SUBTYPE.get(subtype, "unknown"), subtype))
    if subtype == 1:
        if size >= 6:
            out.append("\n\t    port vlan id (PVID): %u" % _U16.unpack_from(d, q + 4)[0])
    elif subtype == 2:
        if size >= 7:
            flags = d[q + 4]
            out.append("\n\t    port and protocol vlan id (PPVID): %u, flags [%s] (0x%02x)" % (
                _U16.unpack_from(d, q + 5)[0], _bits(LLDP_8021_PORT_PROTOCOL_ID, flags, "none"), flags))
    elif subtype == 3:
        if size >= 6:
            out.append("\n\t    vlan id (VID): %u" % _U16.unpack_from(d, q + 4)[0])
            if size >= 7 and size >= 7 + d[q + 6]:
                out.append("\n\t    vlan name: " + _printjnp(d, q + 7, d[q + 6], end))
    elif subtype == 4:
        if size >= 5 and size >= 5 + d[q + 4]:
            out.append("\n\t    protocol identity: " + _printjnp(d, q + 5, d[q + 4], end))
    elif subtype == 7:
        if size >= 9:
            out.append("\n\t    aggregation status [%s], aggregation port ID %u" % (
                _bits(LLDP_AGGREGATION, d[q + 4], "none"), _U32.unpack_from(d, q + 5)[0]))
    else:
        return True  # (the DCB and EVB subtypes tcpdump decodes, netlab does not)
    return False


def _ieee8023(out, d, q, size):
    if size < 4:
        return False
    subtype = d[q + 3]
    out.append("\n\t  %s Subtype (%u)" % (LLDP_8023_SUBTYPE.get(subtype, "unknown"), subtype))
    if subtype == 1:
        if size >= 9:
            auto, pmd, mau = d[q + 4], _U16.unpack_from(d, q + 5)[0], _U16.unpack_from(d, q + 7)[0]
            out.append("\n\t    autonegotiation [%s] (0x%02x)" % (_bits(LLDP_8023_AUTONEGOTIATION, auto, "none"), auto))
            out.append("\n\t    PMD autoneg capability [%s] (0x%04x)" % (
                _bits(LLDP_PMD_CAPABILITY, pmd, "unknown"), pmd))
            out.append("\n\t    MAU type %s (0x%04x)" % (LLDP_MAU_TYPES.get(mau, "unknown"), mau))
    elif subtype == 2:
        if size >= 7:
            out.append("\n\t    MDI power support [%s], power pair %s, power class %s" % (
                _bits(LLDP_MDI, d[q + 4], "none"), LLDP_MDI_POWER_PAIRS.get(d[q + 5], "unknown"),
                LLDP_MDI_POWER_CLASS.get(d[q + 6], "unknown")))
    elif subtype == 3:
        if size >= 9:
            out.append("\n\t    aggregation status [%s], aggregation port ID %u" % (
                _bits(LLDP_AGGREGATION, d[q + 4], "none"), _U32.unpack_from(d, q + 5)[0]))
    elif subtype == 4:
        if size >= 6:
            out.append("\n\t    MTU size %u" % _U16.unpack_from(d, q + 4)[0])
    else:
        return True
    return False


dispatch.ETHERTYPES[0x88CC] = lldp_print
