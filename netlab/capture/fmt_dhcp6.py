"""DHCPv6 on UDP ports 546 and 547, as tcpdump 4.99.3's print-dhcp6.c prints it.

Without -v: ``dhcp6 solicit``. With -v the transaction id (or a relay's link
and peer addresses) and every option in parentheses: DUIDs, IA_NA/IA_TA/IA_PD
with their addresses and prefixes, option requests, preference, elapsed time,
status codes, DNS servers and search lists, relayed messages, authentication,
NTP servers and the rest tcpdump knows. An option the capture cuts ends with
`` [|dhcp6]`` inside the parentheses, as tcpdump's own check prints it.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch, fmt_dns
from netlab.capture.fmt_base import Truncated, ip6, printjn

_SOFT_CUT = " [|dhcp6]"
_CUT = Truncated("dhcp6")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")

MESSAGES = {1: "solicit", 2: "advertise", 3: "request", 4: "confirm", 5: "renew", 6: "rebind", 7: "reply",
            8: "release", 9: "decline", 10: "reconfigure", 11: "inf-req", 12: "relay-fwd", 13: "relay-reply",
            14: "leasequery", 15: "leasequery-reply"}
OPTIONS = {1: "client-ID", 2: "server-ID", 3: "IA_NA", 4: "IA_TA", 5: "IA_ADDR", 6: "option-request",
           7: "preference", 8: "elapsed-time", 9: "relay-message", 11: "authentication", 12: "server-unicast",
           13: "status-code", 14: "rapid-commit", 15: "user-class", 16: "vendor-class", 17: "vendor-specific-info",
           18: "interface-ID", 19: "reconfigure-message", 20: "reconfigure-accept", 21: "SIP-servers-domain",
           22: "SIP-servers-address", 23: "DNS-server", 24: "DNS-search-list", 25: "IA_PD", 26: "IA_PD-prefix",
           31: "SNTP-servers", 32: "lifetime", 27: "NIS-server", 28: "NIS+-server", 29: "NIS-domain-name",
           30: "NIS+-domain-name", 33: "BCMCS-domain-name", 34: "BCMCS-server", 36: "Geoconf-Civic",
           37: "Remote-ID", 38: "Subscriber-ID", 39: "Client-FQDN", 40: "PANA-agent", 41: "POSIX-timezone",
           42: "POSIX-tz-database", 43: "Echo-request-option", 44: "Lease-query", 45: "LQ-client-data",
           46: "Clt-time", 47: "LQ-relay-data", 48: "LQ-client-link", 56: "NTP-server", 64: "AFTR-Name",
           112: "MUD-URL"}
_STATUS = ("Success", "UnspecFail", "NoAddrsAvail", "NoBinding", "NotOnLink", "UseMulticast", "NoPrefixAvail",
           "UnknownQueryType", "MalformedQuery", "NotConfigured", "NotAllowed")
_ADDRESS_LISTS = (22, 23, 31, 27, 28, 34, 40, 48)
_RELAYS = (12, 13)


class _Cut(Exception):
    """tcpdump's ``goto trunc`` in dhcp6opt_print: the marker, and this option list ends."""


def dhcp6_print(f, out, d, q, length, end, ulen, fragmented):
    _message(f, out, d, q, length, end)
    return True


def _message(f, out, d, q, length, end):
    out.append("dhcp6")
    stop = min(end, q + length)
    if q + 4 > end:
        out.append(_SOFT_CUT)
        return
    kind = d[q]
    name = MESSAGES.get(kind, "msgtype-%u" % kind)
    if not f.vflag:
        out.append(" " + name)
        return
    out.append(" %s (" % name)
    if kind not in _RELAYS:
        out.append("xid=%x" % (_U32.unpack_from(d, q)[0] & 0x00FFFFFF))
        _options(f, out, d, q + 4, stop, end)
    else:
        if q + 18 > end:
            raise _CUT
        out.append("linkaddr=%s" % ip6(d[q + 2:q + 18]))
        if q + 34 > end:
            raise _CUT
        out.append(" peeraddr=%s" % ip6(d[q + 18:q + 34]))
        _options(f, out, d, q + 34, stop, end)
    out.append(")")


