"""Property: on any damaged capture file, netlab's verdict is tcpdump's.

Real pcap and pcapng files (tests.helpers.damage.seeds) get one mutation each:
a header or record field set to 0, all ones, a neighbour, a random value; a
random header byte; a cut. Both tools read the result. netlab must never fault
(exit 70, a traceback) or hang, says at most one error line, fails exactly
when tcpdump fails, and hands out as many packets as tcpdump before it stops.

NETLAB_FUZZ_FILES sets how many files are tried (default 200, well under a minute on
two cores); a long run, e.g. NETLAB_FUZZ_FILES=3000, draws new random files
each time instead of the fixed default set.

Deliberate difference, left out of the comparison: the printed lines of packets of
a link type netlab does not decode (tcpdump's own printers for PPP, 802.11 ...):
only how many packets were printed is compared there.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netlab.capture import linktypes
from tests.helpers import damage
from tests.helpers.env import require_conformance, require_tool

FILES = int(os.environ.get("NETLAB_FUZZ_FILES", "200"))
LONG_RUN = "NETLAB_FUZZ_FILES" in os.environ
OPTIONS = (["-n"], ["-n", "-v"], ["-n", "-x"], ["--count"], ["-n", "tcp"], ["--count", "udp"], ["-n", "--nano"])
HANG = 20  # seconds: these files are a few KiB, read in well under one


def _seeds():
    require_tool("tcpdump")
    return damage.seeds(require_conformance() / "tcpdump" / "pcaps")


@pytest.fixture(scope="module")
def seeds():
    return _seeds()


def packet_lines(stdout: bytes) -> int:
    """Lines that start a packet: not the indented -v continuations nor the -x dump."""
    return sum(1 for line in stdout.split(b"\n") if line and line[:1] not in b" \t")


def decoded_by_netlab(blob: bytes) -> bool:
    """Whether netlab's printers know the file's link type (else only the packet count is compared)."""
    found = [f for f in damage.fields(blob) if f.name == "linktype" or f.name.endswith("(type 1) linktype")]
    if not found:
        return True
    return linktypes.kind(damage.field_value(blob, found[0]) & 0x03FFFFFF) is not None


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
        assert mine.returncode == 2 and errors[0].startswith(f"netlab: error: {path}: "), told
    if args[0] == "--count" or decoded_by_netlab(path.read_bytes()):
        assert mine.stdout == theirs.stdout, told
    else:
        assert packet_lines(mine.stdout) == packet_lines(theirs.stdout), told


@settings(max_examples=FILES, deadline=None, derandomize=not LONG_RUN, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_files_get_tcpdump_s_verdict(seeds, data):
    name, blob = data.draw(st.sampled_from(seeds), label="seed")
    rng = data.draw(st.randoms(use_true_random=False), label="rng")
    damaged, what = damage.mutate(blob, rng)
    args = data.draw(st.sampled_from(OPTIONS), label="options")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("damaged" + Path(name).suffix)
        path.write_bytes(damaged)
        check(path, args, f"{name}, {what}")
