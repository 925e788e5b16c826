"""ICMP and ICMPv6 on the wire: echo request layout, checksum, and error texts.

Only what ping needs: building the echo request once (the hot loop then
rewrites the sequence number and checksum in place), and naming ICMP errors
with the exact words iputils ping prints, so our lines match ping's.
"""

from __future__ import annotations

import struct

from netlab.core.inet import checksum

ICMP_ECHOREPLY = 0
ICMP_DEST_UNREACH = 3
ICMP_SOURCE_QUENCH = 4
ICMP_REDIRECT = 5
ICMP_ECHO = 8
ICMP_TIME_EXCEEDED = 11
ICMP_PARAMETERPROB = 12
ICMP_FRAG_NEEDED = 4  # code of ICMP_DEST_UNREACH

ICMP6_DST_UNREACH = 1
ICMP6_PACKET_TOO_BIG = 2
ICMP6_TIME_EXCEEDED = 3
ICMP6_PARAM_PROB = 4
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129

# ICMP errors that quote one of our echo requests (the rest are ignored).
ERROR_TYPES_V4 = frozenset((ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB))
ERROR_TYPES_V6 = frozenset((ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, ICMP6_PARAM_PROB))

ECHO_HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence
U16 = struct.Struct("!H")


def payload(size: int, pattern: bytes | None = None) -> bytes:
    """The echo data: the -p pattern repeated, or iputils' default 0x00, 0x01, ... fill."""
    if pattern:
        return (pattern * (size // len(pattern) + 1))[:size]
    return bytes(i & 0xFF for i in range(size))


def echo_request(family_v6: bool, ident: int, data: bytes) -> bytearray:
    """An echo request with sequence 0 and checksum 0; the sender fills both per probe."""
    kind = ICMP6_ECHO_REQUEST if family_v6 else ICMP_ECHO
    return bytearray(ECHO_HEADER.pack(kind, 0, 0, ident, 0) + data)


def partial_sum(packet: bytes | bytearray) -> int:
    """The one's-complement sum of the packet's 16-bit words, with checksum and sequence zero.

    It is the complement of the packet's Internet checksum. The checksum of the
    same packet with sequence ``s`` is then ``fold(partial + s)`` (RFC 1624's
    incremental update): one addition per probe instead of a pass over the data.
    """
    return ~checksum(packet) & 0xFFFF


def fold(total: int) -> int:
    """The checksum of a one's-complement sum kept unfolded (a partial sum plus a sequence)."""
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


_UNREACH_V4 = {
    0: "Destination Net Unreachable",
    1: "Destination Host Unreachable",
    2: "Destination Protocol Unreachable",
    3: "Destination Port Unreachable",
    5: "Source Route Failed",
    6: "Destination Net Unknown",
    7: "Destination Host Unknown",
    8: "Source Host Isolated",
    9: "Destination Net Prohibited",
    10: "Destination Host Prohibited",
    11: "Destination Net Unreachable for Type of Service",
    12: "Destination Host Unreachable for Type of Service",
    13: "Packet filtered",
    14: "Precedence Violation",
    15: "Precedence Cutoff",
}

_REDIRECT_V4 = {0: "Redirect Network", 1: "Redirect Host", 2: "Redirect Type of Service and Network",
                3: "Redirect Type of Service and Host"}

_UNREACH_V6 = {
    0: "No route",
    1: "Administratively prohibited",
    2: "Beyond scope of source address",
    3: "Address unreachable",
    4: "Port unreachable",
}


def describe_v4(kind: int, code: int, info: int = 0) -> str:
    """iputils' words for an ICMP error (pr_icmph in ping.c)."""
    if kind == ICMP_DEST_UNREACH:
        if code == ICMP_FRAG_NEEDED:
            return f"Frag needed and DF set (mtu = {info})"
        return _UNREACH_V4.get(code, f"Dest Unreachable, Bad Code: {code}")
    if kind == ICMP_SOURCE_QUENCH:
        return "Source Quench"
    if kind == ICMP_REDIRECT:
        return _REDIRECT_V4.get(code, f"Redirect, Bad Code: {code}")
    if kind == ICMP_TIME_EXCEEDED:
        return {0: "Time to live exceeded", 1: "Frag reassembly time exceeded"}.get(code, f"Time exceeded, Bad Code: {code}")
    if kind == ICMP_PARAMETERPROB:
        return f"Parameter problem: pointer = {info}"
    return f"Bad ICMP type: {kind}"


def describe_v6(kind: int, code: int, info: int = 0) -> str:
    """iputils' words for an ICMPv6 error (print_icmp in ping6_common.c)."""
    if kind == ICMP6_DST_UNREACH:
        return "Destination unreachable: " + _UNREACH_V6.get(code, f"Unknown code {code}")
    if kind == ICMP6_PACKET_TOO_BIG:
        return f"Packet too big: mtu={info}"
    if kind == ICMP6_TIME_EXCEEDED:
        return "Time exceeded: " + {0: "Hop limit", 1: "Defragmentation failure"}.get(code, f"code {code}")
    if kind == ICMP6_PARAM_PROB:
        what = {0: "Wrong header field ", 1: "Unknown header ", 2: "Unknown option "}.get(code, f"code {code}")
        return f"Parameter problem: {what}at {info}"
    return f"Unknown icmp type: {kind}"
