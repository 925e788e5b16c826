"""IGMP queries as tcpdump 4.99.3 prints them: ``igmp query v3 [max resp time 1.0s]``.

Version 3 general and group-specific queries (with and without sources, the
maximum response time in both of its encodings, lengths that are not a multiple
of 4 or too short for their sources), version 1 and 2 queries; every prefix of
each too. And the queries a real Linux bridge sends as multicast querier.
"""

from __future__ import annotations

import struct

import pytest

from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_like_tcpdump, assert_prefixes_like_tcpdump, ip4
from tests.helpers.recordings import record_from_a_bridge

ALL_HOSTS = bytes([224, 0, 0, 1])
GROUP = bytes([239, 1, 2, 3])
RA = b"\x94\x04\x00\x00"  # router alert


def _igmp(body: bytes) -> bytes:
    b = bytearray(body)
    struct.pack_into("!H", b, 2, checksum(bytes(b)))
    return bytes(b)


def _query3(mrc=100, group=bytes(4), sources=(), qqic=125, tail=b"", nsrcs=None) -> bytes:
    return _igmp(struct.pack("!BBH4sBBH", 0x11, mrc, 0, group, 2, qqic, len(sources) if nsrcs is None else nsrcs)
                 + b"".join(sources) + tail)


def _frame(body: bytes, dst=ALL_HOSTS) -> bytes:
    return ip4(2, body, dst=dst, ttl=1, options=RA, tos=0xC0)


SOURCES = [bytes([10, 77, 0, 5]), bytes([10, 77, 0, 6])]
FRAMES = [
    _frame(_query3()),                                          # general query, default 10 s
    _frame(_query3(mrc=10)),                                    # 1.0 s
    _frame(_query3(mrc=0)),
    _frame(_query3(mrc=127)),
    _frame(_query3(mrc=0x8F)),                                  # exponent form, under a minute
    _frame(_query3(mrc=0xFF)),                                  # exponent form, long
    _frame(_query3(mrc=20, group=GROUP), dst=GROUP),            # group-specific
    _frame(_query3(group=GROUP, sources=SOURCES), dst=GROUP),   # group-and-source-specific
    _frame(_query3(group=GROUP, sources=SOURCES, nsrcs=5), dst=GROUP),   # more sources than bytes
    _frame(_query3(tail=b"\x00\x00")),                          # length not a multiple of 4
    _frame(_igmp(struct.pack("!BBH4s", 0x11, 100, 0, bytes(4)))),     # version 2, default time
    _frame(_igmp(struct.pack("!BBH4s", 0x11, 50, 0, GROUP))),         # version 2, group
    _frame(_igmp(struct.pack("!BBH4s", 0x11, 0, 0, bytes(4)))),       # version 1
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-q", "-x"])
def test_igmp_query_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_igmp_query_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-vv"], ["-x"]))


def test_real_bridge_querier(tmp_path):
    """A Linux bridge as multicast querier sends IGMPv3 general queries: recorded, then compared."""
    require_tool("tcpdump")
    path = record_from_a_bridge(tmp_path, "igmp", "mcast_querier", "1", "mcast_igmp_version", "3",
                                "mcast_query_interval", "100", "mcast_startup_query_interval", "100",
                                address="10.77.0.1/24")
    for opts in ("", "-v", "-vv"):
        assert assert_like_tcpdump(path, opts) >= 2
