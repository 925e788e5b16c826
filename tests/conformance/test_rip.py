"""RIP versions 1 and 2 (UDP 520) as tcpdump 4.99.3 prints them.

Requests and responses as FRR's ripd sends them (to 224.0.0.9, TTL 1), routes
with and without next hops, non-contiguous masks, simple and MD5 (keyed)
authentication entries and trailers, unknown families, version 1 entries with
bits that must be zero, version 0, unknown commands and versions, trailing
bytes; every prefix of every datagram too (`` [|rip]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, udp

RIP2_GROUP = bytes([224, 0, 0, 9])


def _frame(payload: bytes, dst=RIP2_GROUP) -> bytes:
    return ip4(17, udp(520, 520, payload), dst=dst, ttl=1)


def _route2(dest, mask, metric, nexthop=bytes(4), tag=0, family=2) -> bytes:
    return struct.pack("!HH4s4s4sI", family, tag, bytes(dest), bytes(mask), nexthop, metric)


def _route1(dest, metric, family=2, junk=b"") -> bytes:
    return struct.pack("!HH4s8sI", family, 0, bytes(dest), junk.ljust(8, b"\x00"), metric)


M16, M24 = [255, 255, 0, 0], [255, 255, 255, 0]
PAYLOADS = [
    b"\x01\x02\x00\x00" + struct.pack("!HH4s4s4sI", 0, 0, bytes(4), bytes(4), bytes(4), 16),     # whole-table request
    b"\x02\x02\x00\x00" + _route2([10, 78, 0, 0], M16, 2) + _route2([10, 79, 1, 0], M24, 1, bytes([10, 77, 0, 3]), 7),
    b"\x02\x02\x00\x00" + _route2([10, 80, 0, 0], [255, 0, 255, 0], 16),                          # odd mask
    b"\x02\x02\x00\x00" + struct.pack("!HH", 0xFFFF, 2) + b"secret".ljust(16, b"\x00") + _route2([10, 78, 0, 0], M16, 2),
    b"\x02\x02\x00\x00" + struct.pack("!HH", 0xFFFF, 3) + struct.pack("!HBBIII", 44, 1, 16, 77, 0, 0)
    + _route2([10, 78, 0, 0], M16, 2) + struct.pack("!HH", 0xFFFF, 1) + bytes(range(16)),       # MD5 header and trailer
    b"\x02\x02\x00\x00" + struct.pack("!HH", 0xFFFF, 9) + b"abcd",                               # unknown auth
    b"\x02\x02\x00\x00" + _route2([10, 78, 0, 0], M16, 2, family=7),                            # other family
    b"\x02\x01\x00\x00" + _route1([10, 78, 0, 0], 3) + _route1([0, 0, 0, 0], 1, family=0),       # version 1
    b"\x02\x01\x00\x00" + _route1([10, 78, 0, 0], 3, junk=b"\x01") + _route1([10, 0, 0, 0], 3, family=16),
    b"\x02\x02\x00\x00" + _route2([10, 78, 0, 0], M16, 2) + b"\x00\x02\x00",                    # trailing bytes
    b"\x02\x01\x00\x00" + _route1([10, 78, 0, 0], 3) + b"\x00\x02",
    b"\x01\x00\x00\x00abcd",                                                                    # version 0
    b"\x03\x02\x00\x00abcd", b"\x04\x02\x00\x00", b"\x09\x02\x00\x00xy",                        # trace, unknown
    b"\x02\x03\x00\x00" + _route2([10, 78, 0, 0], M16, 2),                                      # version 3
    b"\x02\x02",                                                                                # too short
]

FRAMES = [_frame(p) for p in PAYLOADS]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x", "-X -v"])
def test_rip_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_rip_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-vv"], ["-x", "-v"]))
