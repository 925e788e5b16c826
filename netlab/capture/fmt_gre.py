"""GRE (IP protocol 47), as tcpdump 4.99.3's print-gre.c prints it.

Version 0 (RFC 1701/2784/2890): ``GREv0, key=0x2a, seq 7, length 108: IP ...``,
the checksum, key, sequence number and source routes it carries, then the
inner packet (IPv4, IPv6, MPLS, Ethernet by TEB); -v adds the flags (``Flags
[key present, sequence# present]``) and puts the inner packet on a line of its
own, -e the protocol type. Version 1 (PPTP's enhanced GRE): call id, sequence
and acknowledgement numbers.

A header the capture or the length cuts short ends with `` [|gre]`` (tcpdump's
own checks: the dump then starts after the link-layer header, as usual).
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch, linktypes
from netlab.capture.fmt_base import ip4
from netlab.capture.fmt_link import ETHERTYPE_NAMES  # tcpdump's ethertype_values: -e names the protocol type by it

_SOFT_CUT = " [|gre]"
_U16 = struct.Struct("!H")

_CP, _RP, _KP, _SP, _SSR, _AP = 0x8000, 0x4000, 0x2000, 0x1000, 0x0800, 0x0080
_FLAG_NAMES = ((_CP, "checksum present"), (_RP, "routing present"), (_KP, "key present"),
               (_SP, "sequence# present"), (_SSR, "source routing present"), (_AP, "ack present"))

_TEB = 0x6558  # transparent Ethernet bridging: a whole Ethernet frame inside


def _flags(flags: int) -> str:
    names = [name for bit, name in _FLAG_NAMES if flags & bit]
    return ", ".join(names) if names else "none"


def gre_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    if p + 2 > end or length < 2:
        out.append(_SOFT_CUT)
        return
    word = _U16.unpack_from(d, p)[0]
    version = word & 7
    out.append("GREv%u" % version)
    if version == 0:
        _v0(f, out, d, p, length, end, word)
    elif version == 1:
        _v1(f, out, d, p, length, end, word)
    else:
        out.append(" ERROR: unknown-version")


class _Short(Exception):
    """A GRE header field past the capture or the length: tcpdump's ``goto trunc``."""


def _take(d, p, n, left, end):
    """The n-byte field at p; with where the header goes on and how much of the length is left."""
    if p + n > end or left < n:
        raise _Short
    return int.from_bytes(d[p:p + n], "big"), p + n, left - n


# the optional 32-bit fields each version prints, in header order: (flag, text, mask)
_V0_FIELDS = ((_KP, ", key=0x%x", 0xFFFFFFFF), (_SP, ", seq %u", 0xFFFFFFFF))
_V1_FIELDS = ((_KP, ", call %u", 0xFFFF), (_SP, ", seq %u", 0xFFFFFFFF), (_AP, ", ack %u", 0xFFFFFFFF))


def _words(out, d, p, left, end, flags, fields):
    """Prints the fields of ``fields`` whose flag is set; (p, left) after them."""
    for bit, text, mask in fields:
        if flags & bit:
            value, p, left = _take(d, p, 4, left, end)
            out.append(text % (value & mask))
    return p, left


def _start(f, out, d, p, length, end, flags):
    """What both versions begin with: the flags (-v) and the protocol type; (proto, p, left)."""
    if f.vflag:
        out.append(", Flags [%s]" % _flags(flags))
    return _take(d, p + 2, 2, length - 2, end)


def _proto_and_length(f, out, proto, length):
    if f.eflag:
        out.append(", proto %s (0x%04x)" % (ETHERTYPE_NAMES.get(proto, "unknown"), proto))
    out.append(", length %u" % length)


def _v0(f, out, d, p, length, end, flags):
    try:
        proto, p, left = _start(f, out, d, p, length, end, flags)
        if flags & (_CP | _RP):
            checksum, p, left = _take(d, p, 2, left, end)
            if f.vflag:
                out.append(", sum 0x%x" % checksum)
            offset, p, left = _take(d, p, 2, left, end)
            out.append(", off 0x%x" % offset)
        p, left = _words(out, d, p, left, end, flags, _V0_FIELDS)
        if flags & _RP:
            while True:
                sre = p  # a source route entry: address family, offset, length
                _, p, left = _take(d, p, 4, left, end)
                af, sreoff, srelen = _U16.unpack_from(d, sre)[0], d[sre + 2], d[sre + 3]
                if af == 0 and srelen == 0:
                    break
                _source_route(out, d, p, left, end, af, sreoff, srelen)
                if left < srelen:
                    raise _Short
                p += srelen
                left -= srelen
    except _Short:
        out.append(_SOFT_CUT)
        return
    _proto_and_length(f, out, proto, length)
    out.append("\n\t" if f.vflag else ": ")
    _inner(f, out, d, p, left, end, proto)


def _inner(f, out, d, p, left, end, proto):
    if proto == _TEB:
        outer_hdrlen = f.hdrlen  # the -x dump still starts after the outer link header
        try:
            dispatch.LINKTYPES[linktypes.ETHERNET](f, out, d[p:end], left)
        finally:
            f.hdrlen = outer_hdrlen
        return
    printer = dispatch.ETHERTYPES.get(proto) if proto in (dispatch.ETH_P_IP, dispatch.ETH_P_IPV6, 0x8847) else None
    if printer is None:
        out.append("gre-proto-0x%x" % proto)
        return
    printer(f, out, d, p, left, end)


def _source_route(out, d, p, left, end, af, sreoff, srelen):
    """gre_sre_print: one source route entry (IP addresses or AS numbers, the next one starred)."""
    if af == 0x0800:
        out.append(", (rtaf=ip")
        step = 4
    elif af == 0xFFFE:
        out.append(", (rtaf=asn")
        step = 2
    else:
        out.append(", (rtaf=0x%x)" % af)
        return
    if sreoff & (step - 1):
        out.append(", badoffset=%u)" % sreoff)
        return
    if srelen & (step - 1):
        out.append(", badlength=%u)" % srelen)
        return
    if sreoff >= srelen:
        out.append(", badoff/len=%u/%u)" % (sreoff, srelen))
        return
    at = 0
    while at < srelen:
        if p + at + step > end or left - at < step:
            out.append(")")
            raise _Short
        star = "*" if at == sreoff else ""
        if step == 4:
            out.append(" %s%s" % (star, ip4(d[p + at:p + at + 4])))
        else:
            out.append(" %s%x" % (star, _U16.unpack_from(d, p + at)[0]))
        at += step
    out.append(")")


def _v1(f, out, d, p, length, end, flags):
    try:
        proto, p, left = _start(f, out, d, p, length, end, flags)
        _words(out, d, p, left, end, flags, _V1_FIELDS)
    except _Short:
        out.append(_SOFT_CUT)
        return
    if not flags & _SP:
        out.append(", no-payload")
    _proto_and_length(f, out, proto, length)
    if not flags & _SP:
        return
    out.append("\n\t" if f.vflag else ": ")
    out.append("gre-proto-0x%x" % proto)  # (PPP, 0x880b, tcpdump decodes: netlab does not yet)


dispatch.ip_proto(47, gre_print)
