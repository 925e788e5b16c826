"""RADIUS (UDP 1645, 1646, 1812, 1813, 1700, 3799), as tcpdump 4.99.3's print-radius.c prints it.

``RADIUS, Access-Request (1), id: 0x2a length: 63``; -v the authenticator and a line
per attribute, its value decoded as tcpdump does (strings, numbers and their named
values, addresses, prefixes, times, vendor attributes, EAP messages, location
information...), -vv each attribute's bytes in hex as well. An attribute too short or
past the packet ends the list (``(bogus, goes past end of packet)``).
"""

from __future__ import annotations

import struct
import time

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, hex_print, ip4, ip6, printjn
from netlab.capture.fmt_ntp import ntp_time
from netlab.capture.hexdump import hex_lines

_READ = Truncated("radius")
_CUT = Truncated("radius", whole=False)
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_U64 = struct.Struct("!Q")
_HEADER = 20

_COMMANDS = {1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject", 4: "Accounting-Request",
             5: "Accounting-Response", 11: "Access-Challenge", 12: "Status-Server", 13: "Status-Client",
             40: "Disconnect-Request", 41: "Disconnect-ACK", 42: "Disconnect-NAK", 43: "CoA-Request",
             44: "CoA-ACK", 45: "CoA-NAK", 255: "Reserved"}
_SMI = {0: "IETF (reserved)", 5: "ACC", 9: "Cisco", 11: "Hewlett Packard", 42: "Sun Microsystems", 61: "Merit",
        74: "AT&T", 161: "Motorola", 166: "Shiva", 193: "Ericsson AB", 255: "Cisco VPN 5000", 307: "Livingston",
        311: "Microsoft", 429: "3Com", 529: "Ascend", 1584: "Bay Networks", 1991: "Foundry", 2180: "Versanet",
        2352: "Redback", 2636: "Juniper Networks", 2637: "Aptis", 2937: "Deutsche Telekom AG",
        3054: "Ixia Communications", 3076: "Cisco VPN 3000", 3085: "CoSine Communications", 3224: "Netscreen",
        3199: "Shasta", 3309: "Nomadix", 3414: "T-Mobile", 3561: "The Broadband Forum", 3902: "ZTE",
        4329: "Siemens", 4491: "CableLabs", 4874: "Unisphere Networks", 5263: "Cisco BBSM",
        5535: "3rd Generation Partnership Project 2 (3GPP2)", 5806: "SK Telecom", 5925: "ipUnplugged",
        5948: "Issanni Communications", 5951: "Netscaler", 6490: "T-Mobile", 6618: "Quintum", 6728: "Interlink",
        7951: "CNCTC", 8164: "Starent Networks", 8744: "Colubris", 10415: "3GPP", 10529: "Gemtek-Systems",
        10704: "Barracuda Networks", 10923: "Ericsson AB - Packet Core Networks", 11665: "dacom",
        11862: "Columbia University", 12356: "Fortinet", 12951: "Verizon Wireless", 13745: "Plixer",
        14122: "Wi-Fi Alliance", 16787: "T-Systems Nova", 20942: "China Telecom - Guangzhou Research Institute",
        26866: "Gigamon Systems", 32622: "CACE Technologies", 35632: "ntop", 46098: "Ericsson Canada"}

_SERV_TYPE = {1: "Login", 2: "Framed", 3: "Callback Login", 4: "Callback Framed", 5: "Outbound", 6: "Administrative",
              7: "NAS Prompt", 8: "Authenticate Only", 9: "Callback NAS Prompt", 10: "Call Check",
              11: "Callback Administrative", 12: "Voice", 13: "Fax", 14: "Modem Relay", 15: "IAPP-Register",
              16: "IAPP-AP-Check", 17: "Authorize Only", 18: "Framed-Management", 19: "Additional-Authorization"}

_FRM_PROTO = {1: "PPP", 2: "SLIP", 3: "ARAP", 4: "Gandalf proprietary", 5: "Xylogics IPX/SLIP",
              6: "X.75 Synchronous", 7: "GPRS PDP Context"}

_FRM_ROUTING = {0: "None", 1: "Send", 2: "Listen", 3: "Send&Listen"}

