"""LWAPP (RFC 5412: UDP 12222 data, 12223 control), as tcpdump 4.99.3's print-lwapp.c prints it.

``LWAPPv0, Control frame, Flags [Control Bit], length 40``; -v the radio and fragment
ids and the header's length, then a data frame's payload in hex or a control frame's
messages (``Msg type: Discovery req (1), Seqnum: 7, ...``). A version other than 0 is
``LWAPP version 1 packet not supported``.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, hex_print, mac

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_CONTROL_PORT = 12223
_FLAGS = ((0x01, "Last Fragment Bit"), (0x02, "Fragment Bit"), (0x04, "Control Bit"))
_MSG_TYPES = {1: "Discovery req", 2: "Discovery resp", 3: "Join req", 4: "Join resp", 5: "Join ack",
              6: "Join confirm", 10: "Configure req", 11: "Configure resp", 12: "Update req", 13: "Update resp",
              14: "WTP event req", 15: "WTP event resp", 16: "Change state event req",
              17: "Change state event resp", 22: "Echo req", 23: "Echo resp", 24: "Image data req",
              25: "Image data resp", 26: "Channel status req", 27: "Channel status resp",
              30: "Key update req", 31: "Key update resp", 32: "Primary discovery req",
              33: "Primary discovery resp", 34: "Data transfer req", 35: "Data transfer resp",
              36: "Clear config ind", 37: "Wlan config req", 38: "Wlan config resp", 39: "Mobile config req",
              40: "Mobile config resp"}


def _flags(version: int) -> str:
    return ", ".join(name for bit, name in _FLAGS if version & bit) or "none"


def _kind(version: int) -> str:
    return "Control" if version & 4 else "Data"


def _header(out, d, t, end, proto) -> int | None:
    """The version byte, or None once the line says the version is not supported."""
    if t + 6 > end:
        raise Truncated(proto, whole=False)
    version = d[t]
    if version >> 6 != 0:
        out.append("LWAPP version %u packet not supported" % (version >> 6))
        return None
    return version


def lwapp_data_print(f, out, d, q, length, end, ulen, fragmented):
    version = _header(out, d, q, end, "lwapp_data")
    if version is None:
        return True
    if not f.vflag:
        out.append("LWAPPv0, %s frame, Flags [%s], length %u" % (_kind(version), _flags(version), length))
        return True
    tlen = _U16.unpack_from(d, q + 2)[0]
    if tlen < 6:
        out.append("LWAPPv0, %s frame, Radio-id  %u, Flags [%s], length %u < transport header length"
                   % (_kind(version), (version >> 3) & 7, _flags(version), tlen))
        return True
    out.append("LWAPPv0, %s frame, Radio-id  %u, Flags [%s], Frag-id  %u, length %u"
               % (_kind(version), (version >> 3) & 7, _flags(version), d[q + 1], tlen))
    t = q + 6
    if t > end:
        out.append("\n\tDissector error: print_unknown_data called with pointer past end of packet")
    else:
        out.append(hex_print("\n\t", d[t:min(t + tlen - 6, end)]))
    return True


def lwapp_control_print(f, out, d, q, length, end, ulen, fragmented):
    """has_ap_ident: a datagram to the control port starts with the AP's 6-byte identity."""
    has_ap_ident = _U16.unpack_from(d, q - 6)[0] == _CONTROL_PORT
    t = q + 6 if has_ap_ident else q
    if has_ap_ident and q + 6 > end:
        raise Truncated("lwapp_control", whole=False)
    version = _header(out, d, t, end, "lwapp_control")
    if version is None:
        return True
    if not f.vflag:
        out.append("LWAPPv0, %s frame, Flags [%s], length %u" % (_kind(version), _flags(version), length))
        return True
    tlen = _U16.unpack_from(d, t + 2)[0]
    out.append("LWAPPv0, %s frame, Radio-id %u, Flags [%s], Frag-id %u, length %u"
               % (_kind(version), (version >> 3) & 7, _flags(version), d[t + 1], tlen))
    if has_ap_ident:
        out.append("\n\tAP identity: %s" % mac(d[q:q + 6]))
    t += 6
    while tlen:
        if t + 8 > end:
            raise Truncated("lwapp_control", whole=False)
        msg_len = _U16.unpack_from(d, t + 2)[0]
        if tlen < 8 or tlen < 8 + msg_len:
            out.append("\n\t  Msg goes past end of PDU")
            break
        kind = d[t]
        out.append("\n\t  Msg type: %s (%u), Seqnum: %u, Msg len: %u, Session: 0x%08x"
                   % (_MSG_TYPES.get(kind) or "Unknown", kind, d[t + 1], msg_len, _U32.unpack_from(d, t + 4)[0]))
        if t + msg_len > end:  # (tcpdump checks the message's length from its header's start)
            raise Truncated("lwapp_control", whole=False)
        t += 8 + msg_len
        tlen -= 8 + msg_len
    return True


dispatch.ports(dispatch.UDP_PORTS, lwapp_control_print, _CONTROL_PORT)
dispatch.ports(dispatch.UDP_PORTS, lwapp_data_print, 12222)
