"""Babel (UDP 6696/6697) as tcpdump 4.99.3 prints it.

Packets as babeld sends them (to ff02::1:6 and 224.0.0.111): hellos with timestamp
sub-TLVs, IHUs, router ids, next hops, IPv4 and IPv6 updates with the prefix flag
and omitted bytes that the next update reuses, route and seqno requests, acks, pads,
TS/PC, HMAC, MAC, PC, challenges, source-specific updates and requests, unknown TLVs,
a trailer; bad magic, unknown versions, TLVs past the body or the datagram; every prefix
of every datagram too (`` [|babel]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, ip6, udp

ROUTER_ID = bytes.fromhex("02004dfffe000001")


def tlv(kind: int, body: bytes) -> bytes:
    return bytes([kind, len(body)]) + body


def babel(*tlvs: bytes, trailer: bytes = b"", version: int = 2, magic: int = 42, bodylen: int | None = None) -> bytes:
    body = b"".join(tlvs)
    return struct.pack("!BBH", magic, version, len(body) if bodylen is None else bodylen) + body + trailer


def hello(seqno, interval, flags=0, subs=b""):
    return tlv(4, struct.pack("!HHH", flags, seqno, interval) + subs)


def update(ae, plen, prefix, omitted=0, flags=0, interval=1600, seqno=3, metric=96, subs=b""):
    return tlv(8, struct.pack("!BBBBHHH", ae, flags, plen, omitted, interval, seqno, metric) + prefix + subs)


TS = bytes([3, 4]) + struct.pack("!I", 123456789)
TS2 = bytes([3, 8]) + struct.pack("!II", 5000000, 7)
PAYLOADS = [
    babel(hello(4, 400, subs=TS), tlv(5, struct.pack("!BxHH", 3, 96, 1200) + bytes.fromhex("020000fffe000002") + TS2)),
    babel(tlv(6, b"\x00\x00" + ROUTER_ID), tlv(7, b"\x01\x00" + bytes([10, 77, 0, 1])),
          update(1, 24, bytes([10, 77, 9]), flags=0x80), update(1, 32, bytes([5]), omitted=3),
          update(2, 64, bytes.fromhex("fd770000000000aa"), flags=0xC0), update(2, 80, bytes.fromhex("bbcc"), omitted=8),
          update(0, 0, b"", interval=0xFFFF, metric=0xFFFF), update(3, 128, bytes(8), subs=bytes([2, 3, 1, 0, 255])),
          update(1, 24, bytes([10, 1, 2]), flags=0x01, subs=b"\x00\x01\x00\x82\x00\x09\x01x")),
    babel(tlv(9, b"\x01\x18" + bytes([10, 77, 9])), tlv(9, b"\x00\x00"), tlv(9, b"\x02\x40" + bytes(8)),
          tlv(10, struct.pack("!BBHBx", 1, 24, 7, 5) + ROUTER_ID + bytes([10, 77, 9])),
          tlv(10, struct.pack("!BBHBx", 0, 0, 7, 5) + ROUTER_ID)),
    babel(b"\x00", tlv(1, bytes(3)), tlv(2, struct.pack("!HHH", 0, 0x1234, 200)), tlv(3, struct.pack("!H", 0x1234)),
          tlv(11, struct.pack("!HI", 9, 77)), tlv(12, struct.pack("!H", 1) + bytes(range(16))), tlv(16, bytes(20)),
          tlv(17, struct.pack("!I", 42) + b"ix"), tlv(18, bytes(8)), tlv(19, bytes(8)), tlv(99, b"abc")),
    babel(tlv(13, struct.pack("!BBBBHHH", 1, 16, 24, 0, 400, 2, 5) + bytes([10, 9, 8]) + bytes([10, 7])),
          tlv(14, bytes([1, 24, 16]) + bytes([10, 9, 8]) + bytes([10, 7])), tlv(14, bytes([0, 0, 0])),
          tlv(15, struct.pack("!BBHBB", 2, 64, 9, 3, 0) + ROUTER_ID + bytes(8))),
    babel(hello(5, 0, flags=0x8000), trailer=tlv(1, b"\x00\x00") + tlv(16, bytes(16))),   # unicast, with a trailer
    babel(hello(5, 400, subs=bytes([3, 2, 0, 0]))), babel(hello(5, 400, subs=bytes([2, 1, 9]))),  # bad sub-TLVs
    babel(tlv(5, struct.pack("!BxHH", 9, 96, 1200))),                                     # IHU, bad AE
    babel(tlv(7, b"\x00\x00"), tlv(7, b"\x07\x00")), babel(update(1, 40, bytes(5))),
    babel(tlv(2, b"\x00\x00"), tlv(3, b""), hello(1, 1)[:4], tlv(6, bytes(4)), tlv(11, b"\x00"), tlv(12, bytes(4))),
    babel(tlv(17, b"\x00"), tlv(18, bytes(200))),
    babel(tlv(4, bytes(6)), bodylen=20),                                                  # body past the datagram
    babel(tlv(4, bytes(16)), bodylen=6),                                                  # a TLV past the body
    babel(hello(1, 100), version=3), babel(hello(1, 100), magic=41), b"\x2a\x02\x00", b"\x2a\x02\x00\x00",
]
FRAMES = ([ip6(17, udp(6696, 6696, p, v6=True), hlim=1) for p in PAYLOADS[:3]]
          + [ip4(17, udp(6696 + i % 2, 40000, p), ttl=1) for i, p in enumerate(PAYLOADS[3:])])


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x", "-X -v"])
def test_babel_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_babel_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x"]))