_FRM_COMP = {0: "None", 1: "VJ TCP/IP", 2: "IPX", 3: "Stac-LZS"}

_LOGIN_SERV = {0: "Telnet", 1: "Rlogin", 2: "TCP Clear", 3: "PortMaster(proprietary)", 4: "LAT", 5: "X.25-PAD",
               6: "X.25-T3POS", 7: "Unassigned", 8: "TCP Clear Quiet"}

_TERM_ACTION = {0: "Default", 1: "RADIUS-Request"}

_ACCT_STATUS = {1: "Start", 2: "Stop", 3: "Interim-Update", 4: "Unassigned", 5: "Unassigned", 6: "Unassigned",
                7: "Accounting-On", 8: "Accounting-Off", 9: "Tunnel-Start", 10: "Tunnel-Stop", 11: "Tunnel-Reject",
                12: "Tunnel-Link-Start", 13: "Tunnel-Link-Stop", 14: "Tunnel-Link-Reject", 15: "Failed"}

_ACCT_AUTH = {1: "RADIUS", 2: "Local", 3: "Remote", 4: "Diameter"}

_ACCT_TERM = {1: "User Request", 2: "Lost Carrier", 3: "Lost Service", 4: "Idle Timeout", 5: "Session Timeout",
              6: "Admin Reset", 7: "Admin Reboot", 8: "Port Error", 9: "NAS Error", 10: "NAS Request",
              11: "NAS Reboot", 12: "Port Unneeded", 13: "Port Preempted", 14: "Port Suspended",
              15: "Service Unavailable", 16: "Callback", 17: "User Error", 18: "Host Request",
              19: "Supplicant Restart", 20: "Reauthentication Failure", 21: "Port Reinitialized",
              22: "Port Administratively Disabled", 23: "Lost Power"}

_INGRESS_FILTERS = {1: "Enabled", 2: "Disabled"}

_NAS_PORT_TYPE = {0: "Async", 1: "Sync", 2: "ISDN Sync", 3: "ISDN Async V.120", 4: "ISDN Async V.110", 5: "Virtual",
                  6: "PIAFS", 7: "HDLC Clear Channel", 8: "X.25", 9: "X.75", 10: "G.3 Fax", 11: "SDSL",
                  12: "ADSL-CAP", 13: "ADSL-DMT", 14: "ISDN-DSL", 15: "Ethernet", 16: "xDSL", 17: "Cable",
                  18: "Wireless - Other", 19: "Wireless - IEEE 802.11", 20: "Token-Ring", 21: "FDDI",
                  22: "Wireless - CDMA200", 23: "Wireless - UMTS", 24: "Wireless - 1X-EV", 25: "IAPP", 26: "FTTP",
                  27: "Wireless - IEEE 802.16", 28: "Wireless - IEEE 802.20", 29: "Wireless - IEEE 802.22",
                  30: "PPPoA", 31: "PPPoEoA", 32: "PPPoEoE", 33: "PPPoEoVLAN", 34: "PPPoEoQinQ", 35: "xPON",
                  36: "Wireless - XGP", 37: "WiMAX Pre-Release 8 IWK Function", 38: "WIMAX-WIFI-IWK",
                  39: "WIMAX-SFF", 40: "WIMAX-HA-LMA", 41: "WIMAX-DHCP", 42: "WIMAX-LBS", 43: "WIMAX-WVS"}

_TUNNEL_TYPE = {1: "PPTP", 2: "L2F", 3: "L2TP", 4: "ATMP", 5: "VTP", 6: "AH", 7: "IP-IP", 8: "MIN-IP-IP", 9: "ESP",
                10: "GRE", 11: "DVS", 12: "IP-in-IP Tunneling", 13: "VLAN"}

_TUNNEL_MEDIUM = {1: "IPv4", 2: "IPv6", 3: "NSAP", 4: "HDLC", 5: "BBN 1822", 6: "802", 7: "E.163", 8: "E.164",
                  9: "F.69", 10: "X.121", 11: "IPX", 12: "Appletalk", 13: "Decnet IV", 14: "Banyan Vines",
                  15: "E.164 with NSAP subaddress"}

