"""The application names tcpdump puts on its default UDP line: NTP, BOOTP/DHCP, DHCPv6, syslog, DNS, mDNS.

The datagrams are built here (Ethernet/IPv4/UDP, checksums right) and written
to a pcap that tcpdump and netlab both print. Only the non-verbose lines: with
-v tcpdump decodes DHCP, DHCPv6 and syslog in full, which netlab does not reproduce
(NTP with -v: test_resp_ntp.py).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.frames import B4, assert_like_tcpdump, assert_prefixes_like_tcpdump, ip4, ip6, udp, write_frames
from tests.helpers.env import require_tool


def _udp_frame(sport: int, dport: int, payload: bytes, dst=B4) -> bytes:
    """IPv4 (DF set) and UDP without a checksum (0: none, which tcpdump accepts)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ip4(17, udp, dst=dst, ident=1, frag=0x4000)


def _dns(ident, flags, name, qtype, qclass=1, answers=b"", an=0):
    labels = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, flags, 1, an, 0, 0) + labels + struct.pack("!HH", qtype, qclass) + answers


def _bootp(op: int) -> bytes:
    body = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, 1, 6, 0, 0x4E4C0001, 0, 0, bytes(4), bytes(4), bytes(4),
                       bytes(4), bytes.fromhex("02004d000001") + bytes(10), bytes(64), bytes(128))
    return body + b"\x63\x82\x53\x63\x35\x01\x01\xff"


def _udp6_frame(sport: int, dport: int, payload: bytes) -> bytes:
    return ip6(17, udp(sport, dport, payload, v6=True))


FRAMES = [
    _udp_frame(40123, 123, bytes([0x23]) + bytes(47)),              # NTPv4 client
    _udp_frame(123, 40123, bytes([0x24, 2]) + bytes(46)),           # NTPv4 server
    _udp_frame(123, 123, bytes([0x1B]) + bytes(47)),                # NTPv3 client
    _udp_frame(68, 67, _bootp(1)),                                  # DHCP request
    _udp_frame(67, 68, _bootp(2)),                                  # DHCP reply
    _udp_frame(40000, 53, _dns(7, 0x0100, "www.example.com", 1)),
    _udp_frame(53, 40000, _dns(7, 0x8180, "www.example.com", 1,
                               answers=b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([93, 184, 216, 34]), an=1)),
    _udp_frame(53, 40000, _dns(8, 0x8183, "nothing.example", 28)),
    _udp_frame(5353, 5353, _dns(0, 0, "printer.local", 12, 0x8001), dst=b"\xe0\x00\x00\xfb"),
    _udp_frame(5353, 5353, _dns(0, 0x8400, "printer.local", 1, 1,
                                b"\xc0\x0c" + struct.pack("!HHIH", 1, 0x8001, 120, 4) + bytes([10, 77, 0, 9]), 1),
               dst=b"\xe0\x00\x00\xfb"),
    *[_udp6_frame(546, 547, bytes([kind, 0x12, 0x34, 0x56]) + bytes(4)) for kind in (1, 2, 3, 7, 11, 12, 99)],
    _udp_frame(40000, 514, b"<14>Nov 21 06:00:00 host app: hello"),
    _udp_frame(40000, 514, b"<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 - msg"),
    _udp_frame(40000, 514, b"<191>x"),
    _udp_frame(40000, 514, b"no priority"),
]


@pytest.mark.parametrize("opts", ["", "-q", "-e", "-tt -#"])
def test_application_names_on_udp_lines(tmp_path, opts):
    require_tool("tcpdump")
    path = tmp_path / "apps.pcap"
    write_frames(path, FRAMES)
    assert assert_like_tcpdump(path, opts) == len(FRAMES)


def test_application_lines_truncated(tmp_path):
    """Every prefix of the datagrams above, without -v: the same markers and dumps as tcpdump."""
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-e"], ["-q"], ["-x"]))
