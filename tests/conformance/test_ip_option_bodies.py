"""IPv4 timestamp and record-route options with -v, as tcpdump 4.99.3 prints their bodies.

Timestamp options of each flag (timestamps only, with addresses, prespecified),
full and partly filled, with overflow counts, bad lengths, pointers and types;
record route, loose and strict source routes; every prefix of each packet. And
real ones: ping -T tsonly/tsandaddr and -R between two namespaces.
"""

from __future__ import annotations

import os
import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import (
    A4, B4, assert_frames_like_tcpdump, assert_like_tcpdump, assert_prefixes_like_tcpdump, icmp, ip4, udp)

ECHO = icmp(8, 0, struct.pack("!HH", 0x77, 1) + b"x" * 16)


def _ts(flags: int, entries: bytes, ptr=None, length=None, room=0) -> bytes:
    body = entries + bytes(room)
    olen = 4 + len(body) if length is None else length
    return struct.pack("!BBBB", 68, olen, 5 + len(entries) if ptr is None else ptr, flags) + body


def _pad(option: bytes) -> bytes:
    return option + b"\x00" * (-len(option) % 4)


def _rr(code: int, addrs, ptr=None, room=0) -> bytes:
    body = b"".join(addrs) + bytes(4 * room)
    return bytes([code, 3 + len(body), 4 + 4 * len(addrs) if ptr is None else ptr]) + body


OPTIONS = [
    _ts(0x00, struct.pack("!II", 1000, 2000), room=4 * 7),             # timestamps only, room for more
    _ts(0x00, struct.pack("!" + "I" * 9, *range(1, 10))),               # full
    _ts(0x30, struct.pack("!I", 77), room=4),                          # 3 hops not recorded
    _ts(0x01, A4 + struct.pack("!I", 5) + B4 + struct.pack("!I", 6), room=8 * 2),   # with addresses
    _ts(0x03, A4 + struct.pack("!I", 0), ptr=5, room=0),               # prespecified
    _ts(0x02, b"\x00" * 8),                                            # bad type
    _ts(0x00, b"", ptr=9, room=4),                                     # pointer out of place
    _ts(0x01, A4 + struct.pack("!I", 5) + B4, ptr=13),                 # length not a multiple of 8
    bytes([68, 3, 5, 0]),                                              # shorter than a header
    _rr(7, [A4, B4], room=3),                                          # record route
    _rr(131, [A4], room=1, ptr=4),                                     # loose source route
    _rr(137, [B4], ptr=5),                                             # strict source route
]

FRAMES = [ip4(1, ECHO, options=_pad(opt)) for opt in OPTIONS] + [
    # a UDP checksum covers the source route's last hop, not the header's destination
    ip4(17, udp(40000, 9, b"hello"), options=_pad(b"\x01" + _rr(131, [B4, A4], ptr=4))),
    ip4(17, udp(40000, 9, b"hello"), options=_pad(_rr(137, [B4]))),
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-x -v"])
def test_ip_option_bodies(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_ip_option_bodies_truncated(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, (["-v"], ["-x", "-v"]))


def test_real_ping_timestamp_and_record_route(tmp_path):
    """ping -T tsonly, -T tsandaddr and -R between two namespaces, recorded by tcpdump, compared."""
    require_tool("tcpdump")
    from netlab import testing
    from tests.helpers.recordings import _start_tcpdump, _stop_tcpdump

    os.chmod(tmp_path, 0o777)  # tcpdump drops root and writes as its own user
    path = str(tmp_path / "pingopts.pcap")
    with testing.veth_pair() as link:
        cap = _start_tcpdump(link.a, path, "-i", "veth0", "icmp")
        try:
            for args in (["-T", "tsonly"], ["-T", "tsandaddr"], ["-R"]):
                link.a.exec(["ping", "-n", "-q", "-c", "1", "-W", "1", *args, link.b4], check=False, timeout=15)
        finally:
            _stop_tcpdump(cap)
    for opts in ("-v", "-vv"):
        assert assert_like_tcpdump(path, opts) >= 6
