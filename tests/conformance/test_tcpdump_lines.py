"""netlab's formatter against the installed tcpdump (4.99.3), line by line.

Two sources of packets: the pcaps of tcpdump's own test suite in
../shared/conformance/tcpdump (manifest.tsv), and recordings made here in
private namespaces (tests/conformance/recordings.py). For every pcap and every
output option tcpdump runs in the same test and its stdout is the expectation;
the Formatter is driven through its Python API (fast) and, for a few cases,
through ``netlab capture -r`` as a user would run it.
"""

from __future__ import annotations

import csv
import os
import shlex
import subprocess
from pathlib import Path

import pytest
import typer

from netlab.capture.decode import Formatter
from netlab.capture.options import FormatOptions, Look
from tests.conformance import pcapfile
from tests.conftest import CONFORMANCE as SHARED_CONFORMANCE, require_conformance, require_tool, run_netlab

CONFORMANCE = SHARED_CONFORMANCE / "tcpdump"
PCAPS = CONFORMANCE / "pcaps"

# Options tcpdump 4.99.3 itself rejects (added in later releases): nothing to compare with.
NOT_IN_4993 = ("--print-sampling", "-g", "--skip")

# Every output option of the issue, tried on every pcap.
OPTION_SETS = ["", "-q", "-e", "-q -e", "-v", "-vv", "-vvv", "-e -v", "-t", "-tt", "-ttt", "-tttt", "-ttttt",
               "--nano", "-ttt --nano", "-#", "-x", "-xx", "-X", "-XX", "-A", "-AA", "-# -e -X -tt"]


_capture_command = None


def options_from(args: list[str]) -> FormatOptions:
    """tcpdump's arguments as `netlab capture` reads them: its own parser, then its own mapping."""
    global _capture_command
    if _capture_command is None:
        from netlab.cli import capture

        app = typer.Typer()
        app.callback()(lambda: None)  # a group, as netlab's app is: the command keeps its own name and options
        capture.register(app)
        _capture_command = typer.main.get_command(app).commands["capture"]
    params = _capture_command.make_context("capture", list(args)).params
    return Look.from_params(params).options(nano=params["nano"], utc=True)


def tcpdump_lines(pcap: Path | str, args: list[str]) -> list[str]:
    proc = subprocess.run(["tcpdump", "-n", "-r", str(pcap), *args], capture_output=True,
                          env=dict(os.environ, TZ="GMT0"), timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode("latin-1").split("\n")[:-1]


def netlab_lines(pcap: Path | str, args: list[str]) -> list[str]:
    o = options_from(args)
    linktype, packets = pcapfile.read(str(pcap), nano=o.nano)
    fmt = Formatter(linktype, o)
    text = "".join(fmt.format(*p) + "\n" for p in packets)
    return text.split("\n")[:-1]


def compare(pcap, args) -> tuple[int, int, list[str]]:
    """(matching lines, tcpdump's lines, first differences)."""
    want = tcpdump_lines(pcap, args)
    got = netlab_lines(pcap, args)
    diffs = []
    same = 0
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else "<no line>"
        g = got[i] if i < len(got) else "<no line>"
        if w == g:
            same += 1
        elif len(diffs) < 6:
            diffs += [f"tcpdump: {w}", f"netlab:  {g}"]
    return same, len(want), diffs


def _manifest():
    rows = []
    with open(CONFORMANCE / "manifest.tsv", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            rows.append(row)
    return rows


def _manifest_cases():
    if not (CONFORMANCE / "manifest.tsv").exists():
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


needs_pcaps = pytest.mark.skipif(not PCAPS.exists(), reason="conformance pcaps not present")


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
