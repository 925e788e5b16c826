"""NTP on UDP port 123, as tcpdump 4.99.3's print-ntp.c and ntp.c print it.

Without -v one line: ``NTPv4, Client, length 48``. With -v (and -vv, which
adds nothing here) the whole packet on indented lines: leap indicator,
stratum, poll, precision, root delay and dispersion, reference id, the four
timestamps (seconds since 1900, with their UTC date) and the originator's
differences to the receive and transmit times, then a key id and digest if
the length says there are; for control messages (mode 6) the header words.

Two ways out when the capture ends early, as in tcpdump: a field read past
it (its GET_ macros) jumps out of every printer (``Truncated``, whole frame
dumped); its own checks before a group of fields print `` [|ntp]`` and return.
"""

from __future__ import annotations

import struct
import time

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, checked_readers, ip4, printjn

_CUT = Truncated("ntp")  # a read past the capture: tcpdump's longjmp
_SOFT_CUT = " [|ntp]"     # tcpdump's own check failed: the marker, and the line ends
_u8, _u16, _u32 = checked_readers(_CUT)

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")

_MODES = ("unspecified", "symmetric active", "symmetric passive", "Client", "Server", "Broadcast",
          "Control Message", "Reserved")
_LEAP = {0x00: "", 0x40: "+1s", 0x80: "-1s", 0xC0: "clock unsynchronized"}
_MODE_CONTROL = 6
_MODE_RESERVED = 7

_TIMEMSG_MINLEN = 48  # the header of a time message, without key id and digest
_CTRLMSG_MINLEN = 12

_JAN_1970 = 2208988800  # seconds from 1900 (NTP's era 0) to 1970 (the Unix epoch)
_FMAXINT = 4294967296.0


def ntp_print(f, out, d, q, length, end, ulen, fragmented):
    status = _u8(d, q, end)
    mode = status & 7
    out.append("NTPv%u, %s, length %u" % ((status >> 3) & 7, _MODES[mode], length))
    if not f.vflag:
        return True
    leap = status & 0xC0
    out.append("\n\tLeap indicator: %s (%u)" % (_LEAP[leap], leap))
    if mode == _MODE_CONTROL:
        _control(out, d, q, length, end)
    elif mode != _MODE_RESERVED:  # (tcpdump prints nothing more for mode 7)
        _time(out, d, q, length, end)
    return True


def _invalid(out, q, length, end):
    """tcpdump's nd_print_invalid, then its check that the whole message was captured."""
    out.append(" (invalid)")
    if q + length > end:
        out.append(_SOFT_CUT)


def _time(out, d, q, length, end):
    """ntp_time_print: a time request or reply (modes 0 to 5)."""
    if length < _TIMEMSG_MINLEN:
        _invalid(out, q, length, end)
        return
    stratum = _u8(d, q + 1, end)
    if stratum == 0:
        kind = "unspecified"
    elif stratum == 1:
        kind = "primary reference"
    else:
        kind = "secondary reference" if stratum <= 15 else "reserved"
    out.append(", Stratum %u (%s)" % (stratum, kind))
    poll = _s8(_u8(d, q + 2, end))
    out.append(", poll %d" % poll)
    if -32 < poll < 32:
        out.append(" (%us)" % (1 << poll) if poll >= 0 else " (1/%us)" % (1 << -poll))
    out.append(", precision %d" % _s8(_u8(d, q + 3, end)))

    if q + 8 > end:
        out.append(_SOFT_CUT)
        return
    out.append("\n\tRoot Delay: " + _sfix(d, q + 4))
    if q + 12 > end:
        out.append(_SOFT_CUT)
        return
    out.append(", Root dispersion: " + _sfix(d, q + 8))
    if q + 16 > end:
        out.append(_SOFT_CUT)
        return
    out.append(", Reference-ID: ")
    # what the reference id is depends on the stratum
    if stratum == 0:
        out.append("(unspec)")
    elif stratum == 1:
        out.append(printjn(d[q + 12:q + 16]))  # a clock's name, "GPS\0"
    elif stratum in (62, 63):
        out.append("%s %s" % (ip4(d[q + 12:q + 16]), "INFO_QUERY" if stratum == 62 else "INFO_REPLY"))
        return  # tcpdump prints no more of these
    else:
        out.append("0x%08x" % _U32.unpack_from(d, q + 12)[0])

    for label, at in (("\n\t  Reference Timestamp:  ", 16), ("\n\t  Originator Timestamp: ", 24),
                      ("\n\t  Receive Timestamp:    ", 32), ("\n\t  Transmit Timestamp:   ", 40)):
        if q + at + 8 > end:
            out.append(_SOFT_CUT)
            return
        out.append(label + ntp_time(d, q + at))
    out.append("\n\t    Originator - Receive Timestamp:  " + _ntp_delta(d, q + 24, q + 32))
    out.append("\n\t    Originator - Transmit Timestamp: " + _ntp_delta(d, q + 24, q + 40))

    # tcpdump knows no extension fields: it goes by the length alone
    if length in (52, 68, 72):
        out.append("\n\tKey id: %u" % _u32(d, q + 48, end))
        digest = length - 52
        if digest:
            if q + 52 + digest > end:
                out.append(_SOFT_CUT)
                return
            out.append("\n\tAuthentication: " + d[q + 52:q + 52 + digest].hex())
    elif length > _TIMEMSG_MINLEN:
        out.append("\n\t(%u more bytes after the header)" % (length - _TIMEMSG_MINLEN))