_ARAP_ZONE = {1: "Only access to dfl zone", 2: "Use zone filter inc.", 3: "Not used", 4: "Use zone filter exc."}

_PROMPT = {0: "No Echo", 1: "Echo"}

_TAGGED = {0x31: "Tagged", 0x32: "Untagged"}
_ERROR_CAUSES = {201: "Residual Session Context Removed", 202: "Invalid EAP Packet (Ignored)",
                 401: "Unsupported Attribute", 402: "Missing Attribute", 403: "NAS Identification Mismatch",
                 404: "Invalid Request", 405: "Unsupported Service", 406: "Unsupported Extension",
                 407: "Invalid Attribute Value", 501: "Administratively Prohibited",
                 502: "Request Not Routable (Proxy)", 503: "Session Context Not Found",
                 504: "Session Context Not Removable", 505: "Other Proxy Processing Error",
                 506: "Resources Unavailable", 507: "Request Initiated",
                 508: "Multiple Session Selection Unsupported", 509: "Location Info Required"}
_MIP6_FEATURES = ((0x1, "MIP6_INTEGRATED"), (0x2, "LOCAL_HOME_AGENT_ASSIGNMENT"), (0x10000000000, "PMIP6_SUPPORTED"),
                  (0x20000000000, "IP4_HOA_SUPPORTED"), (0x40000000000, "LOCAL_MAG_ROUTING_SUPPORTED"),
                  (0x80000000000, "ASSIGN_LOCAL_IP"), (0x100000000000, "MIP4_SUPPORTED"),
                  (0x200000000000, "OPTIMIZED_IDLE_MODE_MOBILITY"), (0x400000000000, "GTPv2_SUPPORTED"),
                  (0x800000000000, "IP4_TRANSPORT_SUPPORTED"), (0x1000000000000, "IP4_HOA_ONLY_SUPPORTED"),
                  (0x2000000000000, "INTER_MAG_ROUTING_SUPPORTED"))
_OPERATOR_NAMESPACES = {0x30: "TADIG", 0x31: "REALM", 0x32: "E212", 0x33: "ICC"}
_LOCATION_CODES = {0: "Civic", 1: "Geospatial"}
_LOCATION_ENTITIES = {0: "User", 1: "RADIUS"}
_BLPR_FLAGS = tuple((1 << i, "MBZ-%u" % (15 - i)) for i in range(15)) + ((0x8000, "Retransmission Allowed"),)
_EAP_CODES = {1: "Request", 2: "Response", 3: "Success", 4: "Failure"}
_EAP_TYPES = {0: "No proposed", 1: "Identity", 2: "Notification", 3: "Nak", 4: "MD5-challenge", 5: "OTP", 6: "GTC",
              13: "TLS", 18: "SIM", 21: "TTLS", 23: "AKA", 43: "FAST", 254: "Expanded types", 255: "Experimental"}
_EAP_TLS_FLAGS = ((0x80, "L bit"), (0x40, "More fragments bit"), (0x20, "Start bit"))
_EAP_AKA_SUBTYPES = {1: "Challenge", 2: "Auth reject", 4: "Sync failure", 5: "Identity", 10: "Start",
                     11: "Challenge", 12: "Notification", 13: "Reauth", 14: "Client error"}
_TIMEOUTS = (27, 28, 41, 46, 85)       # printed as a duration
_TAG_FIRST = (66, 67, 81, 82, 90, 91)  # tunnel attributes that may start with a tag


def _bits(table, value: int) -> str:
    return ", ".join(name for bit, name in table if value & bit) or "none"


def _chars(b: bytes) -> str:
    """Printable ASCII as is, any other byte as '.'."""
    return "".join(chr(c) if 0x20 <= c < 0x7F else "." for c in b)


