"""RADIUS (UDP 1812/1813, 1645/1646, 1700, 3799) as tcpdump 4.99.3 prints it.

Access and accounting requests as a NAS sends them (user name, password, NAS address
and port, service and framed protocol, station ids, vendor attributes, EAP messages,
Message-Authenticator), accounting attributes with durations and timestamps, tagged
tunnel attributes, IPv6 prefixes, ARAP and Error-Cause values, location attributes,
attributes of wrong lengths, too short or past the packet, unknown codes; -v and -vv
show every attribute; every prefix of every datagram too (`` [|radius]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, udp

AUTH = bytes(range(0xA0, 0xB0))


def attr(code: int, value: bytes) -> bytes:
    return bytes([code, len(value) + 2]) + value


def u32(v: int) -> bytes:
    return struct.pack("!I", v)


def radius(code: int, ident: int, attrs: bytes, length: int | None = None) -> bytes:
    return struct.pack("!BBH", code, ident, 20 + len(attrs) if length is None else length) + AUTH + attrs


def vendor(vendor_id: int, *subs: tuple[int, bytes]) -> bytes:
    return attr(26, u32(vendor_id) + b"".join(bytes([t, len(v) + 2]) + v for t, v in subs))


def eap(code: int, ident: int, body: bytes) -> bytes:
    return struct.pack("!BBH", code, ident, 4 + len(body)) + body


ACCESS_REQUEST = radius(1, 0x2A, attr(1, b"alice") + attr(2, bytes(16)) + attr(4, bytes([10, 77, 0, 1])) + attr(5, u32(7))
                        + attr(6, u32(2)) + attr(7, u32(1)) + attr(30, b"02-00-4d-00-00-02:lab")
                        + attr(31, b"02-00-4d-00-00-01") + attr(61, u32(15)) + attr(61, u32(99))
                        + vendor(311, (11, b"challenge"), (1, b"")) + attr(80, bytes(16)) + attr(32, b"nas\x00pad"))
EAP_REQUEST = radius(1, 3, attr(79, eap(2, 9, b"\x01alice@lab")) + attr(79, eap(2, 10, b"\x03\x04\x0d\x15"))
                     + attr(79, eap(1, 11, b"\x0d\xa0" + u32(1400))) + attr(79, eap(1, 12, b"\x15\x21"))
                     + attr(79, eap(1, 13, b"\x2b\x01")) + attr(79, eap(1, 14, b"\x12\x0a")) + attr(79, eap(3, 15, b""))
                     + attr(79, eap(1, 16, b"\x02")) + attr(79, eap(1, 17, b"")) + attr(79, b"\x01\x02\x00\x20abc")
                     + attr(79, eap(2, 18, b"\x04\x10")) + attr(79, eap(1, 19, b"\x0d")) + attr(79, b"\x02\x01\x00\x02"))
ACCOUNTING = radius(4, 0x80, attr(40, u32(1)) + attr(40, u32(77)) + attr(46, u32(42)) + attr(46, u32(61))
                    + attr(46, u32(3725)) + attr(46, u32(400000)) + attr(27, u32(3600)) + attr(85, u32(0))
                    + attr(44, b"5f3a01") + attr(42, u32(123456)) + attr(55, u32(1733000000)) + attr(49, u32(1))
                    + attr(49, u32(30)) + attr(45, u32(1)) + attr(8, u32(0xFFFFFFFF)) + attr(8, u32(0xFFFFFFFE))
                    + attr(14, bytes([10, 77, 0, 9])) + attr(23, u32(0xFFFFFFFE)) + attr(23, u32(5)) + attr(37, u32(0))
                    + attr(37, u32(4)) + attr(38, u32(0)) + attr(12, u32(1500)) + attr(10, u32(3)) + attr(13, u32(1))
                    + attr(15, u32(8)) + attr(29, u32(1)) + attr(57, u32(2)) + attr(72, u32(4)) + attr(76, u32(1)))
TUNNELS = radius(2, 5, attr(64, b"\x01\x00\x00\x03") + attr(64, b"\x00\x00\x00\x0d") + attr(65, b"\x02\x00\x00\x01")
                 + attr(65, b"\x00\x00\x00\x63") + attr(83, b"\x00\x00\x00\x05") + attr(83, b"\x03\x00\x01\x00")
                 + attr(69, b"\x01\xab\xcdsecret") + attr(69, b"\x40\x00\x01x") + attr(69, b"\x01\x02")
                 + attr(81, b"\x01vlan10") + attr(81, b"\x00vlan11") + attr(81, b"vlan12") + attr(66, b"\x1f10.0.0.1")
                 + attr(56, b"\x31\x00\x00\x0a") + attr(56, b"\x40\x00\x00\x0b") + attr(58, b"\x32guests")
                 + attr(58, b"\x99x") + attr(90, b"client") + attr(91, b"\x05server"))
IPV6 = radius(2, 6, attr(95, bytes.fromhex("fd770000000000000000000000000001")) + attr(95, bytes(4))
              + attr(97, b"\x00\x40" + bytes.fromhex("fd770000000000aa")) + attr(97, b"\x00\x80\xfd\x77")
              + attr(97, b"\x00\x81" + bytes(8)) + attr(97, b"\x00") + attr(123, b"\x00\x38" + bytes.fromhex("20010db8aabb00"))
              + attr(98, bytes.fromhex("fe800000000000000000000000000001")) + attr(125, b"\x40" + bytes(16))
              + attr(125, b"\x90" + bytes(16)) + attr(125, b"\x40" + bytes(3)) + attr(124, struct.pack("!Q", 0x30000000003))
              + attr(124, bytes(4)) + attr(96, bytes(8)) + attr(94, b"\x00\x01"))
ODD = radius(3, 7, attr(70, bytes(range(16))) + attr(70, bytes(3)) + attr(71, b"\x01\x06" + bytes(range(12)))
             + attr(71, b"\x00\x04" + bytes(12)) + attr(71, b"\x00") + attr(84, bytes(range(8, 18))) + attr(84, b"\x01")
             + attr(101, u32(404)) + attr(101, u32(999)) + attr(101, b"\x00\x01")
             + attr(126, b"\x31example.net") + attr(126, b"\x39x") + attr(126, b"\x30")
             + attr(127, b"\x00\x01\x00\x01" + struct.pack("!II", 3943000000, 1 << 31) + struct.pack("!II", 0, 0) + b"GPS")
             + attr(127, b"\x00\x01\x07\x09" + bytes(17)) + attr(127, bytes(5))
             + attr(128, b"\x00\x02" + bytes(range(0x30, 0x50))) + attr(128, b"\x00")
             + attr(129, b"\x80\x01" + struct.pack("!II", 3943000000, 0) + b"note") + attr(129, b"\x00\x00" + bytes(8))
             + attr(129, bytes(3)) + attr(4, bytes(3)) + attr(5, bytes(5)) + attr(55, bytes(2)) + attr(0, b"zero")
             + attr(17, b"x") + attr(200, b"unknown") + attr(1, b"") + attr(3, b"\x01chap") + attr(26, b"\x00\x00")
             + vendor(9, (1, b"shell:priv-lvl=15")) + vendor(424242, (1, b"a"), (2, b"")) + vendor(9, (3, b"\x00"))
             + attr(26, u32(9) + b"\x05\x01") + attr(26, u32(9) + b"\x05\x09ab") + attr(26, u32(9) + b"\x05"))
PAYLOADS = [
    ACCESS_REQUEST, EAP_REQUEST, ACCOUNTING, TUNNELS, IPV6, ODD,
    radius(5, 0x80, b""),                                                   # accounting response, no attribute
    radius(11, 1, attr(18, b"Enter PIN") + attr(24, b"\x01\x02state")),     # challenge
    radius(12, 2, attr(80, bytes(16))), radius(40, 3, b""), radius(41, 3, b""), radius(42, 3, b""),
    radius(43, 4, attr(1, b"bob")), radius(44, 4, b""), radius(45, 4, b""), radius(255, 4, b""), radius(97, 8, b""),
    radius(1, 9, attr(1, b"bob"), length=19),                               # length < 20
    radius(1, 9, attr(1, b"bob") + attr(2, bytes(16)), length=27),          # the header's length cuts an attribute
    radius(1, 9, attr(1, b"bob"), length=400),                              # longer than the datagram
    radius(1, 9, b"\x01\x01bob"), radius(1, 9, b"\x01\x40bob"), radius(1, 9, b"\x01"),   # bogus attribute lengths
    b"\x01\x02\x00",                                                        # shorter than the header
]
PORTS = [(40000, 1812), (1812, 40000), (40001, 1813), (1645, 50000), (1646, 50001), (50002, 1700), (3799, 50003)]
FRAMES = [ip4(17, udp(*PORTS[i % len(PORTS)], p)) for i, p in enumerate(PAYLOADS)]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x", "-X -v", "-vvv"])
def test_radius_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_radius_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-vv"], ["-x"]))
