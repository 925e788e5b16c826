"""GRE and MPLS as tcpdump 4.99.3 prints them, inner packets and all.

This kernel has no gre/gretap/ip6gre devices (nor vlan, ipip, sit, geneve), so
the tunnel frames are built here byte by byte, as a Linux GRE tunnel sends them:
version 0 with and without checksum, key and sequence number, IPv4, IPv6, MPLS
and Ethernet (TEB, gretap) inside, GRE over IPv6, source routes (RFC 1701),
PPTP's version 1, unknown versions and protocols. MPLS on Ethernet (one label
and a stack, explicit/implicit NULL, payloads guessed from the first byte,
payloads that are not IP) and over UDP (6635). Every prefix of every frame too.
"""

from __future__ import annotations

import struct

import pytest

from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.frames import MAC, assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, icmp, ip4, ip6, udp

OUTER_A, OUTER_B = bytes([10, 77, 1, 1]), bytes([10, 77, 1, 2])


def _strip(frame: bytes) -> bytes:
    """The network-layer packet of one of frames.ip4/ip6's Ethernet frames."""
    return frame[14:]


INNER_PING = _strip(ip4(1, icmp(8, 0, struct.pack("!HH", 0x4242, 1) + b"x" * 24)))
INNER_UDP = _strip(ip4(17, udp(40000, 53, b"\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x00\x00\x01\x00\x01")))
INNER_PING6 = _strip(ip6(58, b"\x80\x00\x00\x00\x42\x42\x00\x01"))
INNER_ETHER = MAC + b"\x08\x00" + INNER_PING


def _gre(proto: int, payload: bytes, flags=0, version=0, key=None, seq=None, ack=None, csum=False, routing=b"",
         offset=0) -> bytes:
    hdr = struct.pack("!HH", flags | version, proto)
    if csum or routing:
        hdr += struct.pack("!HH", 0, offset)
    if key is not None:
        hdr += struct.pack("!I", key)
    if seq is not None:
        hdr += struct.pack("!I", seq)
    if ack is not None:
        hdr += struct.pack("!I", ack)
    body = bytearray(hdr + routing + payload)
    if csum:
        struct.pack_into("!H", body, 4, checksum(bytes(body)))
    return bytes(body)


def _over4(gre: bytes) -> bytes:
    return ip4(47, gre, src=OUTER_A, dst=OUTER_B, ident=9)


MPLS_IP = 0x8847


def _labels(*entries, bottom=True) -> bytes:
    """(label, tc, ttl) label stack entries, the last one marked bottom of stack."""
    out = b""
    for i, (label, tc, ttl) in enumerate(entries):
        s = 1 if bottom and i == len(entries) - 1 else 0
        out += struct.pack("!I", label << 12 | tc << 9 | s << 8 | ttl)
    return out


GRE_FRAMES = [
    _over4(_gre(0x0800, INNER_PING)),                                              # plain
    _over4(_gre(0x0800, INNER_UDP, flags=0x2000, key=42)),                          # key
    _over4(_gre(0x0800, INNER_PING, flags=0x3000, key=0xDEADBEEF, seq=7)),          # key and sequence
    _over4(_gre(0x0800, INNER_PING, flags=0xB000, key=1, seq=2, csum=True)),        # checksum too
    _over4(_gre(0x86DD, INNER_PING6, flags=0x1000, seq=99)),                        # IPv6 inside
    _over4(_gre(0x6558, INNER_ETHER, flags=0x2000, key=5)),                         # gretap: Ethernet inside
    _over4(_gre(MPLS_IP, _labels((100, 0, 64)) + INNER_PING)),                      # MPLS inside
    ip6(47, _gre(0x0800, INNER_PING, flags=0x2000, key=3)),                         # over IPv6
    ip6(47, _gre(0x86DD, INNER_PING6)),
    _over4(_gre(0x0800, INNER_PING, flags=0x4000, offset=4,
                routing=struct.pack("!HBB", 0x0800, 4, 12) + OUTER_A + OUTER_B + bytes([10, 77, 1, 3])
                + struct.pack("!HBB", 0xFFFE, 2, 6) + bytes.fromhex("fde8fde9fdea")
                + struct.pack("!HBB", 0x1234, 0, 0) + struct.pack("!HBB", 0x0800, 3, 8) + bytes(8)
                + struct.pack("!HBB", 0, 0, 0))),                                    # source routes
    _over4(_gre(0x0800, b"", flags=0x4000, routing=struct.pack("!HBB", 0x0800, 8, 8) + bytes(8)
                + struct.pack("!HBB", 0xFFFE, 1, 4) + bytes(4) + struct.pack("!HBB", 0xFFFE, 0, 3) + bytes(3)
                + struct.pack("!HBB", 0, 0, 0))),                                    # bad offsets and lengths
    _over4(_gre(0x880B, b"\xff\x03\x00\x21", flags=0x2001 | 0x0080, version=0, key=0x00040017, ack=5)),
    _over4(_gre(0x880B, b"", flags=0x2080, version=1, key=0x00040017, ack=5)),       # PPTP: an ack alone
    _over4(_gre(0x880B, b"", flags=0x2000, version=1, key=0x00040017)),
    _over4(_gre(0x0800, INNER_PING, version=2)),                                    # unknown version
    _over4(_gre(0x1234, b"abcd")),                                                  # unknown protocol
    _over4(_gre(0x0101, b"abcd", flags=0x0800)),                                  # SSR flag, no decoder
    _over4(_gre(0x0800, b"", flags=0x3000)[:6]),                                    # header past the packet
    _over4(b"\x00"),
]

MPLS_FRAMES = [
    MAC + b"\x88\x47" + _labels((100, 0, 64)) + INNER_PING,                          # one label
    MAC + b"\x88\x47" + _labels((16000, 5, 255), (24001, 0, 254), (3, 7, 1)) + INNER_UDP,   # stack, implicit NULL
    MAC + b"\x88\x47" + _labels((0, 0, 64)) + INNER_PING,                            # IPv4 explicit NULL
    MAC + b"\x88\x47" + _labels((2, 0, 64)) + INNER_PING6,                           # IPv6 explicit NULL
    MAC + b"\x88\x47" + _labels((1, 0, 64), (300, 0, 64)) + INNER_PING6,             # router alert, v6 guessed
    MAC + b"\x88\x48" + _labels((16, 0, 64)) + INNER_PING,                           # multicast
    MAC + b"\x88\x47" + _labels((17, 0, 64)) + b"\x00\x01\x02\x03 not an IP packet, some bytes",  # unknown payload
    MAC + b"\x88\x47" + _labels((17, 0, 64)),                                       # nothing after the labels
    MAC + b"\x88\x47" + _labels((17, 0, 64), (18, 0, 64), bottom=False) + b"\x00\x01",   # no bottom: invalid
    ip4(17, udp(40000, 6635, _labels((500, 0, 64)) + INNER_PING)),                  # MPLS over UDP
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-e -v", "-x", "-X -v"])
def test_gre_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, GRE_FRAMES, opts)


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x", "-X -v"])
def test_mpls_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, MPLS_FRAMES, opts)


@pytest.mark.parametrize("name,frames", [("gre", GRE_FRAMES), ("mpls", MPLS_FRAMES)])
def test_truncated_by_snaplen(tmp_path, name, frames):
    """Every prefix of every frame: the same markers and dumps as tcpdump."""
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, frames, ([], ["-v"], ["-e"], ["-x"]))
