"""After `bash scripts/install.sh` (as root): netlab is where users look.

These check the machine, not the working tree: they run only once the install
has run (the /usr/local/bin/netlab symlink resolves), and skip otherwise; in CI,
which runs the install first, a missing install fails instead.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers.env import IN_CI, ROOT, require_tool

LINK = Path("/usr/local/bin/netlab")
BASH_COMPLETION = Path("/usr/share/bash-completion/completions/netlab")
ZSH_COMPLETION = Path("/usr/local/share/zsh/site-functions/_netlab")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture(autouse=True)
def installed() -> None:
    if not LINK.exists():  # also a symlink left to a removed clone
        why = f"{LINK} is missing: scripts/install.sh has not run as root"
        if IN_CI:
            pytest.fail(f"CI: {why}")
        pytest.skip(why)


def run(argv: list[str], **env: str) -> subprocess.CompletedProcess:
    # A user's shell: the system PATH, no PYTHONPATH pointing at a working tree.
    full_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NETLAB_DEBUG")}
    full_env.update(PATH=SYSTEM_PATH, **env)
    return subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=60)


def test_netlab_is_on_path():
    found = run(["sh", "-c", "command -v netlab"])
    assert found.stdout.strip() == str(LINK)
    version = run(["netlab", "--version"])
    assert version.returncode == 0 and version.stdout.startswith("netlab "), version


@pytest.mark.parametrize("page", sorted(path.stem for path in (ROOT / "man").glob("*.1")))  # every page shipped
def test_man_finds_the_page(page: str):
    require_tool("man")
    where = run(["man", "-w", page])
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).name.startswith(f"{page}.1")


def complete_in_bash(*words: str) -> list[str]:
    """What TAB offers after `words` (the last one being completed) in bash, with the installed script."""
    script = (f"source {BASH_COMPLETION}; COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}; "
              "_netlab_completion netlab; printf '%s\\n' \"${COMPREPLY[@]}\"")
    proc = run(["bash", "-c", script])
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_bash_completes_a_command():
    assert complete_in_bash("netlab", "co") == ["conns"]


def test_bash_completes_an_option():
    assert "--watch" in complete_in_bash("netlab", "conns", "--wa")


def test_bash_completes_a_schema_name():
    assert complete_in_bash("netlab", "schema", "re") == ["reuseaddr-demo"]


def test_the_installed_package_ships_the_schemas():
    """The schemas are package data: the installed copy (not the working tree) prints them."""
    proc = run(["netlab", "schema", "ping"])
    assert proc.returncode == 0, proc.stderr
    assert '"$schema": "https://json-schema.org/draft/2020-12/schema"' in proc.stdout


def test_zsh_completion_is_installed():
    text = ZSH_COMPLETION.read_text()
    assert text.startswith("#compdef netlab")
    assert "_NETLAB_COMPLETE=complete_zsh" in text
