"""PPPoE discovery (Ethernet type 0x8863), as tcpdump 4.99.3's print-pppoe.c prints it.

``PPPoE PADI [Service-Name] [Host-Uniq 0x2A000000]``: the code, the session id
once there is one, and every tag, as text when most of it is printable, else in
hex. Header fields that disagree with the frame are flagged (``[len 40 > 38!]``).
A tag past the capture ends the line with `` [|pppoe]``. (PPPoE session frames,
0x8864, carry PPP, which netlab does not decode.)
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated

_CUT = Truncated("pppoe")
_U16 = struct.Struct("!H")
_CODES = {0x09: "PADI", 0x07: "PADO", 0x19: "PADR", 0x65: "PADS", 0xA7: "PADT", 0: ""}
_TAGS = {0: "EOL", 0x0101: "Service-Name", 0x0102: "AC-Name", 0x0103: "Host-Uniq", 0x0104: "AC-Cookie",
         0x0105: "Vendor-Specific", 0x0110: "Relay-Session-ID", 0x0120: "PPP-Max-Payload",
         0x0201: "Service-Name-Error", 0x0202: "AC-System-Error", 0x0203: "Generic-Error"}
_HDRLEN = 6
_MAXTAGPRINT = 80


def pppoe_print(f, out, d, p, length, end):
    if length < _HDRLEN:
        out.append(" (length %u < %u) (invalid)" % (length, _HDRLEN))
        return
    length -= _HDRLEN
    if p + _HDRLEN > end:
        raise _CUT
    version, kind, code = d[p] >> 4, d[p] & 0x0F, d[p + 1]
    session, plen = _U16.unpack_from(d, p + 2)[0], _U16.unpack_from(d, p + 4)[0]
    if version != 1:
        out.append(" [ver %u]" % version)
    if kind != 1:
        out.append(" [type %u]" % kind)
    out.append("PPPoE %s" % _CODES.get(code, "PAD-%x" % code))
    if code == 0x09 and plen > 1484 - _HDRLEN:
        out.append(" [len %u!]" % plen)
    if plen > length:
        out.append(" [len %u > %u!]" % (plen, length))
        plen = length
    if session:
        out.append(" [ses 0x%x]" % session)
    if not code:
        out.append(" ")  # (PPP follows: not decoded)
        return
    q = p + _HDRLEN
    stop = q + plen
    tag = 0xFFFF
    while tag and q < stop:
        if q + 4 > end:
            raise _CUT
        tag, size = _U16.unpack_from(d, q)[0], _U16.unpack_from(d, q + 2)[0]
        q += 4
        name = _TAGS.get(tag, "TAG-0x%x" % tag)
        if size:
            if q + size > end:
                raise _CUT
            value = d[q:q + size]
            shown = value[:_MAXTAGPRINT - 1]
            printable = sum(1 for c in shown if 0x20 <= c <= 0x7E)
            if printable > len(shown) - printable:
                text = "".join(chr(c) if 0x20 <= c <= 0x7E else "." for c in shown)
                out.append(' [%s "%s"]' % (name, text))
            else:
                out.append(" [%s 0x%s]" % (name, value.hex().upper()))
        else:
            out.append(" [%s]" % name)
        q += size


dispatch.ETHERTYPES[0x8863] = pppoe_print
