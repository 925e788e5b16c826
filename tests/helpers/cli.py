"""Run netlab as a user does: a new process, optionally inside a namespace."""

from __future__ import annotations

import os
import subprocess
import sys

from netlab.core import netns
from tests.helpers.env import ROOT

# the environment of a netlab started by hand (Popen): this checkout's netlab
NETLAB_ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def listed_commands(help_text: str) -> list[str]:
    """The command names in the "Commands:" section of `netlab --help`, in order."""
    lines = help_text.splitlines()
    if "Commands:" not in lines:
        return []
    names = []
    for line in lines[lines.index("Commands:") + 1:]:
        if not line.startswith("  "):
            break
        names.append(line.split()[0])
    return names


def netlab_argv(*args: str, ns: netns.Namespace | None = None) -> list[str]:
    argv = [sys.executable, "-m", "netlab", *args]
    if ns is not None:
        argv = ["ip", "netns", "exec", ns.name, *argv]
    return argv


def run_netlab(*args: str, ns: netns.Namespace | None = None, timeout: float = 60, env: dict | None = None,
               input: str | None = None) -> subprocess.CompletedProcess:
    """Run the netlab CLI as a user would (a new process), optionally inside a namespace."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.pop("NETLAB_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run(netlab_argv(*args, ns=ns), capture_output=True, text=True, timeout=timeout,
                          env=full_env, input=input)
