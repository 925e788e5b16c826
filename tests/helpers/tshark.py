"""Wireshark's tshark (Debian's, 4.0), the reference for capture's statistics: run it, read its fields.

require_tool makes a missing tshark a skip here and a failure in CI.
"""

from __future__ import annotations

import os
import subprocess

from tests.helpers.env import require_tool


def run(*args: str) -> str:
    """tshark's stdout; its complaints (it warns about running as root) stay on stderr."""
    require_tool("tshark")
    proc = subprocess.run(["tshark", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, TZ="GMT0", LC_ALL="C"))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def fields(pcap, *names: str, display_filter: str | None = None) -> list[list[str]]:
    """One row per frame: the first occurrence of each field ('' where the frame has none)."""
    args = ["-r", str(pcap), "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    if display_filter:
        args += ["-Y", display_filter]
    for name in names:
        args += ["-e", name]
    return [line.split("\t") for line in run(*args).splitlines()]
