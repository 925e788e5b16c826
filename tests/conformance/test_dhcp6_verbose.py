"""DHCPv6 (UDP 546/547) with -v as tcpdump 4.99.3 prints it.

The four messages of a lease as dhclient/odhcp6c and a server send them
(solicit, advertise, request, reply) with DUIDs of each type, IA_NA with an
address, IA_PD with a prefix, option requests, elapsed time, preference, status
codes, DNS servers and search lists, NTP servers; a relay-forward carrying a
solicit; information requests, rapid commit, authentication, reconfigure,
options of a wrong length and unknown ones; every prefix of each.
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import LL6, assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip6, udp

SERVERS = bytes.fromhex("ff020000000000000000000000010002")
ADDR = bytes.fromhex("fd770000000000000000000000000100")
PREFIX = bytes.fromhex("fd770000000001000000000000000000")
DUID_LLT = struct.pack("!HHI", 1, 1, 700000000) + bytes.fromhex("02004d000001")
DUID_EN = struct.pack("!HI", 2, 32473) + b"\x01\x02\x03\x04"
DUID_LL = struct.pack("!HH", 3, 1) + bytes.fromhex("02004d000002")


def _opt(kind: int, value: bytes = b"") -> bytes:
    return struct.pack("!HH", kind, len(value)) + value


def _msg(kind: int, xid: int, *options: bytes) -> bytes:
    return bytes([kind]) + xid.to_bytes(3, "big") + b"".join(options)


def _names(*names: str) -> bytes:
    return b"".join(b"".join(bytes([len(x)]) + x.encode() for x in n.split(".")) + b"\x00" for n in names)


def _frame(payload: bytes, sport=546, dport=547) -> bytes:
    return ip6(17, udp(sport, dport, payload, v6=True), src=LL6, dst=SERVERS)


IA_NA = _opt(3, struct.pack("!III", 1, 3600, 5400) + _opt(5, ADDR + struct.pack("!II", 7200, 7500)))
IA_PD = _opt(25, struct.pack("!III", 2, 0, 0) + _opt(26, struct.pack("!IIB", 7200, 7500, 56) + PREFIX))
SOLICIT = _msg(1, 0x123456, _opt(1, DUID_LLT), _opt(6, struct.pack("!HHHH", 23, 24, 56, 99)), _opt(8, b"\x00\x00"),
               IA_NA, IA_PD)
FRAMES = [
    _frame(SOLICIT),
    _frame(_msg(2, 0x123456, _opt(1, DUID_LLT), _opt(2, DUID_EN), _opt(7, b"\xff"), IA_NA, IA_PD,
                _opt(23, ADDR + PREFIX), _opt(24, _names("lab.example", "example.org"))), 547, 546),
    _frame(_msg(3, 0xABCDEF, _opt(1, DUID_LL), _opt(2, DUID_EN), IA_NA, _opt(8, b"\x00\x64"))),
    _frame(_msg(7, 0xABCDEF, _opt(1, DUID_LL), _opt(2, DUID_EN), IA_NA, _opt(13, b"\x00\x00all good"),
                _opt(56, _opt(1, ADDR) + _opt(3, _names("ntp.example")) + _opt(9, b"x"))), 547, 546),
    _frame(_msg(11, 7, _opt(1, DUID_LLT), _opt(14), _opt(6, b"\x00\x17\x00"), _opt(13, b"\x00\x06"),
                _opt(13, b"\x01\x00"), _opt(13, b"\x00\x0f"))),
    _frame(_msg(12, 0, ) [:1] + b"\x00" + ADDR + LL6 + _opt(18, b"eth0.100-port-7") + _opt(9, SOLICIT), 547, 547),
    _frame(_msg(10, 9, _opt(19, b"\x05"), _opt(19, b"\x0b"), _opt(19, b"\x07"), _opt(20),
                _opt(11, bytes([3, 1, 0]) + bytes(8) + b"\x01" + bytes(16)),
                _opt(11, bytes([2, 1, 0]) + bytes(8) + b"realm" + struct.pack("!I", 5) + bytes(16)),
                _opt(11, bytes([9, 2, 1]) + bytes(8))), 547, 546),
    _frame(_msg(1, 1, _opt(1, b"\x00"), _opt(1, struct.pack("!H", 7)), _opt(7, b""), _opt(8, b"\x00"),
                _opt(5, bytes(10)), _opt(3, bytes(4)), _opt(23, bytes(8)), _opt(200, b"abc"), _opt(32, b"\x00\x00\x0e\x10"),
                _opt(37, struct.pack("!I", 9) + b"remote-identifier"), _opt(64, _names("aftr.example")),
                _opt(41, b"EST5EDT\x00"))),
    _frame(_msg(1, 1, _opt(1, DUID_LLT)) + b"\x00\x08\x00\x09\x00"),       # option past the datagram
    _frame(b"\x01\x00"),                                                   # too short
    _frame(_msg(99, 5)),                                                   # unknown message type
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-q -v", "-x -v"])
def test_dhcp6_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_dhcp6_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x", "-v"]))
