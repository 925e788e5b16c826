"""IPv6 routing headers as tcpdump 4.99.3 prints them, segment routing (type 4) in detail.

Segment routing headers as the kernel's seg6 encapsulation builds them (the
kernel here has seg6: the packets are built to cover the odd cases too): one
and several segments, flags, tags, last entry; type 0 and 2 headers with and
without reserved bits; unknown types and odd lengths, which tcpdump calls
invalid; every prefix of each.
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip6, udp

SEG = [bytes.fromhex("fd77000000000000000000000000%04x" % n) for n in range(1, 4)]
INNER = b"\x80\x00\x00\x00\x00\x01\x00\x01"  # an ICMPv6 echo request (checksum not checked here)


def _srh(segments, segleft=None, last=None, flags=0, tag=0, nxt=58, hl=None) -> bytes:
    body = b"".join(segments)
    return struct.pack("!BBBBBBH", nxt, len(body) // 8 if hl is None else hl, 4,
                       len(segments) - 1 if segleft is None else segleft,
                       len(segments) - 1 if last is None else last, flags, tag) + body


def _rt0(typ, addrs, reserved=0, segleft=1, nxt=58, hl=None) -> bytes:
    body = b"".join(addrs)
    return struct.pack("!BBBBI", nxt, len(body) // 8 if hl is None else hl, typ, segleft, reserved) + body


FRAMES = [
    ip6(43, _srh(SEG[:1]) + INNER),
    ip6(43, _srh(SEG, segleft=1, tag=0x1234) + INNER),
    ip6(43, _srh(SEG[:2], flags=0x80) + INNER),
    ip6(43, _srh(SEG[:1], last=5, nxt=41) + ip6(58, INNER)[14:]),              # IPv6 inside (encap mode)
    ip6(43, _srh(SEG[:1], hl=3) + bytes(8) + INNER),                           # odd length: invalid
    ip6(43, _rt0(0, SEG[:2]) + INNER),
    ip6(43, _rt0(2, SEG[:1], reserved=7) + INNER),
    ip6(43, _rt0(2, SEG[:1]) + INNER),
    ip6(43, struct.pack("!BBBBI", 58, 0, 9, 0, 0) + INNER),                    # unknown type
    ip6(43, _srh(SEG[:2], nxt=17) + udp(40000, 9, b"hello", v6=True)),        # checksums use the final
    ip6(43, _rt0(0, SEG, nxt=17) + udp(40000, 9, b"hello", v6=True)),         # destination (here: wrong)
    ip6(60, b"\x2b\x00" + bytes(6) + _rt0(2, SEG[2:], nxt=6) + bytes(20)),
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-x"])
def test_routing_headers(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_routing_headers_truncated(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x"]))
