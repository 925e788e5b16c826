"""Router advertisement options with -v as tcpdump 4.99.3 prints them.

Route information (RFC 4191: prefixes of 0, 8 and 16 bytes, each preference,
infinite lifetime), DNSSL (RFC 8106: one and several domains, padding), RDNSS,
advertisement interval, home agent information, MTU and prefix information,
as radvd sends them (radvd is not installed here: the packets are built); a
route information option of a length tcpdump rejects; every prefix of each.
"""

from __future__ import annotations

import struct

import pytest

from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.frames import LL6, assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip6, pseudo_header

ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")


def _opt(kind: int, body: bytes) -> bytes:
    body += b"\x00" * (-(len(body) + 2) % 8)
    return bytes([kind, (len(body) + 2) // 8]) + body


def _route(prefix: bytes, plen: int, pref: int, lifetime: int) -> bytes:
    return _opt(24, struct.pack("!BBI", plen, pref << 3, lifetime) + prefix)


def _labels(*names: str) -> bytes:
    return b"".join(b"".join(bytes([len(x)]) + x.encode() for x in n.split(".")) + b"\x00" for n in names)


def _ra(options: bytes) -> bytes:
    body = bytearray(struct.pack("!BBHBBHII", 134, 0, 0, 64, 0x08, 1800, 0, 0) + options)
    struct.pack_into("!H", body, 2, checksum(pseudo_header(LL6, ALL_NODES, 58, len(body)) + bytes(body)))
    return ip6(58, bytes(body), src=LL6, dst=ALL_NODES, hlim=255)


PREFIX = bytes.fromhex("fd770000000000010000000000000000")
FRAMES = [
    _ra(_route(b"", 0, 0, 1800) + _route(PREFIX[:8], 48, 1, 0xFFFFFFFF) + _route(PREFIX, 64, 3, 600)
        + _route(PREFIX[:8], 56, 2, 0)),
    _ra(_opt(31, struct.pack("!HI", 0, 1200) + _labels("lab.example"))),
    _ra(_opt(31, struct.pack("!HI", 0, 0xFFFFFFFF) + _labels("a.example", "b.example.org", "c"))),
    _ra(_opt(25, struct.pack("!HI", 0, 600) + PREFIX) + _opt(7, struct.pack("!HI", 0, 600000))
        + _opt(8, struct.pack("!HHH", 0, 10, 1800)) + _opt(5, struct.pack("!HI", 0, 1500))
        + _opt(3, struct.pack("!BBIII", 64, 0xC0, 86400, 14400, 0) + PREFIX)),
    _ra(bytes([24, 4, 64, 0]) + bytes(28)),                                    # route info of 4 units
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-x -v"])
def test_ra_options(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_ra_options_truncated(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, (["-v"], ["-vv"], ["-x", "-v"]))
