"""Spanning tree BPDUs and other 802.2 LLC frames as tcpdump 4.99.3 prints them.

The BPDUs are built here as bridges send them (802.3 length field, LLC 42/42/UI,
padded to 60 bytes): STP config and topology change, RSTP with each port role,
MSTP with MSTIs, SPB, unknown versions and types, and BPDUs too short for their
type; also one from a real Linux bridge (test_real_bridge_bpdu). LLC frames of
other SAPs: U (UI, XID, TEST), S and I frames, IP over LLC, an 802.3 frame in a
VLAN. tcpdump's -x dump of these starts after the LLC header. Every prefix of
every frame too (`` [|stp]``, `` [|llc]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import (
    assert_frames_like_tcpdump, assert_like_tcpdump, assert_prefixes_like_tcpdump, icmp, ip4)
from tests.helpers.recordings import record_from_a_bridge

STP_MAC = bytes.fromhex("0180c2000000")
BRIDGE_MAC = bytes.fromhex("02004d0000aa")
OTHER_MAC = bytes.fromhex("02004d0000bb")


def _dot3(payload: bytes, dst=STP_MAC, src=BRIDGE_MAC, pad=True, field=None) -> bytes:
    frame = dst + src + struct.pack("!H", len(payload) if field is None else field) + payload
    return frame.ljust(60, b"\x00") if pad else frame


def _llc(dsap: int, ssap: int, control: bytes, payload: bytes) -> bytes:
    return bytes([dsap, ssap]) + control + payload


def _bid(prio: int, mac: bytes) -> bytes:
    return struct.pack("!H", prio) + mac


def _bpdu(version=0, kind=0, flags=0, root=_bid(0x8000, BRIDGE_MAC), cost=0, bridge=_bid(0x8000, BRIDGE_MAC),
          port=0x8001, age=0, max_age=20 * 256, hello=2 * 256, delay=15 * 256, v1len=None) -> bytes:
    body = struct.pack("!HBBB8sI8sHHHHH", 0, version, kind, flags, root, cost, bridge, port, age, max_age, hello,
                       delay)
    if v1len is not None:
        body += bytes([v1len])
    return body


def _stp(bpdu: bytes, **kw) -> bytes:
    return _dot3(_llc(0x42, 0x42, b"\x03", bpdu), **kw)


def _msti(flags, prio_id, cost, bprio, pprio, hops):
    return struct.pack("!B8sIBBB", flags, prio_id, cost, bprio, pprio, hops)


def _mstp(mstis=b"", name=b"region1", version=3, extra=b"") -> bytes:
    head = _bpdu(3, 2, flags=0x7C, root=_bid(0x8000, OTHER_MAC), cost=20000, bridge=_bid(0x8000, BRIDGE_MAC),
                 v1len=0)
    v3 = struct.pack("!B32sH16sI8sB", 0, name, 7, bytes(range(16)), 2000, _bid(0x8000, BRIDGE_MAC), 19) + mstis
    return head + struct.pack("!H", len(v3)) + v3 + extra


SPB_TAIL = struct.pack("!HB32sH16sBBBBH4s4s20s", 85, 0, b"aux", 3, bytes(16), 0xE8, 0, 0x21, 0x43, 5, bytes(4), bytes(4),
                       bytes(range(20)))

STP_FRAMES = [
    _stp(_bpdu()),                                                                    # STP config, root bridge
    _stp(_bpdu(flags=0x81, root=_bid(0x1000, OTHER_MAC), cost=19, bridge=_bid(0x8000, BRIDGE_MAC), port=0x8002,
               age=256, max_age=5120 + 128, hello=512, delay=3840)),                   # TC, TCA, times
    _stp(struct.pack("!HBB", 0, 0, 0x80)),                                           # topology change notification
    _stp(_bpdu(2, 2, flags=0x3C, v1len=0)),                                          # RSTP designated, learning/forwarding
    _stp(_bpdu(2, 2, flags=0x7A, cost=4, v1len=0)),                                  # root, proposal, agreement
    _stp(_bpdu(2, 2, flags=0x04, v1len=0)),                                          # alternate
    _stp(_bpdu(2, 2, flags=0x00, v1len=0)),                                          # unknown role
    _stp(_mstp()),                                                                   # MSTP, no MSTI
    _stp(_mstp(_msti(0x7C, _bid(0x8001, OTHER_MAC), 20000, 0x80, 0x80, 20)
               + _msti(0x01, _bid(0x9002, BRIDGE_MAC), 0, 0x90, 0x40, 19), name=b"x" * 32)),   # two MSTIs, full name
    _stp(_mstp(version=3, name=b"tab\there")),
    _stp(_mstp(_msti(0x7C, _bid(0x8001, OTHER_MAC), 1, 0x80, 0x80, 20))[:-1] + b"\x01"),
    _stp(_bpdu(4, 2, v1len=0)),                                                      # SPB too short
    _stp(_bpdu(5, 0)),                                                               # unknown version
    _stp(_bpdu(0, 0x33)),                                                            # unknown BPDU type
    _stp(b"\x00\x01\x00\x00" + bytes(32)),                                           # protocol id not 0
    _stp(b"\x00\x00\x00"),                                                           # too short: invalid
    _stp(_bpdu()[:20]),                                                              # config too short
    _stp(_bpdu(2, 2)),                                                               # RSTP without v1 length
    _stp(_mstp(), pad=False)[:60],                                                   # MSTP cut by the frame
    _stp(_bpdu(), field=200),                                                        # length field past the frame
    _stp(_bpdu(), field=20),                                                         # length field short of the BPDU
]

_PING = ip4(1, icmp(8, 0, b"\x00\x01\x00\x01" + b"x" * 8))[14:]

LLC_FRAMES = [
    _dot3(_llc(0x06, 0x06, b"\x03", _PING), dst=OTHER_MAC),                          # IP over LLC
    _dot3(_llc(0xF0, 0xF1, b"\xe3", b"test data"), dst=OTHER_MAC),                    # U TEST, response... NetBeui SSAP
    _dot3(_llc(0x04, 0x04, b"\xbf", b"\x81\x01\x00"), dst=OTHER_MAC),                 # XID with the format id, poll
    _dot3(_llc(0x04, 0x05, b"\xaf", b""), dst=OTHER_MAC, pad=False),                  # XID, no payload
    _dot3(_llc(0x04, 0x04, b"\xaf", b"\x82\x01"), dst=OTHER_MAC),                     # XID, another payload
    _dot3(_llc(0x04, 0x04, b"\x01\x05", b""), dst=OTHER_MAC),                         # S: receiver ready
    _dot3(_llc(0x05, 0x04, b"\x09\x0b", b""), dst=OTHER_MAC),                         # S: reject, group, final
    _dot3(_llc(0x04, 0x04, b"\x0a\x14", b"abcdef"), dst=OTHER_MAC),                   # I frame
    _dot3(_llc(0x12, 0x34, b"\x03", b"unknown saps"), dst=OTHER_MAC),                 # unknown SAPs
    _dot3(_llc(0x42, 0x42, b"\x6f", b""), dst=OTHER_MAC),                             # STP SAP, not UI
    _dot3(_llc(0x7e, 0x7e, b"\x99", b"z"), dst=OTHER_MAC),                            # unknown U command
    _dot3(b"\x42\x42", dst=OTHER_MAC, pad=False),                                    # LLC header cut by the length
    _dot3(b"\x04\x04\x00", dst=OTHER_MAC, pad=False),                                # I frame cut
    OTHER_MAC + BRIDGE_MAC + b"\x81\x00\x00\x05" + struct.pack("!H", 39) + _llc(0x42, 0x42, b"\x03", _bpdu(2, 2, v1len=0)),
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-e -v", "-x", "-X -v", "-xx"])
def test_stp_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, STP_FRAMES, opts)


@pytest.mark.parametrize("opts", ["", "-v", "-e", "-q", "-x", "-X -e"])
def test_llc_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, LLC_FRAMES, opts)


@pytest.mark.parametrize("name,frames", [("stp", STP_FRAMES), ("llc", LLC_FRAMES)])
def test_truncated_by_snaplen(tmp_path, name, frames):
    """Every prefix of every frame: the same markers and dumps as tcpdump."""
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, frames, ([], ["-v"], ["-e"], ["-x"]))


def test_real_bridge_bpdu(tmp_path):
    """A Linux bridge with STP on sends config BPDUs every 2 s: tcpdump records two on a port's
    peer, and netlab prints them as tcpdump does (real frames, not built ones)."""
    require_tool("tcpdump")
    path = record_from_a_bridge(tmp_path, "stp", "stp_state", "1", "hello_time", "100")
    for opts in ("", "-v", "-e", "-x"):
        total = assert_like_tcpdump(path, opts)
        assert total >= 2

