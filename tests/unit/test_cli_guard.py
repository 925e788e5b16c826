"""The top-level guard: one-line errors, exit codes, no traceback, --version."""

from __future__ import annotations

from netlab import __version__
from tests.conftest import run_netlab


def test_version():
    proc = run_netlab("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"netlab {__version__}"


def test_help_lists_commands():
    proc = run_netlab("--help")
    assert proc.returncode == 0
    assert "conns" in proc.stdout


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
