"""AFS calls and replies inside RX (file service 7000, callback service 7001) as tcpdump
4.99.3 prints them.

A cache manager's calls to a file server (fetch-data, fetch-status, store-data with a
store-status mask, create-file, rename, symlink, link, bulk-stat, 64-bit fetch/store,
store-acl with an ACL text, volume queries) and the server's replies matched to them
(create-file's new fid, fetch-acl's ACL, get-time, get-rootvl, aborts with AFS error
codes), the file server's callback breaks and probes to the client and their replies;
replies whose call was never seen, over IPv4 and IPv6; every prefix of every packet too
(`` [|fs]``, `` [|cb]``, `` [|rx]``).
"""

from __future__ import annotations

import struct

import pytest

from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.frames import (A4, A6, B4, B6, assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, ip6,
                                  pseudo_header)


def rx(kind: int, call: int, body: bytes, client_init=True, seq=1, service=1) -> bytes:
    flags = 0x01 if client_init else 0x00
    return struct.pack("!IIIIIBBBBHH", 0x5F000000, 0x1000, call, seq, 1, kind, flags | 0x04, 0, 2, 0, service) + body


def u32(*values: int) -> bytes:
    return struct.pack("!%dI" % len(values), *values)


def string(text: bytes) -> bytes:
    return u32(len(text)) + text + b"\x00" * (-len(text) % 4)


FID = u32(536870919, 1, 1)
FID2 = u32(536870919, 4, 7)
STATUS = u32(1 | 2 | 4 | 8 | 16 | 1024, 1733000000, 1000, 100, 0o100644, 0)
ACL = b"2 1\nsystem:administrators 127\nalice 9\nbob 1\n"


def datagram(body: bytes, sport: int, dport: int, from_a=True, v6=False) -> bytes:
    """A UDP datagram between the client (A) and the server (B), checksum right."""
    src, dst = (A6, B6) if v6 else (A4, B4)
    if not from_a:
        src, dst = dst, src
    seg = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body)
    struct.pack_into("!H", seg, 6, checksum(pseudo_header(src, dst, 17, len(seg)) + bytes(seg)))
    return ip6(17, bytes(seg), src=src, dst=dst) if v6 else ip4(17, bytes(seg), src=src, dst=dst)


def to_server(body: bytes, v6=False) -> bytes:
    return datagram(body, 40000, 7000, v6=v6)


def from_server(body: bytes, v6=False) -> bytes:
    return datagram(body, 7000, 40000, from_a=False, v6=v6)


CALLS = [  # (call number, opcode and arguments)
    (1, u32(130) + FID + u32(0, 65536)), (2, u32(132) + FID), (3, u32(133) + FID + STATUS + u32(0, 12, 12)),
    (4, u32(135) + FID + u32(0, 0, 0, 0, 0, 0)), (5, u32(137) + FID + string(b"notes.txt") + STATUS),
    (6, u32(136) + FID + string(b"old\x01name")), (7, u32(138) + FID + string(b"a") + FID2 + string(b"b")),
    (8, u32(139) + FID + string(b"ln") + string(b"/afs/target")), (9, u32(140) + FID + string(b"hard") + FID2),
    (10, u32(148) + string(b"root.cell")), (11, u32(149, 536870912)), (12, u32(154) + string(b"user.alice")),
    (13, u32(155, 2) + FID + FID2), (14, u32(65536, 0)), (15, u32(65537) + FID + u32(0, 1, 0, 4096)),
    (16, u32(65538) + FID + STATUS + u32(0, 0, 0, 10, 0, 10)), (17, u32(65541, 0x0A4D0001)),
    (18, u32(134) + FID + u32(len(ACL)) + ACL), (19, u32(131) + FID), (20, u32(153)), (21, u32(151)),
    (22, u32(141) + FID + string(b"dir") + STATUS), (23, u32(146)), (24, u32(999)),
    (25, u32(136) + FID + u32(300) + b"x" * 8), (26, u32(130) + FID[:8]),
]
REPLIES = [  # (call number, RX type, reply body)
    (5, 1, FID2), (19, 1, u32(len(ACL)) + ACL), (20, 1, u32(1733000000, 0)), (21, 1, string(b"root.afs")),
    (22, 4, u32(102)), (1, 4, u32(0xFFFFFF9C)), (2, 4, u32(7)), (3, 1, b""), (4, 5, b""), (99, 1, FID),
]
CB_CALLS = [
    (40, u32(204, 2) + FID + FID2 + u32(2, 1, 1733000000, 1, 2, 1733003600, 2)), (41, u32(204, 0, 0)),
    (42, u32(214) + u32(0x12345678, 0x9ABC, 0xDEF0, *range(0xA0, 0xA8))), (43, u32(206)), (44, u32(213)),
]
CB_REPLIES = [(43, 1, b""), (42, 4, u32(5)), (44, 1, u32(1, 2, 3, *range(8)))]

FRAMES = ([to_server(rx(1, call, body)) for call, body in CALLS]
          + [from_server(rx(kind, call, body, client_init=False)) for call, kind, body in REPLIES]
          # the file server calls the client's callback service (port 7001), which replies
          + [datagram(rx(1, call, body), 7000, 7001, from_a=False) for call, body in CB_CALLS]
          + [datagram(rx(kind, call, body, client_init=False), 7001, 7000) for call, kind, body in CB_REPLIES]
          + [to_server(rx(1, 60, u32(130) + FID + u32(0, 1)), v6=True),
             from_server(rx(4, 60, u32(103), client_init=False), v6=True),
             to_server(rx(1, 61, u32(132) + FID, seq=2)), to_server(rx(1, 62, b"\x00\x00"))])


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x"])
def test_afs_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_afs_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x"]))