def _options(f, out, d, p, stop, end):
    """dhcp6opt_print: the options from p to stop (end: where the capture ends)."""
    try:
        while p < stop:
            if stop < p + 4 or p + 4 > end:
                raise _Cut
            olen = _U16.unpack_from(d, p + 2)[0]
            if stop < p + 4 + olen:
                raise _Cut
            kind = _U16.unpack_from(d, p)[0]
            out.append(" (%s" % OPTIONS.get(kind, "opt_%u" % kind))
            if p + 4 + olen > end:
                raise _Cut
            _option(f, out, d, p + 4, kind, olen, end)
            p += 4 + olen
    except _Cut:
        out.append(_SOFT_CUT)


def _hex(b):
    return b.hex()


def _ia(v) -> str:
    return " IAID:%u T1:%u T2:%u" % struct.unpack_from("!III", v)


# options that hold options: kind -> (the size of their own head, its text)
_NESTED = {
    3: (12, _ia),  # IA_NA
    25: (12, _ia),  # IA_PD
    4: (4, lambda v: " IAID:%u" % _U32.unpack_from(v)[0]),  # IA_TA
    5: (24, lambda v: " %s pltime:%u vltime:%u" % (ip6(v[:16]), _U32.unpack_from(v, 16)[0],
                                                   _U32.unpack_from(v, 20)[0])),  # IA address
    26: (25, lambda v: " %s/%u pltime:%u vltime:%u" % (ip6(v[9:25]), v[8], _U32.unpack_from(v)[0],
                                                       _U32.unpack_from(v, 4)[0])),  # IA prefix
    44: (17, lambda v: "%s %s" % ({1: " by-address", 2: " by-clientID"}.get(v[0], " type_%u" % v[0]),
                                  ip6(v[1:17]))),  # lease query
    45: (0, lambda v: ""),  # client data
}


def _option(f, out, d, t, kind, olen, end):
    """One option's value (captured whole) and its closing parenthesis."""
    v = d[t:t + olen]
    nested = _NESTED.get(kind)
    if nested is not None:  # a head of fixed size, then options of its own
        size, head = nested
        if olen < size:
            out.append(" ?)")
            return
        out.append(head(v))
        if olen > size:
            _options(f, out, d, t + size, t + olen, end)
        out.append(")")
    elif kind in (1, 2):
        if olen < 2:
            out.append(" ?)")
            return
        duid = _U16.unpack_from(v)[0]
        if duid == 1:
            out.append(" hwaddr/time type %u time %u %s)" % (_U16.unpack_from(v, 2)[0], _U32.unpack_from(v, 4)[0],
                                                              _hex(v[8:])) if olen >= 8 else " ?)")
        elif duid == 2:
            out.append(" vid %s)" % _hex(v[2:10]) if olen >= 10 else " ?)")
        elif duid == 3:
            out.append(" hwaddr type %u %s)" % (_U16.unpack_from(v, 2)[0], _hex(v[4:])) if olen >= 4 else " ?)")
        else:
            out.append(" type %u)" % duid)
    elif kind in (6, 43):
        if olen % 2:
            out.append(" ?)")
            return
        out.append("".join(" " + OPTIONS.get(o, "opt_%u" % o)
                           for o in (_U16.unpack_from(v, i)[0] for i in range(0, olen, 2))) + ")")
    elif kind == 7:
        out.append(" %u)" % v[0] if olen == 1 else " ?)")
    elif kind == 8:
        out.append(" %u)" % _U16.unpack_from(v)[0] if olen == 2 else " ?)")
    elif kind == 9:
        out.append(" (")
        _message(f, out, d, t, olen, min(end, t + olen))
        out.append(")")
    elif kind == 11:
        _auth(out, v, olen)
    elif kind in (14, 20):
        out.append(")")
    elif kind in (18, 38):
        out.append(" %s...)" % _hex(v[:10]))
    elif kind == 19:
        if olen != 1:
            out.append(" ?)")
        else:
            out.append({5: " for renew)", 11: " for inf-req)"}.get(v[0], " for ???(%02x))" % v[0]))
    elif kind in _ADDRESS_LISTS:
        if olen % 16:
            out.append(" ?)")
            return
        out.append("".join(" " + ip6(v[i:i + 16]) for i in range(0, olen, 16)) + ")")
    elif kind in (21, 24):
        q = t
        while q < t + olen:
            out.append(" ")
            named = fmt_dns.fqdn(d, q, t + olen, end)
            if named is None:
                raise _Cut
            out.append(named[0])
            q = named[1]
        out.append(")")
    elif kind == 13:
        if olen < 2:
            out.append(" ?)")
            return
        code = _U16.unpack_from(v)[0]
        out.append(" %s)" % ("INVALID code" if code > 255 else
                             _STATUS[code] if code < len(_STATUS) else "code%u" % code))
    elif kind in (32, 46):
        out.append(" %u)" % _U32.unpack_from(v)[0] if olen == 4 else " ?)")
    elif kind == 37:
        out.append(" %u %s...)" % (_U32.unpack_from(v)[0], _hex(v[4:14])) if olen >= 4 else " ?)")
    elif kind == 47:
        out.append(" %s %s...)" % (ip6(v[:16]), _hex(v[16:26])) if olen >= 16 else " ?)")
    elif kind == 56:
        _ntp_servers(out, d, t, olen, end)
    elif kind == 64:
        _aftr(out, v, olen)
    elif kind in (41, 42, 112):
        if olen < 5:
            out.append(" ?)")
            return
        nul = v.find(b"\x00")
        out.append(" %s)" % printjn(v if nul < 0 else v[:nul]))
    else:
        out.append(")")


