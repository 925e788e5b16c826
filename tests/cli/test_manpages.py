"""Every man page renders with `man -l` and groff has nothing to warn about."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import listed_commands, run_netlab

from tests.helpers.env import require_tool, ROOT

PAGES = sorted((ROOT / "man").glob("*.1"))
COMMANDS = listed_commands(run_netlab("--help").stdout)


def render(page: Path) -> subprocess.CompletedProcess:
    require_tool("man")
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    # man-db keeps the bold/underline overstrikes for ANY non-empty value, "0" included.
    env.pop("MAN_KEEP_FORMATTING", None)
    return subprocess.run(["man", "--warnings=all", "-l", str(page)], capture_output=True, text=True, env=env, timeout=60)


def test_every_command_has_a_page():
    assert COMMANDS, "netlab --help lists no command"
    names = {page.name for page in PAGES}
    assert "netlab.1" in names
    assert {f"netlab-{command}.1" for command in COMMANDS} <= names


@pytest.mark.parametrize("command", COMMANDS)
def test_page_documents_every_option(command: str):
    """Each option of `netlab COMMAND --help` (its short or its long spelling) is in the page."""
    text = re.sub(".\x08", "", render(ROOT / "man" / f"netlab-{command}.1").stdout)
    helped = run_netlab(command, "--help").stdout
    missing = []
    for line in helped.splitlines():
        spellings = re.findall(r"(?<![\w-])(-[\w?]|--[\w-]+)", line.split("  ", 2)[1] if line.startswith("  -") else "")
        if spellings and "--help" not in spellings and not any(s in text for s in spellings):
            missing.append("/".join(spellings))
    assert not missing, f"netlab-{command}.1 does not mention {missing}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_man_page_renders_without_warnings(page: Path):
    proc = render(page)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr
    text = re.sub(".\x08", "", proc.stdout)  # undo bold/underline overstrikes
    name = page.stem.upper()
    assert name in text  # the page's title line names the command
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "SEE ALSO"):
        assert f"\n{section}\n" in text, section