class _Value:
    """Reads of an attribute's value: past the capture is tcpdump's longjmp (`` [|radius]``)."""

    __slots__ = ("d", "end", "utc")

    def __init__(self, d, end, utc):
        self.d, self.end = d, end
        self.utc = utc  # ctime's zone: tcpdump's process's (netlab's --utc, else the local one)

    def u8(self, p):
        if p >= self.end:
            raise _READ
        return self.d[p]

    def un(self, p, n):
        if p + n > self.end:
            raise _READ
        return int.from_bytes(self.d[p:p + n], "big")

    def hexbytes(self, out, p, n):
        """PRINT_HEX: byte by byte, so a cut shows the bytes before it."""
        out.append(self.d[p:min(p + n, self.end)].hex().upper())
        if p + n > self.end:
            raise _READ


def _captured(v, p, n) -> bool:
    """ND_TCHECK_LEN in a value printer: when it fails, tcpdump prints `` [|radius]`` and
    goes on with the next attribute."""
    return p + n <= v.end


def _string(out, v, p, n, code):
    if not _captured(v, p, n):
        out.append(" [|radius]")
        return
    if code == 69:  # Tunnel-Password
        if n < 3:
            out.append(" [|radius]")
            return
        tag = v.u8(p)
        out.append("Tag[%u] " % tag if tag and tag <= 0x1F else "Tag[Unused] ")
        out.append("Salt %u " % v.un(p + 1, 2))
        p, n = p + 3, n - 3
    elif code in _TAG_FIRST:
        tag = v.u8(p)
        if tag <= 0x1F:
            out.append("Tag[%u] " % tag if tag else "Tag[Unused] ")
            p, n = p + 1, n - 1
    elif code == 58:  # Egress-VLAN-Name
        tag = v.u8(p)
        out.append("%s (0x%02x) " % (_TAGGED.get(tag, "Unknown tag"), tag))
        p, n = p + 1, n - 1
    elif code == 79:  # EAP-Message
        _eap(out, v, p, n)
        return
    text = v.d[p:p + n]
    nul = text.find(b"\x00")
    out.append(_chars(text if nul < 0 else text[:nul]))


def _vendor(out, v, p, n, code):
    if n < 4:
        out.append(" [|radius]")
        return
    vendor = v.un(p, 4)
    out.append("Vendor: %s (%u)" % (_SMI.get(vendor, "Unknown"), vendor))
    p, n = p + 4, n - 4
    while n >= 2:
        vtype, vlen = v.u8(p), v.u8(p + 1)
        if vlen < 2:
            out.append("\n\t    Vendor Attribute: %u, Length: %u (bogus, must be >= 2)" % (vtype, vlen))
            return
        if vlen > n:
            out.append("\n\t    Vendor Attribute: %u, Length: %u (bogus, goes past end of vendor-specific attribute)"
                       % (vtype, vlen))
            return
        p, vlen, n = p + 2, vlen - 2, n - 2
        if not _captured(v, p, vlen):
            out.append(" [|radius]")
            return
        out.append("\n\t    Vendor Attribute: %u, Length: %u, Value: %s" % (vtype, vlen, _chars(v.d[p:p + vlen])))
        p, n = p + vlen, n - vlen