def _auth(out, v, olen):
    if olen < 11:
        out.append(" ?)")
        return
    proto, alg, rdm = v[0], v[1], v[2]
    out.append({2: " proto: delayed", 3: " proto: reconfigure"}.get(proto, " proto: %u" % proto))
    out.append(", alg: HMAC-MD5" if alg == 1 else ", alg: %u" % alg)
    out.append(", RDM: mono" if rdm == 0 else ", RDM: %u" % rdm)
    out.append(", RD:" + "".join(" %04x" % _U16.unpack_from(v, 3 + 2 * i)[0] for i in range(4)))
    info = olen - 11
    t = 11
    if proto == 2:
        if info:
            if info < 20:
                out.append(" ??")
            else:
                realm = info - 20
                if realm:
                    out.append(", realm: ")
                out.append(_hex(v[t:t + realm]))
                t += realm
                out.append(", key ID: %08x" % _U32.unpack_from(v, t)[0])
                out.append(", HMAC-MD5:" + "".join(" %08x" % _U32.unpack_from(v, t + 4 + 4 * i)[0] for i in range(4)))
    elif proto == 3:
        if info != 17:
            out.append(" ??")
        else:
            out.append({1: " reconfig-key", 2: " type: HMAC-MD5"}.get(v[t], " type: ??"))
            out.append(" value:" + "".join(" %08x" % _U32.unpack_from(v, t + 1 + 4 * i)[0] for i in range(4)))
    else:
        out.append(" ??")
    out.append(")")


def _ntp_servers(out, d, t, olen, end):
    if olen < 4:
        out.append(" ?)")
        return
    q = t
    stop = t + olen
    while q < stop - 4:
        code, size = _U16.unpack_from(d, q)[0], _U16.unpack_from(d, q + 2)[0]
        q += 4
        if q + size > stop:
            raise _Cut
        out.append(" subopt:%u" % code)
        if code in (1, 2):
            out.append(" %s" % ip6(d[q:q + 16]) if size == 16 else " ?")
        elif code == 3:
            out.append(" ")
            named = fmt_dns.fqdn(d, q, q + size, end)
            if named is None:
                raise _Cut
            out.append(named[0])
        else:
            out.append(" ?")
        q += size
    out.append(")")


def _aftr(out, v, olen):
    if olen < 3:
        out.append(" ?)")
        return
    out.append(" ")
    i = 0
    left = olen
    while left and v[i]:
        n = v[i]
        i += 1
        if n < left - 1:
            label = v[i:i + n]
            nul = label.find(b"\x00")
            out.append(printjn(label if nul < 0 else label[:nul]))
            i += n
            left -= n + 1
            if i < olen and v[i]:
                out.append(".")
        else:
            out.append(" ?")
            break
    out.append(")")


dispatch.ports(dispatch.UDP_PORTS, dhcp6_print, 546, 547)
