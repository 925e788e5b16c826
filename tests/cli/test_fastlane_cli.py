"""A user sees the same thing whether the fast lane or typer ran the command line.

Each line runs twice as a user runs it: as it comes (the fast lane takes what it
can) and with NETLAB_FASTLANE=0 (typer parses everything). Output, errors and
exit codes must be the same, for lines the fast lane runs (a file read with
options, statistics, JSON) and for lines whose body refuses something (a missing
file, a bad key: the guard's one line), and for lines it hands back (a bad value,
--help).
"""

from __future__ import annotations

import pytest

from netlab.cli import fastlane
from tests.helpers.cli import run_netlab
from tests.helpers.env import require_conformance

PCAP = "tcpdump/pcaps/dns_tcp.pcap"

LINES = [
    ["capture", "-n", "-r", "{pcap}"],
    ["capture", "-nvv", "-e", "-X", "-r", "{pcap}", "tcp"],
    ["capture", "--count", "-r", "{pcap}"],
    ["capture", "-r", "{pcap}", "--stats", "conv", "--top", "3"],
    ["capture", "-r", "{pcap}", "--format", "jsonl", "-c", "2"],
    ["capture", "-r", "/nonexistent/x.pcap"],          # the body refuses: the guard's line
    ["capture", "-c", "0", "-r", "{pcap}"],             # handed back: typer refuses the value
    ["capture", "-r", "{pcap}", "not", "valid", "(("],  # the filter does not compile
    ["conns", "--count-by", "bogus"],
    ["conns", "--top", "3"],                            # the body refuses: --top without --count-by
    ["conns", "--help"],
    ["ping"],                                           # no host
    ["ping", "-c", "1", "-4", "-6", "127.0.0.1"],
    ["ping", "--bogus", "127.0.0.1"],                   # handed back: typer names the option
]
HANDED_BACK = {"capture -c 0 -r {pcap}", "conns --help", "ping --bogus 127.0.0.1"}


@pytest.mark.parametrize("line", LINES, ids=[" ".join(line) for line in LINES])
def test_the_fast_lane_and_typer_give_the_same_answer(line):
    pcap = str(require_conformance() / PCAP)
    args = [word.replace("{pcap}", pcap) for word in line]
    fast = run_netlab(*args, env={"TZ": "GMT0"})
    full = run_netlab(*args, env={"TZ": "GMT0", "NETLAB_FASTLANE": "0"})
    assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
    assert "Traceback" not in fast.stderr
    handed_back = " ".join(line) in HANDED_BACK
    assert (fastlane.parse(args) is None) == handed_back, "the lane this line was meant to take"


def test_a_ping_answers_the_same_through_either_lane():
    fast = run_netlab("ping", "-c", "1", "-W", "2", "127.0.0.1")
    full = run_netlab("ping", "-c", "1", "-W", "2", "127.0.0.1", env={"NETLAB_FASTLANE": "0"})
    assert fast.returncode == full.returncode == 0
    # the round-trip times differ from run to run; the lines' shapes do not
    first = [line.split(" time=")[0].split(" rtt ")[0] for line in fast.stdout.splitlines()[:3]]
    again = [line.split(" time=")[0].split(" rtt ")[0] for line in full.stdout.splitlines()[:3]]
    assert first == again
