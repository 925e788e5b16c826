"""OSPFv3 (IP protocol 89 over IPv6) as tcpdump 4.99.3 prints it.

Packets as FRR's ospf6d sends them to ff02::5 (hop limit 1): hellos with DR/BDR and
neighbours, database descriptions with LSA headers, LS-Requests, LS-Updates carrying
router, network, inter-area prefix, AS-external (forwarding address, tag, referenced
LS id), link, intra-area prefix, grace and unknown LSAs, LS-Acks; LLS blocks and
authentication trailers; bad lengths, unknown types and versions; every prefix of
every packet too (`` [|ospf3]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import LL6, assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip6

ALL_SPF = bytes.fromhex("ff020000000000000000000000000005")
RID1, RID2 = bytes([1, 1, 1, 1]), bytes([2, 2, 2, 2])


def ospf6(kind: int, body: bytes, area=bytes(4), instance=0, version=3, length=None, trailer=b"") -> bytes:
    total = 16 + len(body) if length is None else length
    return struct.pack("!BBH4s4sHBx", version, kind, total, RID1, area, 0, instance) + body + trailer


def frame(packet: bytes) -> bytes:
    return ip6(89, packet, src=LL6, dst=ALL_SPF, hlim=1)


def lshdr(ls_type: int, lsid: bytes, body_len: int, age=3, seq=0x80000001) -> bytes:
    return struct.pack("!HH4s4sIHH", age, ls_type, lsid, RID2, seq, 0, 20 + body_len)


def lsa(ls_type: int, body: bytes, lsid=bytes(4)) -> bytes:
    return lshdr(ls_type, lsid, len(body)) + body


def prefix(plen: int, addr: bytes, opt=0, metric=10) -> bytes:
    words = (plen + 31) // 32
    return struct.pack("!BBH", plen, opt, metric) + addr[:words * 4].ljust(words * 4, b"\x00")


P1 = prefix(64, bytes.fromhex("fd770000000000aa"))
P2 = prefix(128, bytes.fromhex("fd7700000000000000000000000000ff"), opt=0x02, metric=0)
P3 = prefix(0, b"", opt=0x09)
ROUTER = lsa(0x2001, struct.pack("!I", 0x01000013) + struct.pack("!BxHII4s", 1, 10, 5, 6, RID2)
             + struct.pack("!BxHII4s", 2, 1, 5, 7, RID1) + struct.pack("!BxHII4s", 4, 3, 8, 9, RID2))
NETWORK = lsa(0x2002, struct.pack("!I", 0x33) + RID1 + RID2, lsid=bytes([0, 0, 0, 5]))
INTER_AP = lsa(0x2003, struct.pack("!I", 20) + P1 + P2)
EXTERNAL = lsa(0x4005, struct.pack("!I", 0x83000014) + P1[:2] + b"\x00\x01" + P1[4:]
               + bytes.fromhex("fe800000000000000000000000000009") + RID2 + bytes([0, 0, 0, 7]))
LINK = lsa(0x0008, struct.pack("!I", 0x01000013) + LL6 + struct.pack("!I", 2) + P1 + P3)
INTRA_AP = lsa(0x2009, struct.pack("!HH4s4s", 2, 0x2001, bytes(4), RID2) + P1 + P2)
GRACE = lsa(0x000B, struct.pack("!HHI", 1, 4, 120) + struct.pack("!HHB3x", 2, 1, 1) + struct.pack("!HH4s", 3, 4, RID1)
            + struct.pack("!HH4x", 9, 4))
OTHER = lsa(0x2020, bytes(range(12)))
HELLO = struct.pack("!IIHH4s4s", 5, 0x01000013, 10, 40, RID1, RID2) + RID2
HELLO_LLS = struct.pack("!IIHH4s4s", 5, 0x00000613, 10, 40, bytes(4), bytes(4))
DD = struct.pack("!IHBBI", 0x13, 1500, 0, 0x07, 0x1234) + lshdr(0x2001, bytes(4), 40) + lshdr(0x0008, bytes([0, 0, 0, 5]), 44)
LSR = struct.pack("!HH4s4s", 0, 0x2001, bytes(4), RID2) + struct.pack("!HH4s4s", 0, 0xA005, bytes([0, 0, 0, 1]), RID2)
AT = struct.pack("!HHHHII", 1, 32, 0, 7, 0, 42) + bytes(range(16))
LLS = struct.pack("!HH", 0xFFF6, 12) + struct.pack("!HHI", 1, 4, 1)
PACKETS = [
    ospf6(1, HELLO), ospf6(1, HELLO, area=bytes([0, 0, 0, 1]), instance=2),
    ospf6(1, HELLO_LLS, trailer=LLS + AT), ospf6(1, HELLO_LLS, trailer=LLS[:2]), ospf6(1, HELLO, trailer=AT[:10]),
    ospf6(1, HELLO, trailer=struct.pack("!HHHHII", 9, 16, 0, 1, 0, 1)), ospf6(1, HELLO, trailer=AT[:4] + bytes(8) + b"x" * 4),
    ospf6(2, DD), ospf6(2, DD[:12] + lshdr(0x2001, bytes(4), 40)[:10]), ospf6(3, LSR), ospf6(3, LSR[:18]),
    ospf6(4, struct.pack("!I", 5) + ROUTER + NETWORK + INTER_AP + EXTERNAL + LINK),
    ospf6(4, struct.pack("!I", 3) + INTRA_AP + GRACE + OTHER, trailer=AT),
    ospf6(4, struct.pack("!I", 1) + lsa(0x2003, struct.pack("!I", 1) + prefix(64, bytes(8))[:6])),
    ospf6(4, struct.pack("!I", 1) + lsa(0x2003, struct.pack("!I", 1) + struct.pack("!BBH", 200, 0, 1) + bytes(8))),
    ospf6(4, struct.pack("!I", 1) + lsa(0x2001, struct.pack("!I", 0) + struct.pack("!BxHII4s", 9, 1, 2, 3, RID2))),
    ospf6(4, struct.pack("!I", 1) + lsa(0x000B, struct.pack("!HHI", 1, 3, 0))),
    ospf6(4, struct.pack("!I", 2) + lshdr(0x2002, bytes(4), 200)), ospf6(4, struct.pack("!I", 0xFFFFFFFF) + NETWORK),
    ospf6(5, lshdr(0x2001, bytes(4), 40) + lshdr(0x4005, bytes([0, 0, 0, 2]), 28) + b"abc"),
    ospf6(1, HELLO, length=200), ospf6(9, HELLO), ospf6(1, HELLO, version=2), b"\x03",
]
FRAMES = [frame(p) for p in PACKETS]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv", "-e", "-q", "-x", "-X -vv"])
def test_ospf6_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_ospf6_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-vv"], ["-x"]))
