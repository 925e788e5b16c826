"""RX (UDP 7000-7009) as tcpdump 4.99.3 prints it.

Most datagrams on these ports are not AFS at all (a game, a media server...):
shorter than RX's header they are `` [|rx] (N)``, longer ones get an RX packet
type. Real RX packets of each type, flags, acks with acked and nacked ranges and
the optional trailer fields, at every verbosity; every prefix of each. (AFS calls:
test_afs.py.)
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, udp


def _rx(kind: int, flags=0, seq=3, serial=9, cid=0x1000, call=7, secindex=2, service=52, body=b"") -> bytes:
    return struct.pack("!IIIIIBBBBHH", 0x5F000000, cid, call, seq, serial, kind, flags, 0, secindex, 0, service) + body


def _ack(first, acks, reason=1, trailer=b"") -> bytes:
    return struct.pack("!HHIIIBB", 32, 4, first, 0, 77, reason, len(acks)) + bytes(acks) + b"\x00" * 3 + trailer


def _frame(payload: bytes, sport=7001, dport=7000) -> bytes:
    return ip4(17, udp(sport, dport, payload))


FRAMES = [
    _frame(b"hello", 7001, 25569),                                       # stray traffic, too short
    _frame(b"", 40000, 7009),
    _frame(_rx(1, flags=0x02, seq=2, body=b"data")),                      # data, not the first packet
    _frame(_rx(1, flags=0x24, seq=5)),                                    # jumbogram, last packet
    _frame(_rx(2, flags=0x20, body=_ack(10, [1, 1, 1, 0, 0, 1, 0, 1, 1]))),   # ack with ranges, slow start
    _frame(_rx(2, body=_ack(1, [0, 1, 1, 1], reason=6, trailer=struct.pack("!IIII", 1444, 1444, 32, 4)))),
    _frame(_rx(2, body=_ack(1, [], reason=42, trailer=b"\x00\x00\x05"))),   # trailer too short
    _frame(_rx(2, body=b"\x00" * 10)),                                    # ack body cut
    *[_frame(_rx(k, flags=0x1F)) for k in (3, 4, 5, 6, 7, 8, 9, 13, 99)],  # every other type
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv", "-q", "-x"])
def test_rx_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_rx_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-vvv"], ["-x"]))
