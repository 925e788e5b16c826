"""The commonest command lines start without the modules that made start-up slow.

Start-up is most of a short run (tcpdump counts a small file in 3 ms; Python alone
starts in 8). These modules each cost milliseconds to import: click and typer (the
fast lane parses without them), dataclasses (it imports inspect, ast, dis and
tokenize), typing, json, signal (its enums: netlab.core.signals has the same calls
without them), and the heavy libraries. A ping to addresses also does without
ipaddress and re (inet_pton reads the addresses; a name or an IPv6 %zone needs them). A change that brings one back on
these paths fails here, with the module that came back and who imported it; timing
is bench/'s business, this is the cause.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers.env import ROOT
from tests.helpers.frames import write_frames

SLOW = {"click", "typer", "dataclasses", "inspect", "typing", "json", "scapy", "psutil", "tabulate",
        "ctypes", "threading", "asyncio", "signal"}
PING_SLOW = SLOW | {"ipaddress", "re"}  # ~1 ms each: a short ping's start-up is most of its run
# Reading a file is start-up and C walks and printers: not even enum, functools and collections
# (3.7 ms together; netlab.errors.ExitStatus was an IntEnum), socket (selectors and enums: 3 ms),
# re (1.6 ms) or math (a shared library to load). The Python printers import what they need
# when a packet needs it.
READ_SLOW = SLOW | {"enum", "functools", "collections", "socket", "selectors", "re", "math"}

ETHER_UDP = bytes.fromhex(
    "ffffffffffff020000000001080045000021000040004011f9c90a4d00010a4d0002"
    "9c4000350000000074657374")  # 10.77.0.1:40000 -> 10.77.0.2:53, a truncated query: any bytes will do


def slow_modules(args: list[str], tmp_path, slow_set: set = SLOW) -> list[str]:
    """The slow modules (of slow_set) `netlab ARGS` imports, each with the module that imported it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NETLAB_FASTLANE", None)
    # The launcher users run (scripts/install.sh installs it as netlab), not `-m netlab`: runpy
    # brings modules of its own (contextlib, functools, collections).
    launcher = str(ROOT / "scripts" / "launcher.py")
    proc = subprocess.run([sys.executable, "-X", "importtime", launcher, *args], capture_output=True,
                          text=True, timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = []  # (depth, module), in the order importtime prints them: a module after what it imported
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            name = line.rsplit("|", 1)[1]
            rows.append(((len(name) - len(name.lstrip(" "))) // 2, name.strip()))
    slow = []
    for i, (depth, name) in enumerate(rows):
        if name.split(".")[0] in slow_set:
            importer = next((n for d, n in rows[i + 1:] if d < depth), "the command")
            slow.append(f"{name} (imported by {importer})")
    return sorted(slow)


@pytest.fixture
def pcap(tmp_path):
    path = tmp_path / "one.pcap"
    write_frames(path, [ETHER_UDP] * 3)
    return str(path)


@pytest.mark.parametrize("args", [
    ["conns", "-tanp"],
    ["conns", "-tan", "-4", "-H"],
    ["conns", "-tan", "state", "established", "( sport = :1 or dport = :1 )"],
    ["conns", "-tanp", "--", "sport", ">=", ":1024", "and", "not", "dst", "127.0.0.1"],
], ids=lambda args: " ".join(args))
def test_the_commonest_conns_lines_start_without_the_slow_modules(args, tmp_path):
    assert slow_modules(args, tmp_path) == []


@pytest.mark.parametrize("args", [
    ["ping", "-c1", "-q", "127.0.0.1"],
    ["ping", "-c", "2", "-i", "0.01", "-W", "1", "127.0.0.1"],
    ["ping", "-c", "2", "-i", "0.01", "-w", "2", "-q", "127.0.0.1", "127.0.0.2", "127.0.0.3"],
    ["ping", "-c", "1", "-q", "127.0.0.1", "::1"],
], ids=lambda args: " ".join(args))
def test_a_ping_to_addresses_starts_without_the_slow_modules(args, tmp_path):
    assert slow_modules(args, tmp_path, PING_SLOW) == []


@pytest.mark.parametrize("args", [
    ["capture", "--count", "-r", "{pcap}"],
    ["capture", "--count", "-r", "{pcap}", "udp"],
    ["capture", "-n", "-r", "{pcap}"],
    ["capture", "-nv", "-r", "{pcap}", "udp port 53"],
    ["capture", "-r", "{pcap}", "-w", "copy.pcap"],
], ids=lambda args: " ".join(args))
def test_reading_a_file_starts_without_enum_socket_re_or_collections(args, pcap, tmp_path):
    argv = [pcap if word == "{pcap}" else word for word in args]
    assert slow_modules(argv, tmp_path, READ_SLOW) == []
