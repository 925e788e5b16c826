"""Property: on any damaged capture file, netlab's verdict is tcpdump's.

Real pcap and pcapng files (tests.helpers.damage.seeds) get one mutation each:
a header or record field set to 0, all ones, a neighbour, a random value; a
random header byte; a cut. Both tools read the result. netlab must never fault
(exit 70, a traceback) or hang, says at most one error line, fails exactly
when tcpdump fails, and hands out as many packets as tcpdump before it stops.

NETLAB_FUZZ_FILES sets how many files are tried (default 200, well under a minute on
two cores); a long run, e.g. NETLAB_FUZZ_FILES=3000, draws new random files
each time instead of the fixed default set.

What is compared of the output: the whole of it with --count, and how many
packets were printed otherwise. The text of each line is left out on purpose: a
mutated link type hands Ethernet bytes to the raw-IP printer and the like, and
how such garbage prints (or a link type netlab does not decode: PPP, 802.11 ...)
is the printers' conformance, tested in test_malformed.py, not the reader's verdict.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import damage
from tests.helpers.env import require_conformance, require_tool

FILES = int(os.environ.get("NETLAB_FUZZ_FILES", "200"))
LONG_RUN = "NETLAB_FUZZ_FILES" in os.environ
OPTIONS = (["-n"], ["-n", "-v"], ["-n", "-x"], ["--count"], ["-n", "tcp"], ["--count", "udp"], ["-n", "--nano"],
           ["-n", "len > 100"])
HANG = 20  # seconds: these files are a few KiB, read in well under one


_SEEDS: list[tuple[str, bytes]] = []


def seeds() -> list[tuple[str, bytes]]:
    """The seed files, made once (not a fixture: hypothesis would print all their bytes with a failure)."""
    if not _SEEDS:
        require_tool("tcpdump")
        _SEEDS.extend(damage.seeds(require_conformance() / "tcpdump" / "pcaps"))
    return _SEEDS


def packet_lines(stdout: bytes) -> int:
    """Lines that start a packet: not the indented -v continuations nor the -x dump."""
    return sum(1 for line in stdout.split(b"\n") if line and line[:1] not in b" \t")


def check(path: Path, args: list[str], what: str) -> None:
    theirs = damage.run_tcpdump(path, *args)
    try:
        mine = damage.run_netlab(path, *args, timeout=HANG)
    except subprocess.TimeoutExpired:
        pytest.fail(f"netlab hung on {what} ({' '.join(args)})")
    errors = damage.error_lines(mine.stderr)
    told = f"{what}, {' '.join(args)}: tcpdump {theirs.returncode} {damage.error_lines(theirs.stderr)}, " \
           f"netlab {mine.returncode} {errors}"
    assert mine.returncode != 70 and b"Traceback" not in mine.stderr, told
    assert len(errors) <= 1, told
    assert (mine.returncode != 0) == (theirs.returncode != 0), told
    if mine.returncode:
        # The file named, unless the filter is what failed (libpcap cannot compile it for the link type).
        named = (errors[0].startswith(f"netlab: error: {path}: ")
                 or errors[0].endswith("(see pcap-filter(7) for the syntax)"))
        assert mine.returncode == 2 and named, told
    if args[0] == "--count":
        assert mine.stdout == theirs.stdout, told
    else:
        assert packet_lines(mine.stdout) == packet_lines(theirs.stdout), told


@settings(max_examples=FILES, deadline=None, derandomize=not LONG_RUN, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_files_get_tcpdump_s_verdict(data):
    name, blob = data.draw(st.sampled_from(seeds()), label="seed")
    rng = data.draw(st.randoms(use_true_random=False), label="rng")
    damaged, what = damage.mutate(blob, rng)
    args = data.draw(st.sampled_from(OPTIONS), label="options")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("damaged" + Path(name).suffix)
        path.write_bytes(damaged)
        check(path, args, f"{name}, {what}")
