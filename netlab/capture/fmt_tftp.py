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
from netlab.capture.fmt_base import Truncated, printztn

_SOFT_CUT = " [|tftp]"
_CUT = Truncated("tftp")
_U16 = struct.Struct("!H")
_OPS = {1: "RRQ", 2: "WRQ", 3: "DATA", 4: "ACK", 5: "ERROR", 6: "OACK"}
_ERRORS = {0: "EUNDEF", 1: "ENOTFOUND", 2: "EACCESS", 3: "ENOSPACE", 4: "EBADOP", 5: "EBADID", 6: "EEXISTS",
           7: "ENOUSER"}


class _Short(Exception):
    """The datagram's length ends before a field: tcpdump's own check, `` [|tftp]`` ends the line."""


def _u16(d, q, length, end):
    """The 16-bit field at q: past the length ``_Short``, past the capture tcpdump's longjmp."""
    if length < 2:
        raise _Short
    if q + 2 > end:
        raise _CUT
    return _U16.unpack_from(d, q)[0]


def _string(out, d, q, length, end, before, after=""):
    """One NUL-ended string between ``before`` and ``after``; (q, length) past its NUL."""
    if length == 0:
        raise _Short
    out.append(before)
    took = printztn(out, d, q, length, end)
    out.append(after)
    if not took:
        raise _Short
    return q + took, length - took


def tftp_print(f, out, d, q, length, end, ulen, fragmented):
    out.append("TFTP, length %u" % length)
    try:
        _message(out, d, q, length, end)
    except _Short:
        out.append(_SOFT_CUT)
    return True


def _message(out, d, q, length, end):
    op = _u16(d, q, length, end)
    name = _OPS.get(op)
    out.append(", %s" % (name or "tftp-#%u" % op))
    if name is None:
        return
    q += 2
    length -= 2
    if op in (1, 2):  # RRQ, WRQ: the file name, the mode, options
        q, length = _string(out, d, q, length, end, ' "', '"')
        q, length = _string(out, d, q, length, end, " ")
        _options(out, d, q, length, end)
    elif op == 6:  # OACK
        _options(out, d, q, length, end)
    elif op in (3, 4):  # DATA, ACK
        out.append(" block %u" % _u16(d, q, length, end))
    else:  # ERROR
        code = _u16(d, q, length, end)
        out.append(" %s" % _ERRORS.get(code, 'tftp-err-#%u "' % code))
        _string(out, d, q + 2, length - 2, end, ' "', '"')


def _options(out, d, q, length, end):
    """The option names and values after a request or in an OACK, each NUL-ended."""
    while length:
        if q >= end:
            raise _CUT
        q, length = _string(out, d, q, length, end, " " if d[q] else "")


dispatch.ports(dispatch.UDP_PORTS, tftp_print, 69)
