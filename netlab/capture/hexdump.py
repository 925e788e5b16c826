"""tcpdump's packet dumps: -x/-xx (hex), -X/-XX (hex and ASCII), -A/-AA (ASCII).

The single letter dumps what follows the link-layer header, the double letter
the whole captured frame. Layout as tcpdump's print-ascii.c: a line per 16
bytes, ``\\t0x0010:  4500 0054 ...`` and for -X the ASCII column after the hex
padded to 40 columns; -A prints the bytes themselves with non-printing ones as
``.`` and carriage returns before a newline dropped.
"""

from __future__ import annotations

# printable (isgraph) bytes show as themselves in the -X column, others as '.'
_GRAPH = bytes(c if 0x21 <= c <= 0x7E else 0x2E for c in range(256))
# -A keeps tab, newline and space as they are
_ASCII = bytes(c if (0x21 <= c <= 0x7E or c in (9, 10, 32)) else 0x2E for c in range(256))


def hex_lines(data: bytes, ascii_column: bool) -> list[str]:
    """The dump lines (without the leading newline) for -x / -X.

    One hex() of the whole data, grouped in 2-byte words, then cut in 40-column
    lines: a line is 8 words, "4500 0054 ...", an odd last byte a 2-digit word.
    """
    n = len(data)
    if not n:
        return []
    words = data.hex(" ", -2)
    if ascii_column:
        text = data.translate(_GRAPH).decode("latin-1")
        return ["\t0x%04x:  %-39s  %s" % (off, words[(off >> 4) * 40:(off >> 4) * 40 + 39], text[off:off + 16])
                for off in range(0, n, 16)]
    return ["\t0x%04x:  %s" % (off, words[(off >> 4) * 40:(off >> 4) * 40 + 39]) for off in range(0, n, 16)]


def ascii_text(data: bytes) -> str:
    """The -A body: printable text, CR dropped where a LF follows."""
    out = data.translate(_ASCII)
    # a CR is dropped when a LF follows it, otherwise it shows as '.'
    if b"\r" in data:
        buf = bytearray()
        n = len(data)
        for i, c in enumerate(data):
            if c == 13:
                # tcpdump shows a CR only with two more bytes after it, the next not a LF
                if n - i - 1 > 1 and data[i + 1] != 10:
                    buf.append(0x2E)
            else:
                buf.append(out[i])
        out = bytes(buf)
    return out.decode("latin-1")


def dump(mode: str, frame: bytes, hdrlen: int) -> str:
    """The text tcpdump appends after the packet line for hex mode ``mode`` ('' if none)."""
    whole = len(mode) == 2
    data = frame if whole else frame[hdrlen:]
    kind = mode[0]
    if kind == "A":
        if not whole and len(frame) <= hdrlen:
            return ""
        return "\n" + ascii_text(data)
    if not data:
        return ""
    return "\n" + "\n".join(hex_lines(data, kind == "X"))