def _control(out, d, q, length, end):
    """ntp_control_print: a mode 6 message's header words (tcpdump does not decode its data)."""
    if length < _CTRLMSG_MINLEN:
        _invalid(out, q, length, end)
        return
    control = _u8(d, q + 1, end)
    out.append(", %s, %s, %s, OpCode=%u\n" % ("Response" if control & 0x80 else "Request",
                                                "Error" if control & 0x40 else "OK",
                                                "More" if control & 0x20 else "Last", control & 0x1F))
    out.append("\tSequence=%u" % _u16(d, q + 2, end))
    status = _u16(d, q + 4, end)
    out.append(", Status=%s" % ("0x%x" % status if status else "0"))  # C's %#hx prints 0 bare
    out.append(", Assoc.=%u" % _u16(d, q + 6, end))
    out.append(", Offset=%u" % _u16(d, q + 8, end))
    count = _u16(d, q + 10, end)
    out.append(", Count=%u" % count)
    if _CTRLMSG_MINLEN + count > length:
        _invalid(out, q, length, end)
        return
    if count:
        if q + 12 + count > end:
            out.append(_SOFT_CUT)
            return
        out.append("\n\tTO-BE-DONE: data not interpreted")


def _s8(b: int) -> int:
    return b - 256 if b > 127 else b


def _sfix(d, i) -> str:
    """p_sfix: a 16.16 fixed-point number, the fraction in millionths (truncated, as C's cast does)."""
    whole, frac = _U16.unpack_from(d, i)[0], _U16.unpack_from(d, i + 2)[0]
    return "%d.%06d" % (whole, int(frac / 65536.0 * 1000000.0))


def _billionths(frac: int) -> int:
    """A 32-bit binary fraction in billionths, computed in doubles as tcpdump does (same rounding)."""
    return int(frac / _FMAXINT * 1000000000.0)


def ntp_time(d, i) -> str:
    """p_ntp_time: seconds.billionths since 1900, then the UTC date unless the seconds are 0."""
    secs, frac = _U32.unpack_from(d, i)[0], _U32.unpack_from(d, i + 4)[0]
    return _time_text(secs, frac)


def _time_text(secs: int, frac: int) -> str:
    text = "%u.%09u" % (secs, _billionths(frac))
    if secs:
        text += time.strftime(" (%Y-%m-%dT%H:%M:%SZ)", time.gmtime(secs - _JAN_1970))
    return text


def _ntp_delta(d, origin, other) -> str:
    """p_ntp_delta: other - origin as a signed seconds.billionths (other itself if origin is 0)."""
    ou, ouf = _U32.unpack_from(d, origin)[0], _U32.unpack_from(d, origin + 4)[0]
    u, uf = _U32.unpack_from(d, other)[0], _U32.unpack_from(d, other + 4)[0]
    if ou == 0 and ouf == 0:
        return _time_text(u, uf)
    if u > ou:
        negative = False
        whole = u - ou - (1 if ouf > uf else 0)
        frac = (uf - ouf) & 0xFFFFFFFF
    elif u < ou:
        negative = True
        whole = ou - u - (1 if uf > ouf else 0)
        frac = (ouf - uf) & 0xFFFFFFFF
    else:
        whole = 0
        negative = not uf > ouf
        frac = uf - ouf if uf > ouf else ouf - uf
    return "%s%u.%09u" % ("-" if negative else "+", whole, _billionths(frac))


dispatch.ports(dispatch.UDP_PORTS, ntp_print, 123)
