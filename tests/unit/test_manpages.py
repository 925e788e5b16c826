"""Every man page renders with `man -l` and groff has nothing to warn about."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_tool

PAGES = sorted((ROOT / "man").glob("*.1"))


def test_there_are_pages():
    assert (ROOT / "man" / "netlab.1") in PAGES


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_man_page_renders_without_warnings(page: Path):
    require_tool("man")
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    # man-db keeps the bold/underline overstrikes for ANY non-empty value, "0" included.
    env.pop("MAN_KEEP_FORMATTING", None)
    proc = subprocess.run(["man", "--warnings=all", "-l", str(page)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr
    text = re.sub(".\x08", "", proc.stdout)  # undo bold/underline overstrikes
    name = page.stem.upper()
    assert name in text  # the page's title line names the command
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "SEE ALSO"):
        assert f"\n{section}\n" in text, section
