"""Printing a capture keeps no packet once it is printed: memory does not grow with the file."""

from __future__ import annotations

import tracemalloc

from netlab.capture.decode import Formatter
from tests.helpers.frames import ip4
from tests.helpers.tcpdump import options_from

# A TCP segment cut inside its header: tcpdump prints "[|tcp]". The decoders raise a
# prebuilt Truncated for it, the case that once kept every such packet alive.
CUT_TCP = ip4(6, bytes(40))[:14 + 20 + 12]


def _grown_by(fmt: Formatter, packets: int) -> int:
    """Bytes still allocated after formatting ``packets`` more cut segments (each a new bytes object)."""
    before = tracemalloc.get_traced_memory()[0]
    for i in range(packets):
        line = fmt.format(1_700_000_000, i, len(CUT_TCP), len(CUT_TCP) + 8, bytes(CUT_TCP))
        assert line.endswith("[|tcp]"), line
    return tracemalloc.get_traced_memory()[0] - before


def test_truncated_packets_are_not_kept():
    fmt = Formatter(1, options_from(["-n", "-v"]))
    tracemalloc.start()
    try:
        _grown_by(fmt, 1_000)  # caches warm up
        grown = _grown_by(fmt, 20_000)
    finally:
        tracemalloc.stop()
    assert grown < 200_000, f"{grown} bytes kept after 20,000 packets"  # kept packets: megabytes
