"""Reading a Linux cooked v2 file, tcpdump warns on a second stderr line that the interface
names are this machine's; netlab's stderr is tcpdump's, line for line."""

from __future__ import annotations

import struct
import subprocess

from tests.helpers.cli import run_netlab
from tests.helpers.env import require_tool
from tests.helpers.frames import MAC, icmp, ip4
from tests.helpers.tcpdump import write_pcap

LINKTYPE_LINUX_SLL2 = 276


def _sll2(payload: bytes, ifindex=1) -> bytes:
    return struct.pack("!HHIHBB8s", 0x0800, 0, ifindex, 1, 0, 6, MAC[6:] + b"\0\0") + payload


def test_cooked_v2_file_warns_about_interface_names(tmp_path):
    require_tool("tcpdump")
    path = tmp_path / "sll2.pcap"
    frame = _sll2(ip4(1, icmp(8, 0, b"\x00\x01\x00\x01"))[14:])
    write_pcap(path, LINKTYPE_LINUX_SLL2, [(1700000000, 0, len(frame), len(frame), frame)])
    theirs = subprocess.run(["tcpdump", "-n", "-r", str(path)], capture_output=True, text=True, timeout=60)
    mine = run_netlab("capture", "-n", "-r", str(path))
    assert mine.returncode == theirs.returncode == 0
    assert mine.stderr.splitlines()[1] == "Warning: interface names might be incorrect"
    assert mine.stderr == theirs.stderr
    assert mine.stdout == theirs.stdout


def test_other_files_have_one_banner_line(tmp_path):
    require_tool("tcpdump")
    path = tmp_path / "ether.pcap"
    frame = ip4(1, icmp(8, 0, b"\x00\x01\x00\x01"))
    write_pcap(path, 1, [(1700000000, 0, len(frame), len(frame), frame)])
    mine = run_netlab("capture", "-n", "-r", str(path))
    assert mine.returncode == 0
    assert mine.stderr.splitlines() == [f"reading from file {path}, link-type EN10MB (Ethernet), snapshot length 262144"]
