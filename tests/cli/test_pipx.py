"""`pipx install .` gives a working netlab too: its own venv, the C module built, the schemas shipped.

About 20 s: pipx builds netlab and installs its dependencies into a fresh venv
(from the package index). The venv and the script go to a temporary PIPX_HOME,
never to the user's.
"""

from __future__ import annotations

import json
import os
import subprocess

from tests.helpers.env import ROOT, require_tool


def test_pipx_install_gives_a_working_netlab(tmp_path):
    pipx = require_tool("pipx")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NETLAB_DEBUG")}
    env.update(PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"))
    proc = subprocess.run([pipx, "install", str(ROOT)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    netlab = tmp_path / "bin" / "netlab"

    def run(*args: str) -> str:
        done = subprocess.run([str(netlab), *args], capture_output=True, text=True, env=env, timeout=60,
                              cwd=tmp_path)  # not the clone: the pipx copy alone
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("--version").startswith("netlab ")
    assert json.loads(run("schema", "conns"))["title"] == "netlab conns"
    assert isinstance(json.loads(run("conns", "-t", "--format", "json")), list)
    python = tmp_path / "pipx" / "venvs" / "netlab" / "bin" / "python"
    speedups = subprocess.run([str(python), "-c", "import netlab._speedups, netlab.capture._cprint"], capture_output=True, text=True,
                              env=env, cwd=tmp_path)
    assert speedups.returncode == 0, speedups.stderr  # compiled, not the pure-Python fallback
