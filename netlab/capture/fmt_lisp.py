"""LISP control messages (UDP 4342), as tcpdump 4.99.3's print-lisp.c prints them.

The message type (``LISP-Map-Register,``, ``unknown-type-5,``); of Map-Register and
Map-Notify (the only ones tcpdump decodes) the record count, then a line per EID record
with its locators; -v the flags, the authentication data, each record's TTL, action and
map version, each locator's priorities and flags, the xTR and site ids or the rest in hex.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, hex_print, ip4, ip6

_READ = Truncated("lisp")
_CUT = Truncated("lisp", whole=False)
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_U64 = struct.Struct("!Q")
_REGISTER, _NOTIFY = 3, 4
_TYPES = {0: "LISP-Reserved", 1: "LISP-Map-Request", 2: "LISP-Map-Reply", 3: "LISP-Map-Register",
          4: "LISP-Map-Notify", 8: "LISP-Encapsulated-Contol-Message"}
_REGISTER_FLAGS = ((0x08000000, "P-Proxy-Map-Reply"), (0x04000000, "S-LISP-SEC-Capable"),
                   (0x02000000, "I-xTR-ID-Present"), (0x01000000, "R-Build-For-RTR"), (0x00000100, "M-Want-Map-Notify"))
_NOTIFY_FLAGS = ((0x08000000, "I-xTR-ID-Present"), (0x04000000, "R-Build-For-RTR"))
_LOC_FLAGS = ((0x0004, "Local-Locator"), (0x0002, "RLoc-Probed"), (0x0001, "Reachable"))
_AUTH = {0: "None", 1: "SHA1", 2: "SHA256"}
_ACTIONS = {0: "No-Action", 1: "Natively-Forward", 2: "Send-Map-Request", 3: "Drop"}


def _bits(table, value: int) -> str:
    """bittok2str: the names of the set bits, or "none"."""
    return ", ".join(name for bit, name in table if value & bit) or "none"


def _hex(out, ident, d, p, n, end):
    """hex_print: as many of the n bytes as were captured, then a longjmp if some were not."""
    out.append(hex_print(ident, d[p:min(p + n, end)]) if p < end else "")
    if p + n > end:
        raise _READ


def lisp_print(f, out, d, q, length, end, ulen, fragmented):
    if q + 16 > end:
        raise _CUT
    kind = d[q] >> 4
    out.append("%s," % _TYPES.get(kind, "unknown-type-%u" % kind))
    if f.vflag and kind in (_REGISTER, _NOTIFY):
        table = _REGISTER_FLAGS if kind == _REGISTER else _NOTIFY_FLAGS
        out.append(" flags [%s]," % _bits(table, _U32.unpack_from(d, q)[0]))
    if kind not in (_REGISTER, _NOTIFY):
        return True
    xtr = d[q] & (2 if kind == _REGISTER else 8)
    auth_len = _U16.unpack_from(d, q + 14)[0]
    records = d[q + 3]
    off = 16
    if f.vflag:
        key_id = _U16.unpack_from(d, q + 12)[0]
        out.append("\n    %u record(s), Authentication %s," % (records, _AUTH.get(key_id, "unknown-type")))
        _hex(out, "\n    Authentication-Data: ", d, q + off, auth_len, end)
    else:
        out.append(" %u record(s)," % records)
    off = (off + auth_len) & 0xFFFF
    if records == 0:
        out.append(" (invalid)")
        return True
    while length > off and records:
        records -= 1
        e = q + off
        if e + 12 > end:
            raise _CUT
        out.append("\n")
        off = (off + 12) & 0xFFFF
        mask_len, locators, afi = d[e + 5], d[e + 4], _U16.unpack_from(d, e + 10)[0]
        if f.vflag:
            flags = d[e + 6]
            out.append("      Record TTL %u,%s %s, Map Version: %u," % (
                _U32.unpack_from(d, e)[0], " Authoritative," if flags & 0x10 else " Non-Authoritative,",
                _ACTIONS.get(flags >> 5, "unknown"), _U16.unpack_from(d, e + 8)[0] & 0x0FFF))
        a = q + off
        if afi == 1:
            if a + 4 > end:
                raise _READ
            out.append(" EID %s/%u," % (ip4(d[a:a + 4]), mask_len))
            off = (off + 4) & 0xFFFF
        elif afi == 2:
            if a + 16 > end:
                raise _READ
            out.append(" EID %s/%u," % (ip6(d[a:a + 16]), mask_len))
            off = (off + 16) & 0xFFFF
        else:
            return True  # (no LCAF support)
        out.append(" %u locator(s)" % locators)
        for _ in range(locators):
            loc = q + off
            if loc + 8 > end:
                raise _CUT
            off = (off + 8) & 0xFFFF
            loc_afi = _U16.unpack_from(d, loc + 6)[0]
            if f.vflag:
                out.append("\n       ")
            if loc_afi == 1:
                if q + off + 4 > end:
                    raise _CUT
                out.append(" LOC %s" % ip4(d[loc + 8:loc + 12]))
                off = (off + 4) & 0xFFFF
            elif loc_afi == 2:
                if q + off + 16 > end:
                    raise _CUT
                out.append(" LOC %s" % ip6(d[loc + 8:loc + 24]))
                off = (off + 16) & 0xFFFF
            if f.vflag:
                out.append("\n          Priority/Weight %u/%u, Multicast Priority/Weight %u/%u, flags [%s]," % (
                    d[loc], d[loc + 1], d[loc + 2], d[loc + 3], _bits(_LOC_FLAGS, _U16.unpack_from(d, loc + 4)[0])))
    p = q + off
    if xtr:
        if p + 24 > end:
            out.append(" (invalid)")
            return True
        _hex(out, "\n    xTR-ID: ", d, p, 16, end)
        out.append("\n    SITE-ID: %u" % _U64.unpack_from(d, p + 16)[0])
    elif p < end:
        out.append(hex_print("\n    Data: ", d[p:end]))
    return True


dispatch.ports(dispatch.UDP_PORTS, lisp_print, 4342)
