"""TFTP on UDP port 69, as tcpdump 4.99.3's print-tftp.c prints it.

``TFTP, length 28, RRQ "pxelinux.0" octet tsize 0 blksize 1408``: requests with
the file name, mode and options, option acknowledgements, DATA and ACK block
numbers, ERROR codes and messages. A string that the datagram or the capture
ends before its NUL ends the line with `` [|tftp]``. (Only the transfer's first
datagram uses port 69: the rest go between ephemeral ports, as tcpdump sees it.)
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, printjn

_SOFT_CUT = " [|tftp]"
_CUT = Truncated("tftp")
_U16 = struct.Struct("!H")
_OPS = {1: "RRQ", 2: "WRQ", 3: "DATA", 4: "ACK", 5: "ERROR", 6: "OACK"}
_ERRORS = {0: "EUNDEF", 1: "ENOTFOUND", 2: "EACCESS", 3: "ENOSPACE", 4: "EBADOP", 5: "EBADID", 6: "EEXISTS",
           7: "ENOUSER"}


def _printztn(out, d, q, n, end):
    """nd_printztn: the string to its NUL; the bytes it took with the NUL, 0 if the length
    or the capture ended first."""
    stop = min(q + n, end)
    nul = d.find(b"\x00", q, stop)
    if nul < 0:
        out.append(printjn(d[q:stop]))
        return 0
    out.append(printjn(d[q:nul]))
    return nul - q + 1


def tftp_print(f, out, d, q, length, end, ulen, fragmented):
    out.append("TFTP, length %u" % length)
    if length < 2:
        out.append(_SOFT_CUT)
        return True
    if q + 2 > end:
        raise _CUT
    op = _U16.unpack_from(d, q)[0]
    name = _OPS.get(op)
    out.append(", %s" % (name or "tftp-#%u" % op))
    if name is None:
        return True
    q += 2
    length -= 2
    if op in (1, 2):
        if length == 0:
            out.append(_SOFT_CUT)
            return True
        out.append(' "')
        took = _printztn(out, d, q, length, end)
        out.append('"')
        if not took:
            out.append(_SOFT_CUT)
            return True
        q += took
        length -= took
        if length == 0:
            out.append(_SOFT_CUT)
            return True
        out.append(" ")
        took = _printztn(out, d, q, length, end)
        if not took:
            out.append(_SOFT_CUT)
            return True
        q += took
        length -= took
        _options(out, d, q, length, end)
    elif op == 6:
        _options(out, d, q, length, end)
    elif op in (3, 4):
        if length < 2:
            out.append(_SOFT_CUT)
            return True
        if q + 2 > end:
            raise _CUT
        out.append(" block %u" % _U16.unpack_from(d, q)[0])
    else:
        if length < 2:
            out.append(_SOFT_CUT)
            return True
        if q + 2 > end:
            raise _CUT
        code = _U16.unpack_from(d, q)[0]
        out.append(" %s" % _ERRORS.get(code, 'tftp-err-#%u "' % code))
        q += 2
        length -= 2
        if length == 0:
            out.append(_SOFT_CUT)
            return True
        out.append(' "')
        took = _printztn(out, d, q, length, end)
        out.append('"')
        if not took:
            out.append(_SOFT_CUT)
    return True


def _options(out, d, q, length, end):
    """The option names and values after a request or in an OACK, each NUL-ended."""
    while length:
        if q >= end:
            raise _CUT
        if d[q]:
            out.append(" ")
        took = _printztn(out, d, q, length, end)
        if not took:
            out.append(_SOFT_CUT)
            return
        q += took
        length -= took


dispatch.ports(dispatch.UDP_PORTS, tftp_print, 69)
