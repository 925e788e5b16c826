"""Shared pieces of the tcpdump-style printers: truncation, addresses, checksum helpers.

Every printer appends text fragments to a list as tcpdump prints them, so that
when the captured bytes end inside a header the fragments printed so far stay
and the line ends with tcpdump's ``[|proto]`` marker (raised as ``Truncated``).
"""

from __future__ import annotations

import struct

from netlab.capture import hexdump


class Truncated(Exception):
    """The captured bytes end inside a header of ``proto``: tcpdump prints `` [|proto]``.

    ``whole`` tells how tcpdump got there, which shows in a -x/-X/-A dump: a
    read past the capture (its longjmp) dumps the whole frame, a printer's own
    length check dumps what follows the link-layer header, as usual.
    """

    __slots__ = ("proto", "whole")

    def __init__(self, proto: str, whole: bool = True):
        self.proto = proto
        self.whole = whole


_NAMES = ("ether", "sll", "sll2", "null", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "arp",
          "vlan", "hbhopt", "dstopt", "frag6", "rt6", "domain", "mptcp", "ipopts", "igmp")
# Decoders raise these prebuilt instances: cheaper than building one per packet.
TRUNC = {name: Truncated(name) for name in _NAMES}
SOFT_TRUNC = {name: Truncated(name, whole=False) for name in _NAMES}

# Address strings are cached: a capture talks to few hosts, and building the
# dotted quad is the dearest part of an IP line.
_ip4_cache: dict[bytes, str] = {}
_ip6_cache: dict[bytes, str] = {}
_mac_cache: dict[bytes, str] = {}


def ip4(b: bytes) -> str:
    s = _ip4_cache.get(b)
    if s is None:
        s = "%u.%u.%u.%u" % (b[0], b[1], b[2], b[3])
        if len(_ip4_cache) > 65536:
            _ip4_cache.clear()
        _ip4_cache[b] = s
    return s


def ip6(b: bytes) -> str:
    s = _ip6_cache.get(b)
    if s is None:
        from socket import AF_INET6, inet_ntop  # here, once per address: socket (and its enums) is 3 ms of a start

        s = inet_ntop(AF_INET6, b)
        if len(_ip6_cache) > 65536:
            _ip6_cache.clear()
        _ip6_cache[b] = s
    return s


def mac(b: bytes) -> str:
    s = _mac_cache.get(b)
    if s is None:
        s = ":".join("%02x" % c for c in b)
        if len(_mac_cache) > 65536:
            _mac_cache.clear()
        _mac_cache[b] = s
    return s


def linkaddr(b: bytes) -> str:
    """tcpdump's linkaddr_string for non-Ethernet lengths: hex bytes joined by ':'."""
    if len(b) == 6:
        return mac(b)
    return ":".join("%02x" % c for c in b)


# Checked reads, as tcpdump's GET_ macros read: the field at i, or ``cut`` (the printer's
# Truncated) raised where the capture ends (``end``) inside it, tcpdump's longjmp out of
# every printer. The hot printers (IP, TCP, UDP) check whole headers inline instead.
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")


def get_u8(d, i: int, end: int, cut: Truncated) -> int:
    if i >= end:
        raise cut
    return d[i]


def get_u16(d, i: int, end: int, cut: Truncated) -> int:
    if i + 2 > end:
        raise cut
    return _U16.unpack_from(d, i)[0]


def get_u32(d, i: int, end: int, cut: Truncated) -> int:
    if i + 4 > end:
        raise cut
    return _U32.unpack_from(d, i)[0]


def get_ip4(d, i: int, end: int, cut: Truncated) -> str:
    if i + 4 > end:
        raise cut
    return ip4(d[i:i + 4])


def checked_readers(cut: Truncated):
    """``u8, u16, u32`` of (d, i, end), each raising the printer's ``cut``. Closures, not
    functools.partial: functools and the collections it imports are 2 ms of every start."""

    def u8(d, i: int, end: int) -> int:
        return get_u8(d, i, end, cut)

    def u16(d, i: int, end: int) -> int:
        return get_u16(d, i, end, cut)

    def u32(d, i: int, end: int) -> int:
        return get_u32(d, i, end, cut)

    return u8, u16, u32


class CheckedReader:
    """One header's bytes read at offsets from ``base``, with the same checks: for printers
    that read a header field by field (``r.u16(6)`` is the word 6 bytes in)."""

    __slots__ = ("d", "base", "end", "cut")

    def __init__(self, d, end: int, cut: Truncated, base: int = 0):
        self.d, self.end, self.cut, self.base = d, end, cut, base

    def u8(self, at: int) -> int:
        return get_u8(self.d, self.base + at, self.end, self.cut)

    def u16(self, at: int) -> int:
        return get_u16(self.d, self.base + at, self.end, self.cut)

    def u32(self, at: int) -> int:
        return get_u32(self.d, self.base + at, self.end, self.cut)

    def ip4(self, at: int) -> str:
        return get_ip4(self.d, self.base + at, self.end, self.cut)

    def need(self, at: int, n: int) -> None:
        """The n bytes at ``at`` must be captured (a read of them follows)."""
        if self.base + at + n > self.end:
            raise self.cut


