"""SOME/IP (UDP 30490), as tcpdump 4.99.3's print-someip.c prints it.

``SOMEIP, service 4660, method 1, len 8, client 1, session 2, pver 1, iver 1, msgtype
REQUEST, retcode E_OK`` and, as tcpdump has it, an empty line after; a datagram shorter
than the 16-byte header is ``SOMEIP (invalid)``.
"""

from __future__ import annotations

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, checked_readers

_READ = Truncated("someip")
_u8, _, _u32 = checked_readers(_READ)
_MESSAGE_TYPES = {0x00: "REQUEST", 0x01: "REQUEST_NO_RETURN", 0x02: "NOTIFICATION", 0x80: "RESPONSE", 0x81: "ERROR",
                  0x20: "TP_REQUEST", 0x21: "TP_REQUEST_NO_RETURN", 0x22: "TP_NOTIFICATION", 0xA0: "TP_RESPONSE",
                  0xA1: "TP_ERROR"}
_RETURN_CODES = ("E_OK", "E_NOT_OK", "E_UNKNOWN_SERVICE", "E_UNKNOWN_METHOD", "E_NOT_READY", "E_NOT_REACHABLE",
                 "E_TIMEOUT", "E_WRONG_PROTOCOL_VERSION", "E_WRONG_INTERFACE_VERSION", "E_MALFORMED_MESSAGE",
                 "E_WRONG_MESSAGE_TYPE", "E_E2E_REPEATED", "E_E2E_WRONG_SEQUENCE", "E_E2E", "E_E2E_NOT_AVAILABLE",
                 "E_E2E_NO_NEW_DATA")


def someip_print(f, out, d, q, length, end, ulen, fragmented):
    out.append("SOMEIP")
    if length < 16:
        out.append(" (invalid)")
        return True
    message = _u32(d, q, end)
    out.append(", service %u, %s %u" % (message >> 16, "event" if message & 0x8000 else "method", message & 0x7FFF))
    out.append(", len %u" % _u32(d, q + 4, end))
    request = _u32(d, q + 8, end)
    out.append(", client %u, session %u" % (request >> 16, request & 0xFFFF))
    out.append(", pver %u" % _u8(d, q + 12, end))
    out.append(", iver %u" % _u8(d, q + 13, end))
    out.append(", msgtype %s" % _MESSAGE_TYPES.get(_u8(d, q + 14, end), "Unknown"))
    code = _u8(d, q + 15, end)
    out.append(", retcode %s\n" % (_RETURN_CODES[code] if code < len(_RETURN_CODES) else "Unknown"))
    return True


dispatch.ports(dispatch.UDP_PORTS, someip_print, 30490)