def _duration(t: int) -> str:
    if t < 60:
        return "%02d secs" % t
    if t < 3600:
        return "%02d:%02d min" % (t // 60, t % 60)
    return "%02d:%02d:%02d hours" % (t // 3600, (t % 3600) // 60, t % 60)


def _num(out, v, p, n, code):
    if n != 4:
        out.append("ERROR: length %u != 4" % n)
        return
    values = _ATTRS[code][1]
    if values is not None:
        if code in (64, 65):  # Tunnel-Type, Tunnel-Medium-Type: a tag, then 24 bits
            tag = v.u8(p)
            out.append("Tag[%u] " % tag if tag else "Tag[Unused] ")
            value = v.un(p + 1, 3)
        else:
            value = v.un(p, 4)
        out.append(values.get(value, "#%u" % value))
    elif code == 23:  # Framed-IPX-Network
        value = v.un(p, 4)
        out.append("NAS Select" if value == 0xFFFFFFFE else "%u" % value)
    elif code in _TIMEOUTS:
        out.append(_duration(v.un(p, 4)))
    elif code in (37, 38):  # Framed-AppleTalk-Link, -Network
        value = v.un(p, 4)
        out.append("%u" % value if value else "Unnumbered" if code == 37 else "NAS assigned")
    elif code == 83:  # Tunnel-Preference
        tag = v.u8(p)
        out.append("Tag[%u] " % tag if tag else "Tag[Unused] ")
        out.append("%u" % v.un(p + 1, 3))
    elif code == 56:  # Egress-VLANID
        tag = v.u8(p)
        out.append("%s (0x%02x) " % (_TAGGED.get(tag, "Unknown tag"), tag))
        out.append("%u" % v.un(p + 1, 3))
    else:
        out.append("%u" % v.un(p, 4))


def _address(out, v, p, n, code):
    if n != 4:
        out.append("ERROR: length %u != 4" % n)
        return
    value = v.un(p, 4)
    if code in (8, 14) and value == 0xFFFFFFFF:
        out.append("User Selected")
    elif code in (8, 14) and value == 0xFFFFFFFE:
        out.append("NAS Select")
    else:
        out.append(ip4(v.d[p:p + 4]))


def _address6(out, v, p, n, code):
    if n != 16:
        out.append("ERROR: length %u != 16" % n)
        return
    v.un(p, 16)
    out.append(ip6(v.d[p:p + 16]))


def _netmask6(out, v, p, n, code):
    if n < 2 or n > 18:
        out.append("ERROR: length %u not in range (2..18)" % n)
        return
    if not _captured(v, p, n):
        out.append(" [|radius]")
        return
    plen = v.d[p + 1]
    if plen > 128:
        out.append("ERROR: netmask %u not in range (0..128)" % plen)
        return
    out.append("%s/%u" % (ip6(v.d[p + 2:p + n].ljust(16, b"\x00")), plen))
    if plen > 8 * (n - 2):
        out.append(" (inconsistent prefix length)")


def _mip6_home_link_prefix(out, v, p, n, code):
    if n != 17:
        out.append("ERROR: length %u != 17" % n)
        return
    if not _captured(v, p, n):
        out.append(" [|radius]")
        return
    if v.d[p] > 128:
        out.append("ERROR: netmask %u not in range (0..128)" % v.d[p])
        return
    out.append("%s/%u" % (ip6(v.d[p + 1:p + 17]), v.d[p]))


def _operator_name(out, v, p, n, code):
    if not _captured(v, p, n):
        out.append(" [|radius]")
        return
    if n < 2:
        out.append("ERROR: length %u < 2" % n)
        return
    out.append("[%s] %s" % (_OPERATOR_NAMESPACES.get(v.d[p], "unknown namespace %u" % v.d[p]),
                            printjn(v.d[p + 1:p + n])))


def _location_information(out, v, p, n, code):
    if not _captured(v, p, n):
        out.append(" [|radius]")
        return
    if n < 21:
        out.append("ERROR: length %u < 21" % n)
        return
    code_, entity = v.d[p + 2], v.d[p + 3]
    out.append("index %u, code %s, entity %s, " % (v.un(p, 2), _LOCATION_CODES.get(code_, "Unknown (%u)" % code_),
                                                  _LOCATION_ENTITIES.get(entity, "Unknown (%u)" % entity)))
    out.append('sighting time %s, time to live %s, method "%s"' % (ntp_time(v.d, p + 4), ntp_time(v.d, p + 12),
                                                                  printjn(v.d[p + 20:p + n])))


def _location_data(out, v, p, n, code):
    if not _captured(v, p, n):
        out.append(" [|radius]")
        return
    if n < 3:
        out.append("ERROR: length %u < 3" % n)
        return
    out.append("index %u, location" % v.un(p, 2))
    out.append("".join("\n\t    " + line[1:] for line in hex_lines(v.d[p + 2:p + n], True)))


def _basic_location_policy_rules(out, v, p, n, code):
    if not _captured(v, p, n):
        out.append(" [|radius]")
        return
    if n < 10:
        out.append("ERROR: length %u < 10" % n)
        return
    out.append("flags [%s], retention expires %s" % (_bits(_BLPR_FLAGS, v.un(p, 2)), ntp_time(v.d, p + 2)))
    if n > 10:
        out.append(', note well "%s"' % printjn(v.d[p + 10:p + n]))


def _time(out, v, p, n, code):
    if n != 4:
        out.append("ERROR: length %u != 4" % n)
        return
    out.append(time.asctime((time.gmtime if v.utc else time.localtime)(v.un(p, 4))))


def _vector64(out, v, p, n, code):
    if n != 8:
        out.append("ERROR: length %u != 8" % n)
        return
    out.append("[")
    value = v.un(p, 8)
    out.append(", ".join(name for bit, name in _MIP6_FEATURES if value & bit) + "]")


def _strange(out, v, p, n, code):
    if code == 70:  # ARAP-Password
        if n != 16:
            out.append("ERROR: length %u != 16" % n)
            return
        out.append("User_challenge (")
        v.hexbytes(out, p, 8)
        out.append(") User_resp(")
        v.hexbytes(out, p + 8, 8)
        out.append(")")
    elif code == 71:  # ARAP-Features
        if n != 14:
            out.append("ERROR: length %u != 14" % n)
            return
        out.append("User can change password" if v.u8(p) else "User cannot change password")
        out.append(", Min password length: %u, created at: " % v.u8(p + 1))
        v.hexbytes(out, p + 2, 4)
        out.append(", expires in: ")
        v.hexbytes(out, p + 6, 4)
        out.append(", Current Time: ")
        v.hexbytes(out, p + 10, 4)
    elif code == 84:  # ARAP-Challenge-Response
        if n < 8:
            out.append("ERROR: length %u != 8" % n)
            return
        v.hexbytes(out, p, 8)
    elif code == 101:  # Error-Cause
        if n != 4:
            out.append("Error: length %u != 4" % n)
            return
        cause = v.un(p, 4)
        out.append("Error cause %u: %s" % (cause, _ERROR_CAUSES.get(cause, "Error-Cause %u not known" % cause)))


def _eap(out, v, p, n):
    """print-eap.c's eap_print, as RADIUS's EAP-Message attribute shows it."""
    code, elen = v.u8(p), v.un(p + 2, 2)
    if elen != n:
        out.append("EAP fragment?")
        return
    out.append("%s (%u), id %u, len %u" % (_EAP_CODES.get(code, "unknown"), code, v.u8(p + 1), elen))
    if elen < 4:
        out.append(" (too short for EAP header)")
        return
    if not _captured(v, p, elen):
        out.append(" [|radius]")
        return
    if code not in (1, 2):
        return
    if elen < 5:
        out.append(" (too short for EAP request/response)")
        return
    sub = v.d[p + 4]
    out.append("\n\t\t Type %s (%u)" % (_EAP_TYPES.get(sub, "unknown"), sub))
    body = v.d[p + 5:p + elen]
    if sub == 1:
        if elen > 5:
            out.append(", Identity: " + printjn(body.split(b"\x00", 1)[0]))
    elif sub == 2:
        if elen < 6:
            out.append(" (too short for EAP Notification request/response)")
            return
        out.append(", Notification: " + printjn(body.split(b"\x00", 1)[0]))
    elif sub == 3:
        if elen < 6:
            out.append(" (too short for EAP Legacy NAK request/response)")
            return
        out.append(",".join(" %s (%u)" % (_EAP_TYPES.get(c, "unknown"), c) for c in body))
    elif sub in (13, 21, 43):
        name = "FAST" if sub == 43 else "TLS/TTLS"
        if elen < 6:
            out.append(" (too short for EAP %s request/response)" % name)
            return
        flags = body[0]
        if sub != 13:
            out.append(" %sv%u" % ("FAST" if sub == 43 else "TTLS", flags & 7))
        out.append(" flags [%s] 0x%02x" % (_bits(_EAP_TLS_FLAGS, flags), flags))
        if flags & 0x80:
            if elen < 10:
                out.append(" (too short for EAP %s request/response with length)" % name)
                return
            out.append(", len %u" % _U32.unpack_from(v.d, p + 6)[0])
    elif sub in (18, 23):
        if elen < 6:
            out.append(" (too short for EAP SIM/AKA request/response)")
            return
        out.append(" subtype [%s] 0x%02x" % (_EAP_AKA_SUBTYPES.get(body[0], "unknown"), body[0]))


_ATTRS = ((None, None, None), ("User-Name", None, _string), ("User-Password", None, None),
    ("CHAP-Password", None, None), ("NAS-IP-Address", None, _address), ("NAS-Port", None, _num),
    ("Service-Type", _SERV_TYPE, _num), ("Framed-Protocol", _FRM_PROTO, _num), ("Framed-IP-Address", None, _address),
    ("Framed-IP-Netmask", None, _address), ("Framed-Routing", _FRM_ROUTING, _num), ("Filter-Id", None, _string),
    ("Framed-MTU", None, _num), ("Framed-Compression", _FRM_COMP, _num), ("Login-IP-Host", None, _address),
    ("Login-Service", _LOGIN_SERV, _num), ("Login-TCP-Port", None, _num), ("Unassigned", None, None),
    ("Reply-Message", None, _string), ("Callback-Number", None, _string), ("Callback-Id", None, _string),
    ("Unassigned", None, None), ("Framed-Route", None, _string), ("Framed-IPX-Network", None, _num),
    ("State", None, _string), ("Class", None, _string), ("Vendor-Specific", None, _vendor),
    ("Session-Timeout", None, _num), ("Idle-Timeout", None, _num), ("Termination-Action", _TERM_ACTION, _num),
    ("Called-Station-Id", None, _string), ("Calling-Station-Id", None, _string), ("NAS-Identifier", None, _string),
    ("Proxy-State", None, _string), ("Login-LAT-Service", None, _string), ("Login-LAT-Node", None, _string),
    ("Login-LAT-Group", None, _string), ("Framed-AppleTalk-Link", None, _num),
    ("Framed-AppleTalk-Network", None, _num), ("Framed-AppleTalk-Zone", None, _string),
    ("Acct-Status-Type", _ACCT_STATUS, _num), ("Acct-Delay-Time", None, _num), ("Acct-Input-Octets", None, _num),
    ("Acct-Output-Octets", None, _num), ("Acct-Session-Id", None, _string), ("Acct-Authentic", _ACCT_AUTH, _num),
    ("Acct-Session-Time", None, _num), ("Acct-Input-Packets", None, _num), ("Acct-Output-Packets", None, _num),
    ("Acct-Terminate-Cause", _ACCT_TERM, _num), ("Acct-Multi-Session-Id", None, _string),
    ("Acct-Link-Count", None, _num), ("Acct-Input-Gigawords", None, _num), ("Acct-Output-Gigawords", None, _num),
    ("Unassigned", None, None), ("Event-Timestamp", None, _time), ("Egress-VLANID", None, _num),
    ("Ingress-Filters", _INGRESS_FILTERS, _num), ("Egress-VLAN-Name", None, _string),
    ("User-Priority-Table", None, None), ("CHAP-Challenge", None, _string), ("NAS-Port-Type", _NAS_PORT_TYPE, _num),
    ("Port-Limit", None, _num), ("Login-LAT-Port", None, _string), ("Tunnel-Type", _TUNNEL_TYPE, _num),
    ("Tunnel-Medium-Type", _TUNNEL_MEDIUM, _num), ("Tunnel-Client-Endpoint", None, _string),
    ("Tunnel-Server-Endpoint", None, _string), ("Acct-Tunnel-Connection", None, _string),
    ("Tunnel-Password", None, _string), ("ARAP-Password", None, _strange), ("ARAP-Features", None, _strange),
    ("ARAP-Zone-Access", _ARAP_ZONE, _num), ("ARAP-Security", None, _string), ("ARAP-Security-Data", None, _string),
    ("Password-Retry", None, _num), ("Prompt", _PROMPT, _num), ("Connect-Info", None, _string),
    ("Configuration-Token", None, _string), ("EAP-Message", None, _string), ("Message-Authenticator", None, _string),
    ("Tunnel-Private-Group-ID", None, _string), ("Tunnel-Assignment-ID", None, _string),
    ("Tunnel-Preference", None, _num), ("ARAP-Challenge-Response", None, _strange),
    ("Acct-Interim-Interval", None, _num), ("Acct-Tunnel-Packets-Lost", None, _num), ("NAS-Port-Id", None, _string),
    ("Framed-Pool", None, _string), ("CUI", None, _string), ("Tunnel-Client-Auth-ID", None, _string),
    ("Tunnel-Server-Auth-ID", None, _string), ("NAS-Filter-Rule", None, _string), ("Unassigned", None, None),
    ("Originating-Line-Info", None, None), ("NAS-IPv6-Address", None, _address6),
    ("Framed-Interface-ID", None, None), ("Framed-IPv6-Prefix", None, _netmask6),
    ("Login-IPv6-Host", None, _address6), ("Framed-IPv6-Route", None, _string), ("Framed-IPv6-Pool", None, _string),
    ("Error-Cause", None, _strange), ("EAP-Key-Name", None, None), ("Digest-Response", None, _string),
    ("Digest-Realm", None, _string), ("Digest-Nonce", None, _string), ("Digest-Response-Auth", None, _string),
    ("Digest-Nextnonce", None, _string), ("Digest-Method", None, _string), ("Digest-URI", None, _string),
    ("Digest-Qop", None, _string), ("Digest-Algorithm", None, _string), ("Digest-Entity-Body-Hash", None, _string),
    ("Digest-CNonce", None, _string), ("Digest-Nonce-Count", None, _string), ("Digest-Username", None, _string),
    ("Digest-Opaque", None, _string), ("Digest-Auth-Param", None, _string), ("Digest-AKA-Auts", None, _string),
    ("Digest-Domain", None, _string), ("Digest-Stale", None, _string), ("Digest-HA1", None, _string),
    ("SIP-AOR", None, _string), ("Delegated-IPv6-Prefix", None, _netmask6), ("MIP6-Feature-Vector", None, _vector64),
    ("MIP6-Home-Link-Prefix", None, _mip6_home_link_prefix), ("Operator-Name", None, _operator_name),
    ("Location-Information", None, _location_information), ("Location-Data", None, _location_data),
    ("Basic-Location-Policy-Rules", None, _basic_location_policy_rules))


def radius_print(f, out, d, q, length, end, ulen, fragmented):
    if q + _HEADER > end:
        raise _CUT
    rlen = _U16.unpack_from(d, q + 2)[0]
    if rlen < _HEADER:
        raise _CUT
    rlen = min(rlen, length)
    code = d[q]
    if not f.vflag:
        out.append("RADIUS, %s (%u), id: 0x%02x length: %u" % (_COMMANDS.get(code, "Unknown Command"), code, d[q + 1],
                                                             rlen))
        return True
    out.append("RADIUS, length: %u\n\t%s (%u), id: 0x%02x, Authenticator: %s" % (
        rlen, _COMMANDS.get(code, "Unknown Command"), code, d[q + 1], d[q + 4:q + 20].hex()))
    if rlen > _HEADER:
        _attributes(f, out, d, q + _HEADER, rlen - _HEADER, end)
    return True


def _attributes(f, out, d, p, length, end):
    """radius_attrs_print: a line per attribute; a value printer's own cut (`` [|radius]``) goes
    on with the next attribute, a read past the capture ends the line."""
    v = _Value(d, end, bool(f.options.utc))
    while length > 0:
        if length < 2 or p + 2 > end:
            raise _CUT
        code, alen = d[p], d[p + 1]
        name = _ATTRS[code][0] if 0 < code < len(_ATTRS) else "Unknown"
        out.append("\n\t  %s Attribute (%u), length: %u" % (name, code, alen))
        if alen < 2:
            out.append(" (bogus, must be >= 2)")
            return
        if alen > length:
            out.append(" (bogus, goes past end of packet)")
            return
        out.append(", Value: ")
        if code < len(_ATTRS) and alen > 2 and _ATTRS[code][2] is not None:
            _ATTRS[code][2](out, v, p + 2, alen - 2, code)
        if f.vflag > 1:
            if p + 2 > end:
                out.append("\n\t    Dissector error: print_unknown_data called with pointer past end of packet")
            else:
                out.append(hex_print("\n\t    ", d[p + 2:min(p + alen, end)]))
        length -= alen
        p += alen


dispatch.ports(dispatch.UDP_PORTS, radius_print, 1645, 1646, 1812, 1813, 1700, 3799)
