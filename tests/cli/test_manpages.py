"""Every man page renders with `man -l` and groff has nothing to warn about, and agrees
with its command's --help both ways: every option documented, none documented that
does not exist (or that takes a value the command does not, or the other way round)."""

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


OPTION = re.compile(r"(?<![\w-])(-[\w#?]+|--[\w-]+)")


def helped_options(command: str) -> dict[str, bool]:
    """Each spelling in the Options section of `netlab COMMAND --help`: does it take a value?"""
    options = {}
    for line in run_netlab(*filter(None, [command]), "--help").stdout.splitlines():
        if line.startswith("  -"):
            left = line.split("  ", 2)[1]
            spellings = OPTION.findall(left)
            takes_value = bool(OPTION.sub("", left).replace(",", "").strip())
            options.update(dict.fromkeys(spellings, takes_value))
    return options


def documented_options(page: Path) -> list[tuple[list[str], bool]]:
    """The option tags of the page's .TP paragraphs: their spellings, and whether a value follows.

    A tag such as `.BR \\-s ", " \\-\\-size " \\fIN\\fR"` reads "-s, --size N" once its
    macro, quotes and font escapes are gone.
    """
    tags = []
    lines = page.read_text().splitlines()
    for line, tag in zip(lines, lines[1:]):
        if line.startswith(".TP"):
            tag = re.sub(r"\\f[BIRP]", "", tag).replace("\\-", "-")
            tag = re.sub(r"^\.\w+\s*", "", tag).replace('"', " ").strip()
            if tag.startswith("-"):
                spellings = OPTION.findall(tag)
                rest = OPTION.sub("", tag).replace(",", "").strip()
                tags.append((spellings, bool(rest)))
    return tags


def known(spelling: str, options: dict[str, bool]) -> bool:
    # tcpdump's repeated flags (-xx, -XX, -tt) are the short option given twice
    repeated = len(spelling) > 2 and not spelling.startswith("--") and len(set(spelling[1:])) == 1
    return spelling in options or (repeated and spelling[:2] in options)


PAGE_COMMANDS = ["", *COMMANDS]  # "": netlab.1 and `netlab --help`


def page_of(command: str) -> Path:
    return ROOT / "man" / (f"netlab-{command}.1" if command else "netlab.1")


@pytest.mark.parametrize("command", PAGE_COMMANDS, ids=[c or "netlab" for c in PAGE_COMMANDS])
def test_every_documented_option_exists(command: str):
    """Each option a page's paragraphs document is in the command's --help, taking a value as it does.

    netlab.1's COMMON OPTIONS may also document an option every command that prints
    records has (--format; `netlab schema` prints a schema, not records; `netlab exporter` serves HTTP).
    """
    options = helped_options(command)
    printing = [c for c in COMMANDS if c not in ("schema", "exporter")]  # exporter serves HTTP
    common = set.intersection(*(set(helped_options(c)) for c in printing)) if not command else set()
    wrong = []
    for spellings, takes_value in documented_options(page_of(command)):
        for spelling in spellings:
            if not known(spelling, options) and spelling not in common:
                wrong.append(f"{spelling} (no such option)")
        # "-s, --size N": one option in two spellings, with or without its value
        if len(spellings) <= 2 and all(s in options for s in spellings):
            if any(options[s] != takes_value for s in spellings):
                wrong.append(f"{', '.join(spellings)} ({'takes no' if takes_value else 'needs a'} value in --help)")
    assert not wrong, f"{page_of(command).name} documents {wrong}"


def test_the_top_page_documents_every_option():
    text = page_of("").read_text().replace("\\-", "-")
    missing = [s for s in helped_options("") if s not in text]
    assert not missing, f"netlab.1 does not mention {missing}"


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
