"""The top-level guard: one-line errors, exit codes, no traceback, --version."""

from __future__ import annotations

import pytest

from netlab import __version__
from netlab.cli.app import COMMANDS  # every registered command (test_help.py spells the list out)
from netlab.cli.launch import needs_owner_walk
from tests.helpers.cli import listed_commands, run_netlab


def test_version():
    proc = run_netlab("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"netlab {__version__}"


def test_help_lists_commands():
    proc = run_netlab("--help")
    assert proc.returncode == 0
    assert listed_commands(proc.stdout) == list(COMMANDS)


def test_unknown_command_is_one_line_exit_2():
    proc = run_netlab("no-such-command")
    assert proc.returncode == 2
    assert proc.stderr.startswith("netlab: error: ")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_unknown_option_is_one_line_exit_2():
    proc = run_netlab("conns", "--no-such-option")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "netlab conns --help" in proc.stderr


@pytest.mark.parametrize("argv", [["--help"], ["--help", "conns"], ["-h", "ping"]])
def test_every_command_is_registered(argv):
    # main() registers only the command it runs; the top-level help must still list them all
    proc = run_netlab(*argv)
    assert proc.returncode == 0
    assert listed_commands(proc.stdout) == list(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_rejects_an_unknown_option_in_one_line(command):
    proc = run_netlab(command, "--no-such-option-x")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("netlab: error: ") and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [
    ["conns", "--port", "70000"],
    ["conns", "--src", "not-an-address"],
    ["ping", "-c", "0", "127.0.0.1"],
    ["ping", "-s", "70000", "127.0.0.1"],
    ["ping", "-i", "-1", "127.0.0.1"],
    ["ping", "host.invalid"],
    ["capture", "-r", "/nonexistent/file.pcap"],
    ["capture", "-r", "/etc/hostname"],
    ["capture", "-r", "/nonexistent/file.pcap", "tcp", "port"],
    ["backlog", "--connects", "-1"],
    ["backlog", "--backlog", "70000"],
    ["reuseaddr-demo", "--scenario", "bogus"],
    ["reuseaddr-demo", "--port", "99999"],
], ids=lambda a: " ".join(a))
def test_bad_values_are_one_line_exit_2_without_traceback(args):
    proc = run_netlab(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netlab: error: ")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [("--version",), ("conns", "-l")])
def test_closed_stdout_is_one_line_exit_2(args):
    """Started with stdout closed (`netlab --version >&-`): the answer is lost, so it says so (as coreutils do)."""
    import os
    import subprocess

    from tests.helpers.cli import netlab_argv

    from tests.helpers.env import ROOT

    proc = subprocess.run(["bash", "-c", '"$@" >&-', "netlab", *netlab_argv(*args)], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["netlab: error: cannot write the output: Bad file descriptor "
                                        "(standard output is closed; give it a file or a pipe)"]


@pytest.mark.parametrize(("argv", "walk"), [
    (["conns"], True),
    (["conns", "-tanp"], True),
    (["conns", "--state", "listening", "--format", "json"], True),
    (["conns", "-tas"], False),
    (["conns", "--summary"], False),
    (["conns", "--pid", "1"], False),
    (["conns", "--pid=1"], False),
    (["conns", "--help"], False),
    (["ping", "127.0.0.1"], False),
    ([], False),
])
def test_launch_starts_the_walk_only_for_a_listing_with_owners(argv, walk):
    assert needs_owner_walk(argv) is walk


def test_a_missing_option_value_points_at_the_command_help():
    proc = run_netlab("backlog", "--watch")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "'--watch' requires an argument" in proc.stderr and "see 'netlab backlog --help'" in proc.stderr
