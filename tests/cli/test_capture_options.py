"""`netlab capture`'s tcpdump file options on files, beside tcpdump 4.99.3: -C/-W/-G names and
boundaries (byte for byte), -F, --print, -Z, --time-stamp-precision, and what tcpdump refuses.

tcpdump runs with -Z root where it writes: Debian's drops to the user tcpdump by default,
who cannot write in pytest's folders.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bench.pcapgen import write_mixed_pcap
from tests.helpers.cli import run_netlab
from tests.helpers.env import CONFORMANCE, require_tool

WHOIS = CONFORMANCE / "tcpdump" / "pcaps" / "whois.pcap"


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A 2.9 MB capture: three files at -C 1."""
    path = tmp_path_factory.mktemp("big") / "big.pcap"
    write_mixed_pcap(str(path), 10000)
    return path


def tcpdump(*args: str, cwd=None) -> subprocess.CompletedProcess:
    require_tool("tcpdump")
    return subprocess.run(["tcpdump", *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def written_by_both(tmp_path: Path, source: Path, *args: str) -> tuple[dict, dict]:
    """The files `-r SOURCE -w out ARGS` makes, by netlab and by tcpdump, each in its own folder."""
    mine, theirs = tmp_path / "netlab", tmp_path / "tcpdump"
    mine.mkdir()
    theirs.mkdir()
    proc = run_netlab("capture", "-r", str(source), "-w", str(mine / "out"), *args)
    assert proc.returncode == 0, proc.stderr
    done = tcpdump("-Z", "root", "-r", str(source), "-w", str(theirs / "out"), *args)
    assert done.returncode == 0, done.stderr
    return files_of(mine), files_of(theirs)


@pytest.mark.parametrize("args,names", [
    (["-C", "1"], ["out", "out1", "out2"]),
    (["-C", "1", "-W", "3"], ["out0", "out1", "out2"]),
    (["-C", "1", "-W", "11"], ["out00", "out01", "out02"]),
    (["-C", "1", "-W", "2"], ["out0", "out1"]),  # the ring wraps: out0 is the third file
    (["-C", "1", "-W", "1"], ["out"]),  # a ring of one: the last part alone
    (["-C", "5"], ["out"]),
    (["-G", "3600", "-C", "1"], ["out", "out1", "out2"]),  # "out" has no % for strftime
])
def test_size_rotation_makes_tcpdumps_files_byte_for_byte(big, tmp_path, args, names):
    mine, theirs = written_by_both(tmp_path, big, *args)
    assert list(mine) == names == list(theirs)
    assert mine == theirs


def test_time_rotation_names_through_strftime_as_tcpdump(big, tmp_path):
    # %% is the one conversion that gives the same name whenever the two run
    mine, theirs = tmp_path / "netlab", tmp_path / "tcpdump"
    mine.mkdir()
    theirs.mkdir()
    for folder, run in ((mine, lambda *a: run_netlab("capture", *a)), (theirs, lambda *a: tcpdump("-Z", "root", *a))):
        proc = run("-r", str(big), "-w", str(folder / "cap-%%-"), "-G", "3600", "-C", "1", "-W", "5")
        assert proc.returncode == 0, proc.stderr
    assert files_of(mine) == files_of(theirs)
    assert list(files_of(mine)) == ["cap-%-0", "cap-%-1", "cap-%-2"]
    proc = run_netlab("capture", "-r", str(WHOIS), "-w", str(mine / "y-%Y.pcap"), "-G", "60")
    assert proc.returncode == 0, proc.stderr
    assert (mine / f"y-{__import__('time').strftime('%Y')}.pcap").exists()


def test_F_reads_the_filter_from_a_file_with_comments_and_ignores_the_command_lines(big, tmp_path):
    filter_file = tmp_path / "filter"
    filter_file.write_text("# two UDP flows\nudp port 5354 # a v6 one\n  or udp port 9013\n")
    mine = run_netlab("capture", "-n", "-r", str(big), "-F", str(filter_file), "tcp")
    theirs = tcpdump("-n", "-r", str(big), "-F", str(filter_file), "tcp")
    assert mine.returncode == 0 == theirs.returncode
    assert mine.stdout == theirs.stdout and mine.stdout.count("\n") > 10
    assert ".5354: UDP" in mine.stdout and ".9013: UDP" in mine.stdout
    assert "Flags [" not in mine.stdout  # the command line's "tcp" was not used
    assert mine.stderr.splitlines()[0] == (
        "netlab: note: -F given: the expression on the command line is ignored, as tcpdump ignores it")


def test_print_writes_the_file_and_prints_tcpdumps_lines(big, tmp_path):
    mine = run_netlab("capture", "-n", "-r", str(big), "-w", str(tmp_path / "mine.pcap"), "--print", "-c", "500")
    theirs = tcpdump("-Z", "root", "-n", "-r", str(big), "-w", str(tmp_path / "theirs.pcap"), "--print", "-c", "500")
    assert mine.returncode == 0 == theirs.returncode, mine.stderr
    assert mine.stdout == theirs.stdout and len(mine.stdout.splitlines()) == 500
    assert (tmp_path / "mine.pcap").read_bytes() == (tmp_path / "theirs.pcap").read_bytes()
    jsonl = run_netlab("capture", "-r", str(big), "-w", str(tmp_path / "j.pcap"), "--print", "--format", "jsonl",
                       "-c", "3")
    assert jsonl.returncode == 0 and [line[:1] for line in jsonl.stdout.splitlines()] == ["{"] * 3


def test_Z_makes_the_files_as_that_user_as_tcpdump(big):
    require_tool("tcpdump")
    nobody = pwd.getpwnam("nobody")
    folder = Path(tempfile.mkdtemp(prefix="netlab-capopts-", dir="/tmp"))  # pytest's are root's alone
    try:
        os.chmod(folder, 0o755)
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        mine = run_netlab("capture", "-Z", "nobody", "-r", str(big), "-w", str(folder / "mine"), "-C", "1")
        theirs = tcpdump("-Z", "nobody", "-r", str(big), "-w", str(folder / "theirs"), "-C", "1")
        assert mine.returncode == 0 == theirs.returncode, mine.stderr
        made = sorted(folder.iterdir())
        assert [p.name for p in made] == ["mine", "mine1", "mine2", "theirs", "theirs1", "theirs2"]
        assert {(p.stat().st_uid, p.stat().st_gid) for p in made} == {(nobody.pw_uid, nobody.pw_gid)}
        for suffix in ("", "1", "2"):
            assert (folder / f"mine{suffix}").read_bytes() == (folder / f"theirs{suffix}").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_time_stamp_precision_nano_is_nano(big):
    nano = run_netlab("capture", "-n", "-c", "50", "-r", str(big), "--nano")
    precision = run_netlab("capture", "-n", "-c", "50", "-r", str(big), "--time-stamp-precision=nano")
    theirs = tcpdump("-n", "-c", "50", "-r", str(big), "--time-stamp-precision=nano")
    assert precision.returncode == 0 and precision.stdout == nano.stdout == theirs.stdout
    micro = run_netlab("capture", "-n", "-c", "50", "-r", str(big), "--time-stamp-precision", "MICRO")
    assert micro.stdout == tcpdump("-n", "-c", "50", "-r", str(big)).stdout


def test_U_without_w_prints_each_line_as_it_comes(big):
    # tcpdump(8): -U without -w makes the printed output packet-buffered: netlab writes per packet
    proc = run_netlab("capture", "-n", "-U", "-c", "20", "-r", str(big))
    assert proc.returncode == 0 and proc.stdout == tcpdump("-n", "-c", "20", "-r", str(big)).stdout


# What tcpdump refuses (exit 1, "tcpdump: ..."), netlab refuses in one line, exit 2.
REFUSED = [
    (["-C", "0"], "invalid -C '0' (give an integer from 1 to 9223372036854)"),
    (["-C", "9223372036855"], "invalid -C '9223372036855' (give an integer from 1 to 9223372036854)"),
    (["-W", "0"], "invalid -W '0' (give an integer from 1 to 2147483647)"),
    (["-G", "-1"], "invalid -G '-1' (give an integer from 0 to 2147483647)"),
    (["-y", "NOSUCH"], "invalid -y/--linktype 'NOSUCH' (not a data link type libpcap knows; see -L)"),
    (["-j", "nosuch"], "invalid -j/--time-stamp-type 'nosuch' (not a time stamp type libpcap knows; see -J)"),
    (["--time-stamp-precision", "pico"], "invalid --time-stamp-precision 'pico' (give micro or nano)"),
    (["-Q", "up"], "invalid -Q/--direction 'up' (give in, out or inout)"),
    (["-Z", "nosuchuser"], "couldn't find user 'nosuchuser' (give -Z a user of this system: see getent passwd)"),
    (["-F", "/nonexistent/filter"], "can't open /nonexistent/filter: No such file or directory "
                                    "(-F takes a file holding a filter expression)"),
]


@pytest.mark.parametrize("args,said", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_what_tcpdump_refuses_is_refused_in_one_line(tmp_path, args, said):
    out = tmp_path / "out"
    mine = run_netlab("capture", "-r", str(WHOIS), "-w", str(out), *args)
    theirs = tcpdump("-Z", "root", "-r", str(WHOIS), "-w", str(tmp_path / "theirs"), *args)
    assert theirs.returncode == 1 and theirs.stderr.splitlines()[-1].startswith("tcpdump: "), theirs.stderr
    assert mine.returncode == 2
    assert mine.stderr.splitlines() == [f"netlab: error: {said}"]
    assert not out.exists()


@pytest.mark.parametrize("args", [["-C", "1"], ["-G", "10"], ["--print"]])
def test_rotating_or_printing_into_standard_output_is_refused(args):
    proc = run_netlab("capture", "-r", str(WHOIS), "-w", "-", *args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("netlab: error: ")


def test_nano_and_micro_precision_together_are_refused():
    proc = run_netlab("capture", "-r", str(WHOIS), "--nano", "--time-stamp-precision", "micro")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "netlab: error: --nano and --time-stamp-precision micro disagree (give one of them)"]
