"""RESP, the Redis protocol on TCP port 6379, as tcpdump 4.99.3's print-resp.c prints it.

``: RESP "GET" "session:713848"``: every value of the segment in turn (Redis
pipelines many commands in one segment), each string in quotes with
tcpdump's escapes, ``empty``/``null`` for empty and null strings and arrays,
``length too large``, ``length negative and not -1`` and ``invalid`` for
lengths that are not, and inline commands (a line of text, as telnet sends
them) as one quoted string.

tcpdump stops at the first value that does not end inside the segment or the
capture, with `` [|resp]``. It gets there two ways, which differ in a -x dump:
its own length checks (the value runs past the segment, or past the capture
where it checks first) print the marker and return; a byte read past the
capture (the type byte, a length's digits, an inline line's end) jumps out of
every printer (``Truncated``, the whole frame dumped).
"""

from __future__ import annotations

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, checked_readers, printjn

_CUT = Truncated("resp")  # a read past the capture: tcpdump's longjmp
_u8 = checked_readers(_CUT)[0]
_FAIL = -1                # tcpdump's "goto trunc": the value does not fit, stop with the marker

_INT_MAX = 2**31 - 1

# resp_get_length's answers that are not lengths
_NULL, _TRUNC, _TOO_LARGE, _NEGATIVE, _INVALID = -1, -2, -3, -4, -5
_BAD_LENGTH = {_NULL: " null", _TOO_LARGE: " length too large", _NEGATIVE: " length negative and not -1"}


def resp_print(f, out, d, q, length, end):
    """The payload d[q:q+length] of a segment to or from port 6379 (captured up to end)."""
    out.append(": RESP")
    while length > 0:  # pipelining: value after value until the segment ends
        n = _value(out, d, q, length, end)
        if n < 0:
            out.append(" [|resp]")
            return
        q += n
        length -= n


def _value(out, d, p, length, end):
    """resp_parse: one value at d[p] with length bytes left; bytes it took, or _FAIL.

    An array's elements follow its header, so an array of n elements is its
    header and then n more values: a count of values still due, not recursion,
    keeps deep nesting (``*1\\r\\n*1\\r\\n...``) within Python's stack as C's.
    """
    start = p
    due = 1
    while due:
        due -= 1
        if length < 1:
            return _FAIL
        if p >= end:
            raise _CUT
        op = d[p]
        if op == 0x2A:  # '*'
            n, items = _array_header(out, d, p, length, end)
            due += items
        elif op in (0x2B, 0x2D, 0x3A):  # '+', '-', ':'
            n = _line_value(out, d, p, length, end)
        elif op == 0x24:  # '$'
            n = _bulk_string(out, d, p, length, end)
        else:
            n = _inline(out, d, p, length, end)
        if n < 0:
            return _FAIL
        p += n
        length -= n
    return p - start


def _find_crlf(d, p, left, end):
    """FIND_CRLF: where the next CR LF starts, inside both the value and the capture; -1 if none."""
    return d.find(b"\r\n", p, min(p + left, end))


def _segment(out, text: bytes) -> None:
    out.append(' "%s"' % printjn(text))


def _line_value(out, d, p, length, end):
    """A simple string, an error or an integer: the text up to CR LF, quoted."""
    s = p + 1
    crlf = _find_crlf(d, s, length - 1, end)
    if crlf < 0:
        return _FAIL
    _segment(out, d[s:crlf])
    return 1 + (crlf - s) + 2


def _bulk_string(out, d, p, length, end):
    """``$<len>\\r\\n<bytes>\\r\\n``, or a length that says null, too large, negative or invalid."""
    left = length - 1
    p += 1
    size, after = _get_length(d, p, left, end)
    left -= after - p
    p = after
    if size >= 0:
        if size == 0:
            out.append(" empty")
        else:
            if left < size or p + size > end:
                return _FAIL
            _segment(out, d[p:p + size])
            p += size
            left -= size
        # the CR LF after the string, wherever it is (tcpdump skips to it)
        crlf = _find_crlf(d, p, left, end)
        if crlf < 0:
            return _FAIL
        left -= crlf - p + 2
    elif size == _TRUNC:
        return _FAIL
    else:
        out.append(_BAD_LENGTH.get(size, " invalid"))
    return length - left


def _array_header(out, d, p, length, end):
    """``*<count>\\r\\n``: (bytes of the header, how many values follow), or (_FAIL, 0)."""
    left = length - 1
    p += 1
    count, after = _get_length(d, p, left, end)
    left -= after - p
    if count > 0:
        return length - left, count
    if count == 0:
        out.append(" empty")
    elif count == _TRUNC:
        return _FAIL, 0
    else:
        out.append(_BAD_LENGTH.get(count, " invalid"))
    return length - left, 0


def _inline(out, d, p, length, end):
    """An inline command: the text up to CR or LF, then every CR and LF that follows."""
    left = length
    p, left = _skip_cr_lf(d, p, left, end)
    if p < 0:
        return _FAIL
    stop = min(p + left, end)
    eol = _first_cr_or_lf(d, p, stop)
    if eol < 0:
        if p + left > end:
            raise _CUT  # tcpdump reads on past the capture
        return _FAIL
    _segment(out, d[p:eol])
    left -= eol - p
    p, left = _skip_cr_lf(d, eol, left, end)
    if p < 0:
        return _FAIL
    return length - left


def _first_cr_or_lf(d, p, stop):
    cr = d.find(b"\r", p, stop)
    lf = d.find(b"\n", p, stop)
    if cr < 0:
        return lf
    if lf < 0:
        return cr
    return min(cr, lf)


def _skip_cr_lf(d, p, left, end):
    """CONSUME_CR_OR_LF: past a run of CR and LF; (-1, 0) if the data ends before one non-CR/LF byte was seen
    and no CR or LF either (tcpdump's trunc)."""
    found = False
    while True:
        if left == 0 or p >= end:
            if found:
                return p, left
            return -1, 0
        if d[p] not in (13, 10):
            return p, left
        found = True
        p += 1
        left -= 1


def _get_length(d, p, left, end):
    """resp_get_length: (length or one of the negative answers, where the parse stopped).

    Reads byte by byte as tcpdump does, a read past the capture being its longjmp.
    """
    if left == 0:
        return _TRUNC, p

    too_large = neg = False
    if _u8(d, p, end) == 0x2D:  # '-'
        neg = True
        p += 1
        left -= 1
    result = 0
    saw_digit = False
    while True:
        if left == 0:
            return _TRUNC, p
        c = _u8(d, p, end)
        if not 0x30 <= c <= 0x39:
            if not saw_digit:
                return _INVALID, p + 1
            break
        c -= 0x30
        if result > _INT_MAX // 10:  # an int would overflow: C's check, kept to give the same answers
            too_large = True
        else:
            result *= 10
            if result == (_INT_MAX // 10) * 10 and c > _INT_MAX % 10:
                too_large = True
            else:
                result += c
        p += 1
        left -= 1
        saw_digit = True
    if _u8(d, p, end) != 0x0D:
        return _INVALID, p + 1
    p += 1
    left -= 1
    if left == 0:
        return _TRUNC, p
    if _u8(d, p, end) != 0x0A:
        return _INVALID, p + 1
    p += 1
    if neg:  # -1 means null, any other negative is invalid
        if too_large or result != 1:
            return _NEGATIVE, p
        return _NULL, p
    return (_TOO_LARGE if too_large else result), p


dispatch.ports(dispatch.TCP_PORTS, resp_print, 6379)
