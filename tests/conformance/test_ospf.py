"""OSPFv2 as tcpdump 4.99.3 prints it, at every verbosity.

Packets built as FRR's ospfd sends them (to 224.0.0.5, TTL 1, checksums right):
Hellos with and without DR/BDR and neighbours, simple and MD5 authentication,
LLS blocks, Database Descriptions with LSA headers, LS-Requests, LS-Updates
carrying router (every link type, TOS metrics), network, summary, ASBR summary,
external, NSSA, group and unknown opaque LSAs, LS-Acks, bogus LSA lengths,
unknown types and versions. Every prefix of every packet too (`` [|ospf2]``).
"""

from __future__ import annotations

import struct

import pytest

from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4

ALL_SPF = bytes([224, 0, 0, 5])
R1, R2, R3 = bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2]), bytes([10, 77, 0, 3])
AREA1 = bytes([0, 0, 0, 1])
MASK24 = bytes([255, 255, 255, 0])


def _ospf(kind: int, body: bytes, area=bytes(4), auth=0, authdata=bytes(8), version=2, trailer=b"",
          length=None) -> bytes:
    total = 24 + len(body)
    hdr = bytearray(struct.pack("!BBH4s4sHH8s", version, kind, length or total, R1, area, 0, auth, bytes(8)) + body)
    if auth != 2:
        struct.pack_into("!H", hdr, 12, checksum(bytes(hdr[:16]) + bytes(hdr[24:])))
    hdr[16:24] = authdata
    return bytes(hdr) + trailer


def _frame(packet: bytes) -> bytes:
    return ip4(89, packet, dst=ALL_SPF, ttl=1, tos=0xC0)


def _hello(neighbors=(), dr=bytes(4), bdr=bytes(4), options=0x02, prio=1) -> bytes:
    return struct.pack("!4sHBBI4s4s", MASK24, 10, options, prio, 40, dr, bdr) + b"".join(neighbors)


def _lsa_hdr(kind: int, lsa_id: bytes, router: bytes, body_len: int, seq=0x80000001, age=1, options=0x02) -> bytes:
    return struct.pack("!HBB4s4sIHH", age, options, kind, lsa_id, router, seq, 0x1234, 20 + body_len)


def _lsa(kind: int, lsa_id: bytes, router: bytes, body: bytes, **kw) -> bytes:
    return _lsa_hdr(kind, lsa_id, router, len(body), **kw) + body


ROUTER_LSA = _lsa(1, R1, R1, struct.pack("!BBH", 0x03, 0, 5)
                  + struct.pack("!4s4sBBH", R2, R1, 1, 0, 10)                           # point-to-point
                  + struct.pack("!4s4sBBH", R3, R1, 2, 1, 10) + struct.pack("!BBH", 1, 0, 20)   # transit, one TOS
                  + struct.pack("!4s4sBBH", bytes([10, 77, 9, 0]), MASK24, 3, 0, 1)     # stub
                  + struct.pack("!4s4sBBH", R3, R1, 4, 0, 5)                            # virtual
                  + struct.pack("!4s4sBBH", R3, R1, 9, 0, 5))                           # unknown link type
NETWORK_LSA = _lsa(2, R1, R1, MASK24 + R1 + R2 + R3)
SUMMARY_LSA = _lsa(3, bytes([10, 78, 0, 0]), R2, MASK24 + struct.pack("!I", 100) + struct.pack("!I", 0x01000010))
ASBR_LSA = _lsa(4, R3, R2, bytes(4) + struct.pack("!I", 30))
EXTERNAL_LSA = _lsa(5, bytes([0, 0, 0, 0]), R3, bytes(4) + struct.pack("!I4s4s", 0x80000014, R2, bytes([0, 0, 0, 7]))
                    + struct.pack("!I4s4s", 0x00FFFFFF, bytes(4), bytes(4)))
NSSA_LSA = _lsa(7, bytes([10, 99, 0, 0]), R3, bytes([255, 255, 0, 0]) + struct.pack("!I4s4s", 1, R1, bytes(4)),
                options=0x08)
GROUP_LSA = _lsa(6, bytes([224, 1, 1, 1]), R1, struct.pack("!I4sI4sI4s", 1, R1, 2, R2, 9, R3))
OPAQUE_LSA = _lsa(10, bytes([7, 0, 0, 5]), R1, b"\x00\x01\x00\x04abcd")

FRAMES = [
    _frame(_ospf(1, _hello())),                                                       # first Hello
    _frame(_ospf(1, _hello([R2, R3], dr=R2, bdr=R1, prio=0x80))),                      # DR, BDR, neighbours
    _frame(_ospf(1, _hello([R2]), area=AREA1, auth=1, authdata=b"pass\x00\x00\x00\x00")),   # simple password
    _frame(_ospf(1, _hello([R2]), auth=1, authdata=b"12345678")),
    _frame(_ospf(1, _hello(), auth=2, authdata=struct.pack("!HBBI", 0, 1, 16, 0x5F000001), trailer=bytes(range(16)))),
    _frame(_ospf(1, _hello(options=0x12), trailer=struct.pack("!HH HHI", 0xFFF6, 3, 1, 4, 1))),   # LLS
    _frame(_ospf(1, _hello(options=0x12), trailer=struct.pack("!HH HHI HHI", 0, 5, 1, 8, 3, 2, 20, 7) + bytes(16))),
    _frame(_ospf(1, _hello(), auth=7)),                                               # unknown auth type
    _frame(_ospf(2, struct.pack("!HBBI", 1500, 0x42, 0x07, 0x1234))),                 # DD, init/more/master
    _frame(_ospf(2, struct.pack("!HBBI", 0, 0x02, 0x00, 7) + ROUTER_LSA[:20] + NETWORK_LSA[:20] + OPAQUE_LSA[:20])),
    _frame(_ospf(2, struct.pack("!HBBI", 1500, 0x02, 0x01, 7) + _lsa_hdr(1, R1, R1, 0)[:18] + b"\x00\x10")),   # bogus
    _frame(_ospf(3, struct.pack("!I4s4s", 1, R1, R1) + struct.pack("!I4s4s", 10, bytes([4, 0, 0, 0]), R2))),
    _frame(_ospf(4, struct.pack("!I", 4) + ROUTER_LSA + NETWORK_LSA + SUMMARY_LSA + ASBR_LSA)),
    _frame(_ospf(4, struct.pack("!I", 4) + EXTERNAL_LSA + NSSA_LSA + GROUP_LSA + OPAQUE_LSA)),
    _frame(_ospf(4, struct.pack("!I", 1) + _lsa_hdr(5, R1, R1, 0)[:18] + b"\x00\x04")),                      # bogus
    _frame(_ospf(4, struct.pack("!I", 2) + NETWORK_LSA)),                             # fewer LSAs than counted
    _frame(_ospf(5, ROUTER_LSA[:20] + NETWORK_LSA[:20])),                             # LS-Ack
    _frame(_ospf(9, b"")),                                                            # unknown type
    _frame(_ospf(1, _hello(), version=3)),                                            # version 3 over IPv4
    _frame(_ospf(1, _hello([R2]), length=40)),                                        # header length shorter
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x", "-X -v"])
def test_ospf_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_ospf_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x", "-v"]))
