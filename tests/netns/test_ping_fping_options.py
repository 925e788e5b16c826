"""fping's ways of naming and reporting many hosts, run with netlab and fping on the same hosts.

-g (a CIDR block, a range), --file (fping -f, stdin too), --alive / -u (fping -a / -u),
--summary-interval (fping -Q) and --fping-summary (fping -c's closing lines), each
compared with fping's own output in private namespaces.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.cli import run_netlab
from tests.helpers.env import require_tool

pytestmark = pytest.mark.privileged


def fping(ns, *args, input=None):
    require_tool("fping")
    return ns.exec(["fping", *args], check=False, timeout=60, input=input)


def masked(text: str) -> list[str]:
    return [re.sub(r"\d+\.\d+", "N", line) for line in text.splitlines()]


@pytest.mark.parametrize("block", [["10.77.0.0/29"], ["10.77.0.1", "10.77.0.5"], ["10.77.0.2/32"], ["10.77.0.0/31"]])
def test_generate_alive_and_unreachable_like_fping(veth, block):
    for flag, ours_flag in (("-a", "--alive"), ("-u", "-u")):
        ours = run_netlab("ping", ours_flag, "-g", *block, ns=veth.a)
        theirs = fping(veth.a, flag, "-r", "0", "-t", "1000", "-g", *block)
        assert ours.stdout == theirs.stdout, (block, flag, ours.stdout, theirs.stdout)
        assert ours.returncode == theirs.returncode, (ours.stderr, theirs.stderr)


def test_generate_refuses_ipv6_and_huge_blocks(veth):
    proc = run_netlab("ping", "-g", "fd77::/126", ns=veth.a)
    assert proc.returncode == 2 and "-g works only with IPv4 addresses" in proc.stderr
    assert "-g works only with IPv4 addresses" in fping(veth.a, "-g", "fd77::/126").stderr
    proc = run_netlab("ping", "-g", "10.0.0.0/8", ns=veth.a)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "16777216 addresses" in proc.stderr


def test_hosts_from_stdin_and_a_file_like_fping(veth, tmp_path):
    listing = "10.77.0.2\n# a comment\n\n  10.77.0.3   trailing words\nfd77::2\n"
    ours = run_netlab("ping", "--file", "-", "--alive", ns=veth.a, input=listing)
    theirs = fping(veth.a, "-f", "-", "-a", "-r", "0", "-t", "1000", input=listing)
    assert ours.stdout == theirs.stdout == "10.77.0.2\nfd77::2\n"
    both_lists = run_netlab("ping", "--alive", "-u", "10.77.0.2", ns=veth.a)
    assert "specify only one of a, u" in fping(veth.a, "-a", "-u", "10.77.0.2").stderr
    assert both_lists.returncode == 2 and "specify only one of --alive and -u" in both_lists.stderr
    (tmp_path / "hosts").write_text(listing)
    ours = run_netlab("ping", "--file", str(tmp_path / "hosts"), "-u", ns=veth.a)
    theirs = fping(veth.a, "-f", str(tmp_path / "hosts"), "-u", "-r", "0", "-t", "1000")
    assert ours.stdout == theirs.stdout == "10.77.0.3\n" and ours.returncode == theirs.returncode == 1
    missing = run_netlab("ping", "--file", str(tmp_path / "nope"), ns=veth.a)
    assert missing.returncode == 2 and missing.stderr.startswith("netlab: error: ") and missing.stderr.count("\n") == 1


def test_fping_summary_lines_like_fping(veth):
    hosts = ["10.77.0.2", "fd77::2", "10.77.0.99"]
    ours = run_netlab("ping", "-c", "3", "-i", "0.05", "-W", "0.5", "-q", "--fping-summary", *hosts, ns=veth.a)
    theirs = fping(veth.a, "-c", "3", "-p", "50", "-t", "500", "-q", *hosts)
    assert ours.returncode == theirs.returncode == 1
    assert masked(ours.stdout) == masked(theirs.stderr), f"ours:\n{ours.stdout}\nfping:\n{theirs.stderr}"
    assert ours.stdout.splitlines()[2] == "10.77.0.99 : xmt/rcv/%loss = 3/0/100%"


def test_summary_interval_like_fping_q(veth):
    ours = run_netlab("ping", "-c", "6", "-i", "0.2", "--summary-interval", "0.5", "-q", "--fping-summary", "10.77.0.2",
                      ns=veth.a)
    theirs = fping(veth.a, "-c", "6", "-p", "200", "-Q", "0.5", "-q", "10.77.0.2")
    assert ours.returncode == theirs.returncode == 0
    clock = re.compile(r"^\[\d\d:\d\d:\d\d\]$")
    for report in (ours.stderr, theirs.stderr):
        lines = report.splitlines()
        assert sum(bool(clock.match(line)) for line in lines) == 2, report
    split = re.compile(r"^10\.77\.0\.2 : xmt/rcv/%loss = (\d)/(\d)/0%, min/avg/max = [\d.]+/[\d.]+/[\d.]+$")
    ours_splits = [split.match(line).groups() for line in ours.stderr.splitlines() if not clock.match(line)]
    theirs_splits = [split.match(line).groups() for line in theirs.stderr.splitlines()[:4] if not clock.match(line)]
    # 6 probes 0.2 s apart, a report every 0.5 s: 3 then 2 (the first leaves at 0), in both
    assert ours_splits == theirs_splits == [("3", "3"), ("2", "2")]
    assert masked(ours.stdout) == masked(theirs.stderr.splitlines()[-1])
