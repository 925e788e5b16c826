"""netlab's formatter against the installed tcpdump (4.99.3), line by line.

Two sources of packets: the pcaps of tcpdump's own test suite in
../shared/conformance/tcpdump (manifest.tsv), and recordings made here in
private namespaces (tests/helpers/recordings.py). For every pcap and every
output option tcpdump runs in the same test and its stdout is the expectation;
the Formatter is driven through its Python API (fast) and, for a few cases,
through ``netlab capture -r`` as a user would run it.
"""

from __future__ import annotations

import csv
import shlex

import pytest

from tests.helpers.cli import run_netlab
from tests.helpers.env import require_conformance, require_tool
from tests.helpers.tcpdump import NOT_IN_4993, OPTION_SETS, PCAPS, SUITE, compare, needs_pcaps, tcpdump_lines

def _manifest():
    rows = []
    with open(SUITE / "manifest.tsv", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            rows.append(row)
    return rows


def _manifest_cases():
    if not (SUITE / "manifest.tsv").exists():
        return []
    cases = []
    for row in _manifest():
        args = [a for a in shlex.split(row["options"]) if a != "SPECIAL_t"]
        if any(a.split("=")[0] in NOT_IN_4993 for a in args):
            continue
        if "SPECIAL_t" not in row["options"]:
            args = ["-tttt", *args]  # how tcpdump's own suite runs the test
        cases.append(pytest.param(row["pcap"], ["-#", *args], id=row["name"]))
    return cases


def test_conformance_data_is_there():
    """Without the data every case above skips; in CI that must not pass for green."""
    require_conformance()


@needs_pcaps
@pytest.mark.parametrize("pcap,args", _manifest_cases())
def test_manifest_case(pcap, args):
    """Each test of the manifest, run the way tcpdump's suite runs it."""
    require_tool("tcpdump")
    same, total, diffs = compare(PCAPS / pcap, args)
    assert total > 0
    assert not diffs, "\n".join(diffs)


@needs_pcaps
@pytest.mark.parametrize("opts", OPTION_SETS, ids=lambda o: o or "default")
def test_every_option_on_every_pcap(opts):
    require_tool("tcpdump")
    args = opts.split()
    report = []
    for pcap in sorted(PCAPS.iterdir()):
        same, total, diffs = compare(pcap, args)
        if diffs:
            report.append(f"{pcap.name}: {same}/{total}\n" + "\n".join(diffs))
    assert not report, "\n".join(report)


@pytest.mark.privileged
@pytest.mark.parametrize("opts", OPTION_SETS, ids=lambda o: o or "default")
def test_recordings_every_option(recorded, opts):
    """ARP, ND, ping v4/v6, fragments, TCP, RST, UDP, unreachable, time exceeded, RR option."""
    args = opts.split()
    report = []
    for name, path in recorded.items():
        same, total, diffs = compare(path, args)
        assert total >= 40, f"{name}: the recording holds only {total} packets"
        if diffs:
            report.append(f"{name}: {same}/{total}\n" + "\n".join(diffs))
    assert not report, "\n".join(report)


@pytest.mark.privileged
def test_recordings_cover_the_traffic(recorded):
    """The recordings hold what the issue lists (so the line tests above test something)."""
    text = "\n".join("\n".join(tcpdump_lines(p, [])) for p in recorded.values())
    text += "\n".join(tcpdump_lines(recorded["veth-ether"], ["-v"]))
    for needle in ("ARP, Request who-has", "ARP, Reply", "neighbor solicitation", "neighbor advertisement",
                   "ICMP echo request", "ICMP6, echo reply", "Flags [S]", "Flags [S.]", "Flags [F.]", "Flags [R.]",
                   "Flags [P.]", "udp port 40001 unreachable", "unreachable port", "ip-proto-17", "frag (1448|",
                   "time exceeded in-transit", "options (RR", "ICMP6, time exceeded in-transit",
                   "igmp v3 report", "ANY (QU)? netlab-test.local.", "4242+ A? www.example.com.", "HBH ICMP6"):
        assert needle in text, needle
    assert "ifindex" in "\n".join(tcpdump_lines(recorded["router-sll2"], ["-e"]))


@needs_pcaps
def test_cli_read_matches_tcpdump():
    """A few cases through `netlab capture -r` as a user runs it (once the CLI exists)."""
    require_tool("tcpdump")
    for pcap, args in (("print-flags.pcap", ["-X"]), ("tcp-handshake-nano.pcap", ["-ttt", "--nano"]),
                       ("802.1ad_QinQ.pcap", ["-e", "-#"]), ("mptcp-v1.pcap", ["-v"])):
        want = tcpdump_lines(PCAPS / pcap, args)
        proc = run_netlab("capture", "-n", "-r", str(PCAPS / pcap), *args, env={"TZ": "GMT0"})
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split("\n")[:-1] == want
