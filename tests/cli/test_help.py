"""Every --help screen as a user reads it: examples at the end, no stray markup."""

from __future__ import annotations

import pytest

from tests.helpers.cli import listed_commands, run_netlab

COMMANDS = listed_commands(run_netlab("--help").stdout)


def help_of(*command: str) -> str:
    proc = run_netlab(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def examples(text: str) -> list[str]:
    """The lines of the Examples block, which ends the screen."""
    lines = text.rstrip("\n").splitlines()
    assert "  Examples:" in lines, text
    return [line.strip() for line in lines[lines.index("  Examples:") + 1:]]


def test_the_commands_are_listed():
    assert COMMANDS == ["conns", "ping", "capture", "backlog", "reuseaddr-demo", "lab", "exporter", "schema"]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_has_no_stray_backslash(command: str):
    text = help_of(*filter(None, [command]))
    assert "\\" not in text, [line for line in text.splitlines() if "\\" in line]


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_ends_with_examples(command: str):
    lines = examples(help_of(*filter(None, [command])))
    assert 2 <= len(lines) <= 4, lines
    prefix = f"netlab {command}".strip()
    assert sum(line.startswith(prefix + " ") or line == prefix or line.startswith(prefix + "  #")
               for line in lines) >= 2, lines
    # click keeps the block as written: the comments line up, and it fits 80 columns
    assert len({line.index("  #") for line in lines}) == 1, lines
    assert all(len(line) + 4 <= 80 for line in lines), lines


def test_ping_usage_says_it_takes_several_hosts():
    usage = help_of("ping").splitlines()[0]
    assert usage == "Usage: netlab ping [OPTIONS] HOST...", usage