def shouldbe(field: int, computed: int) -> int:
    """tcpdump's in_cksum_shouldbe(): the value the checksum field should have held.

    ``computed`` is netlab.core.inet.checksum over the data with the field in it,
    which is tcpdump's in_cksum(): 0 when the field is right.
    """
    s = field + computed
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return s & 0xFFFF


def pseudo4(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    return src + dst + struct.pack("!BBH", 0, proto, length)


def pseudo6(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    return src + dst + struct.pack("!IxxxB", length, proto)


_PRINTABLE = bytes(range(0x20, 0x7F))


def _escaped(c: int) -> str:
    """fn_print_char: M- for the high bit, then ^ for a control character (DEL is ^?)."""
    text = ""
    if c & 0x80:
        text = "M-"
        c &= 0x7F
    if c < 0x20 or c == 0x7F:
        return text + "^" + chr(c ^ 0x40)
    return text + chr(c)


# every byte that is not printed as itself -> its escape, for str.translate (a C loop)
_ESCAPES = {c: _escaped(c) for c in range(256) if not 0x20 <= c < 0x7F}


def printjn(b: bytes) -> str:
    """tcpdump's nd_printjn: printable ASCII as is, other bytes escaped like fn_print_char."""
    if not b.translate(None, _PRINTABLE):  # nothing to escape (the common case, and long strings)
        return b.decode("ascii")
    return b.decode("latin-1").translate(_ESCAPES)


def printztn(out: list, d, i: int, n: int, end: int) -> int:
    """tcpdump's nd_printztn: the string at i to its NUL, within n bytes and the capture;
    the bytes it took with the NUL, 0 where the n bytes or the capture end first."""
    stop = min(i + n, end)
    nul = d.find(b"\x00", i, stop)
    if nul < 0:
        out.append(printjn(d[i:stop]))
        return 0
    out.append(printjn(d[i:nul]))
    return nul - i + 1


def printjnp(out: list, d, i: int, n: int, end: int, cut: Truncated) -> None:
    """tcpdump's nd_printjnp: up to n bytes, to the first NUL; where the capture ends
    first, what it holds is printed and ``cut`` raised."""
    stop = min(i + n, end)
    nul = d.find(b"\x00", i, stop)
    out.append(printjn(d[i:stop if nul < 0 else nul]))
    if nul < 0 and stop < i + n:
        raise cut


def hex_print(ident: str, b: bytes) -> str:
    """tcpdump's hex_print (print_unknown_data): ``<ident>0x0000:  4500 0054 ...``, 16 bytes a line."""
    lines = []
    for off in range(0, len(b), 16):
        words = "".join(" " + b[i:i + 2].hex() for i in range(off, min(off + 16, len(b)), 2))
        lines.append("%s0x%04x: %s" % (ident, off, words))
    return "".join(lines)


def final_dst4(d: bytes, ipoff: int, end: int) -> bytes:
    """tcpdump's ip_finddst: the destination a TCP/UDP checksum covers, the last hop of a
    loose or strict source route option if there is one, else the header's."""
    dst = d[ipoff + 16:ipoff + 20]
    p = ipoff + 20
    left = (d[ipoff] & 15) * 4 - 20
    while left > 0:
        if p >= end:
            break
        code = d[p]
        if code == 0:
            break
        if code == 1:
            olen = 1
        else:
            if p + 1 >= end:
                break
            olen = d[p + 1]
            if olen < 2:
                break
        if left < olen or p + olen > end:
            break
        if code in (131, 137) and olen >= 7:
            return d[p + olen - 4:p + olen]
        p += olen
        left -= olen
    return dst


def final_dst6(d: bytes, ipoff: int, end: int) -> bytes:
    """tcpdump's ip6_finddst: the destination the pseudo header of an upper-layer checksum
    holds, the last address of a type 0/2 routing header or a segment routing header's
    first segment if there is one, else the header's."""
    dst = d[ipoff + 24:ipoff + 40]
    nh = d[ipoff + 6]
    p, advance = ipoff, 40
    while p < end:
        p += advance
        if nh in (0, 60, 62, 135):  # hop-by-hop, destination options, mobility
            if p + 2 > end:
                break
            advance, nh = (d[p + 1] + 1) << 3, d[p]
        elif nh == 44:  # fragment
            if p >= end:
                break
            advance, nh = 8, d[p]
        elif nh == 43:  # routing: only one counts
            if p + 4 > end or d[p + 1] % 2:
                break
            if d[p + 2] in (0, 2):
                for a in range(p + 8, p + 8 + (d[p + 1] // 2) * 16, 16):
                    if a + 16 > end:
                        break
                    dst = d[a:a + 16]
            elif d[p + 2] == 4 and p + 24 <= end:
                dst = d[p + 8:p + 24]
            break
        else:
            break
    return dst


def default_print_suppressed(f) -> bool:
    """tcpdump's ndo_suppress_default_print: set by -q, -x and -X (any count), never by -A."""
    return f.qflag or (f.hex_mode is not None and f.hex_mode[0] in "xX")


def default_print(f, out: list, data, always: bool = False) -> None:
    """ND_DEFAULTPRINT: hex and ASCII lines of ``data``; call sites that tcpdump guards with
    ndo_suppress_default_print print nothing under -q/-x/-X unless ``always``."""
    if data and (always or not default_print_suppressed(f)):
        out.append("".join("\n" + ln for ln in hexdump.hex_lines(data, True)))
