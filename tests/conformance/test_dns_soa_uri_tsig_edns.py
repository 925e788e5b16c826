"""DNS SOA, URI, TSIG, A6 and UNSPECA records, EDNS options and extended rcodes as
tcpdump 4.99.3 prints them.

SOA answers and authority records (names and the five numbers with -v), URI targets,
TSIG-signed queries (algorithm, fudge, MAC length, original id, error, other length
with -v), A6 prefixes; OPT records with each option tcpdump decodes (client subnet,
cookies, keepalive, expire, padding, key tags, DAU/DHU/N3U algorithms, CHAIN) and
their malformed forms; responses whose OPT record carries an extended rcode
(``BadVers``, ``BadCookie``, ``Resp17``...), also behind answer and authority
records; every prefix of every message too (`` [|domain]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, udp


def name(text: str) -> bytes:
    return b"".join(bytes([len(x)]) + x.encode() for x in text.split(".") if x) + b"\x00"


def rr(typ: int, data: bytes, owner=b"\xc0\x0c", cls=1, ttl=300) -> bytes:
    return owner + struct.pack("!HHIH", typ, cls, ttl, len(data)) + data


def opt(ext=0, version=0, do=False, options=b"", size=1232) -> bytes:
    return b"\x00" + struct.pack("!HHBBHH", 41, size, ext, version, 0x8000 if do else 0, len(options)) + options


def option(code: int, data: bytes) -> bytes:
    return struct.pack("!HH", code, len(data)) + data


def message(flags, qtype=6, an=(), ns=(), ar=(), ident=0x1234) -> bytes:
    return (struct.pack("!HHHHHH", ident, flags, 1, len(an), len(ns), len(ar)) + name("example.com")
            + struct.pack("!HH", qtype, 1) + b"".join(an) + b"".join(ns) + b"".join(ar))


SOA = name("ns1.example.com") + b"\x0ahostmaster\xc0\x0c" + struct.pack("!IIIII", 2024120501, 7200, 3600, 1209600, 300)
TSIG = name("hmac-sha256") + struct.pack("!HIHH", 0, 1733000000, 300, 32) + bytes(32) + struct.pack("!HHH", 0x1234, 18, 6) \
    + bytes(6)
OPTIONS = (option(8, struct.pack("!HBB", 1, 24, 0) + bytes([10, 1, 2])) + option(8, struct.pack("!HBB", 2, 56, 0) + bytes(7))
           + option(8, b"\x00\x01") + option(8, struct.pack("!HBB", 3, 8, 0) + b"\x0a")
           + option(8, struct.pack("!HBB", 1, 24, 0) + bytes(5)) + option(8, struct.pack("!HBB", 1, 33, 0) + bytes(4))
           + option(8, struct.pack("!HBB", 1, 16, 0) + bytes(3)) + option(10, bytes(range(8)))
           + option(10, bytes(range(24))) + option(10, bytes(10)) + option(10, bytes(4)) + option(10, bytes(41))
           + option(11, b"\x01\x2c") + option(11, b"") + option(11, b"\x01") + option(9, b"\x00\x01\x51\x80")
           + option(9, b"\x01") + option(12, bytes(9)) + option(14, b"\x4f\x66\x00\x14") + option(14, b"\x01")
           + option(5, bytes([8, 13, 99])) + option(6, bytes([1, 2, 9])) + option(7, bytes([1, 7])) + option(3, b"ns-a")
           + option(3, b"") + option(13, name("example.com")) + option(15, b"\x00\x06x") + option(16, b"\x00\x01")
           + option(2, b"\x00\x00\x0e\x10") + option(65001, b"\xff"))
PAYLOADS = [
    message(0x8180, an=[rr(6, SOA)]),
    message(0x8583, ns=[rr(6, SOA)], ar=[opt(do=True)]),
    message(0x8180, qtype=256, an=[rr(256, struct.pack("!HH", 10, 1) + b"https://example.com/\x7fx"), rr(256, b"\x00\x01")]),
    message(0x0100, ar=[rr(250, TSIG, owner=name("key.example"), cls=255, ttl=0)]),
    message(0x8180, ar=[rr(250, TSIG, owner=b"\x00", cls=255, ttl=0)]),
    message(0x8180, qtype=38, an=[rr(38, b"\x00" + bytes.fromhex("20010db8000000000000000000000001")),
                                  rr(38, b"\x40" + bytes.fromhex("0000000000000001") + name("pfx.example")),
                                  rr(38, b"\x80" + name("only.example")), rr(38, b"\x81")]),
    message(0x8180, qtype=104, an=[rr(104, b"opaque\x01text")]),
    message(0x0100, qtype=1, ar=[opt(options=OPTIONS)]),
    message(0x8180, qtype=1, ar=[opt(ext=1, do=True)]), message(0x8181, qtype=1, ar=[opt(ext=1, version=1)]),
    message(0x8181, qtype=1, ar=[opt(ext=1, version=0)]), message(0x8180, qtype=1, ar=[opt(ext=5, version=0)]),
    message(0x8187, qtype=1, ar=[opt(ext=1)]), message(0x8180, qtype=1, ar=[opt(ext=255)]),
    message(0x8180, qtype=1, ar=[opt(ext=200)]),
    message(0x8180, qtype=1, an=[rr(1, bytes([10, 0, 0, 1]))], ns=[rr(6, SOA)],
            ar=[rr(1, bytes([10, 0, 0, 2]), owner=b"\xc0\x2b"), opt(ext=1)]),
    message(0x8180, qtype=1, an=[rr(1, bytes([10, 0, 0, 1]))], ar=[opt(ext=1, options=option(10, bytes(7)))]),
    message(0x8180, qtype=1, ar=[opt(ext=1, options=option(10, bytes(16)))[:-3]]),     # the OPT's data cut short
]
FRAMES = [ip4(17, udp(53, 40000, p)) for p in PAYLOADS]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv", "-e", "-q", "-x"])
def test_dns_records_and_edns_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_dns_records_and_edns_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-vv"], ["-x"]))
