"""`netlab capture` live in private namespaces with tcpdump's file options: -C/-W/-G rotation, -Z,
--print, --time-stamp-precision, -y/-L, -j/-J, --immediate-mode.

Every file written is read back by tcpdump 4.99.3 (the oracle: a valid pcap on its own, and
its packet count), and the numbered datagrams sent are found in the files in order, none
missing at a file boundary or at Ctrl-C.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from netlab.capture.reader import OfflineCapture
from netlab.testing import parse_end_counts
from tests.helpers.cli import NETLAB_ENV, netlab_argv
from tests.helpers.env import require_tool
from tests.helpers.traffic import wait_for_line

pytestmark = pytest.mark.privileged

PORT = 9999
SIZE = 1000  # payload bytes: a record of 1058 bytes on the veth (16 + 14 + 20 + 8 + 1000)
MB = 1_000_000


@pytest.fixture
def nobody_dir():
    """A folder the user nobody can reach and write (pytest's own tmp folders are root's alone)."""
    require_tool("tcpdump")
    entry = pwd.getpwnam("nobody")
    folder = tempfile.mkdtemp(prefix="netlab-capopts-", dir="/tmp")
    try:
        os.chmod(folder, 0o755)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        yield Path(folder), entry
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Sender:
    """Numbered UDP datagrams from a to b: datagram i carries i, SIZE bytes in all."""

    def __init__(self, link):
        self.link = link
        with link.a.inside():
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sent = 0

    def send(self, n: int) -> None:
        for _ in range(n):
            self.sock.sendto(struct.pack("!I", self.sent) * (SIZE // 4), (self.link.b4, PORT))
            self.sent += 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def sender(veth):
    s = Sender(veth)
    try:
        yield s
    finally:
        s.close()


def read_back(path: Path) -> list[int]:
    """tcpdump reads the file whole (exit 0, nothing cut short); the datagram numbers in it, in order."""
    proc = subprocess.run(["tcpdump", "-n", "-r", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{path.name}: {proc.stderr}"
    assert "truncated" not in proc.stderr and "cut short" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert all(f"> 10.77.0.2.{PORT}: UDP, length {SIZE}" in line for line in lines), lines[:3]
    numbers = [struct.unpack("!I", data[-SIZE:][:4])[0] for *_, data in OfflineCapture(str(path))]
    assert len(numbers) == len(lines)  # tcpdump's count, netlab's reader: the same packets
    return numbers


def stop(proc: subprocess.Popen, sig=signal.SIGINT) -> str:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err.decode(errors="replace")
    return err.decode()


def test_size_rotation_names_files_as_tcpdump_and_loses_nothing_at_boundaries_or_ctrl_c(veth, sender, tmp_path, procs):
    require_tool("tcpdump")
    proc = procs.netlab(veth.b, "-i", "veth0", "-B", "32768", "-w", str(tmp_path / "trace"), "-C", "1",
                        "udp", "dst", "port", str(PORT))
    wait_for_line(proc, "listening on")
    sender.send(3500)  # 3.7 MB of records: four files
    err = stop(proc)  # at once: the last packets are still in the kernel's ring
    assert parse_end_counts(err) == {"captured": 3500, "received by filter": 3500, "dropped by kernel": 0}
    names = ["trace", "trace1", "trace2", "trace3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    numbers = []
    for name in names:
        path = tmp_path / name
        numbers += read_back(path)
        if name != names[-1]:  # closed once past 1 MB: past it by one record at most
            assert MB < path.stat().st_size <= MB + 16 + 14 + 20 + 8 + SIZE
    assert numbers == list(range(3500))  # every one, in order, across the boundaries


def test_size_ring_keeps_the_newest_files_whole(veth, sender, tmp_path, procs):
    require_tool("tcpdump")
    proc = procs.netlab(veth.b, "-i", "veth0", "-B", "32768", "-w", str(tmp_path / "ring"), "-C", "1", "-W", "2",
                        "udp", "dst", "port", str(PORT))
    wait_for_line(proc, "listening on")
    sender.send(3500)
    err = stop(proc)
    assert parse_end_counts(err)["captured"] == 3500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ring0", "ring1"]  # -W 2: one digit, from 0
    parts = sorted((read_back(tmp_path / name) for name in ("ring0", "ring1")), key=lambda n: n[0])
    numbers = parts[0] + parts[1]
    # the two newest files: the tail of what was sent, with no gap between them
    assert numbers == list(range(numbers[0], 3500))
    assert 1500 < len(numbers) < 3500


def test_time_rotation_names_by_strftime_and_loses_nothing(veth, sender, tmp_path, procs):
    require_tool("tcpdump")
    proc = procs.netlab(veth.b, "-i", "veth0", "-w", str(tmp_path / "t-%s.pcap"), "-G", "1",
                        "udp", "dst", "port", str(PORT))
    wait_for_line(proc, "listening on")
    started = int(time.time())
    for _ in range(14):  # 3.5 s: three or four files of one second
        sender.send(20)
        time.sleep(0.25)
    err = stop(proc)
    assert parse_end_counts(err)["captured"] == sender.sent == 280
    stamps = sorted(int(p.name[2:-5]) for p in tmp_path.iterdir())  # %s: the second each file began
    assert len(stamps) >= 3 and started - 1 <= stamps[0] and stamps[-1] <= time.time()
    assert all(b - a >= 1 for a, b in zip(stamps, stamps[1:]))
    numbers = []
    for stamp in stamps:
        numbers += read_back(tmp_path / f"t-{stamp}.pcap")
    assert numbers == list(range(280))


def test_time_rotation_with_W_stops_after_that_many_files_as_tcpdump(veth, sender, tmp_path, procs):
    require_tool("tcpdump")
    mine, theirs = tmp_path / "netlab", tmp_path / "tcpdump"
    mine.mkdir()
    theirs.mkdir()
    filt = ["udp", "dst", "port", str(PORT)]
    netlab = procs.netlab(veth.b, "-i", "veth0", "-w", str(mine / "g-%s"), "-G", "1", "-W", "2", *filt)
    tcpdump = procs.popen(veth.b, ["tcpdump", "-Z", "root", "-i", "veth0", "-w", str(theirs / "g-%s"), "-G", "1",
                                   "-W", "2", *filt])
    wait_for_line(netlab, "listening on")
    wait_for_line(tcpdump, "listening on")
    deadline = time.monotonic() + 8
    while (netlab.poll() is None or tcpdump.poll() is None) and time.monotonic() < deadline:
        sender.send(5)
        time.sleep(0.05)
    _, err = netlab.communicate(timeout=10)
    _, their_err = tcpdump.communicate(timeout=10)
    assert netlab.returncode == 0 == tcpdump.returncode, err
    assert "Maximum file limit reached: 2" in err.decode() and "Maximum file limit reached: 2" in their_err.decode()
    assert len(list(mine.iterdir())) == 2 == len(list(theirs.iterdir()))
    numbers = []
    for path in sorted(mine.iterdir(), key=lambda p: int(p.name[2:])):
        numbers += read_back(path)
    assert numbers == list(range(len(numbers))) and numbers  # from the first, no gap
    assert parse_end_counts(err.decode())["captured"] == len(numbers)  # what netlab wrote


def test_Z_drops_to_the_user_who_then_owns_every_file(veth, sender, nobody_dir, procs):
    folder, nobody = nobody_dir
    proc = procs.netlab(veth.b, "-i", "veth0", "-B", "32768", "-Z", "nobody", "-w", str(folder / "z"), "-C", "1",
                        "udp", "dst", "port", str(PORT))
    wait_for_line(proc, "listening on")
    with open(f"/proc/{proc.pid}/status") as status:  # `ip netns exec` execs netlab: the same PID
        ids = {line.split(":")[0]: line.split()[1:] for line in status if line.startswith(("Uid:", "Gid:"))}
    assert ids["Uid"] == [str(nobody.pw_uid)] * 4 and ids["Gid"] == [str(nobody.pw_gid)] * 4
    sender.send(1500)
    err = stop(proc)
    assert parse_end_counts(err)["captured"] == 1500
    files = sorted(folder.iterdir())
    assert [p.name for p in files] == ["z", "z1"]
    assert all((p.stat().st_uid, p.stat().st_gid) == (nobody.pw_uid, nobody.pw_gid) for p in files)
    assert read_back(folder / "z") + read_back(folder / "z1") == list(range(1500))


def test_Z_where_the_user_cannot_write_is_one_error_line(veth, procs, tmp_path):
    proc = procs.netlab(veth.b, "-i", "veth0", "-Z", "nobody", "-w", str(tmp_path / "no.pcap"), "udp")
    _, err = proc.communicate(timeout=20)
    said = [line for line in err.decode().splitlines() if not line.startswith("listening on")]
    assert proc.returncode == 2 and len(said) == 1, err
    assert said[0].startswith(f"netlab: error: cannot write {tmp_path / 'no.pcap'}: Permission denied")
    assert not (tmp_path / "no.pcap").exists()


def test_print_writes_and_prints_the_same_packets(veth, tmp_path, procs):
    require_tool("tcpdump")
    out = tmp_path / "p.pcap"
    proc = procs.netlab(veth.b, "-i", "veth0", "-n", "-t", "-w", str(out), "--print", "-c", "6", "icmp")
    wait_for_line(proc, "listening on")
    veth.a.exec(["ping", "-c", "3", "-i", "0.05", veth.b4], check=False)
    printed, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    theirs = subprocess.run(["tcpdump", "-n", "-t", "-r", str(out)], capture_output=True, text=True, timeout=60)
    assert printed.decode() == theirs.stdout
    assert len(theirs.stdout.splitlines()) == 6 == parse_end_counts(err.decode())["captured"]
    assert "ICMP echo request" in theirs.stdout and "ICMP echo reply" in theirs.stdout


def test_nanosecond_precision_live(veth, sender, tmp_path, procs):
    require_tool("tcpdump")
    out = tmp_path / "nano.pcap"
    proc = procs.netlab(veth.b, "-i", "veth0", "--time-stamp-precision=nano", "-w", str(out), "-c", "20",
                        "udp", "dst", "port", str(PORT))
    wait_for_line(proc, "listening on")
    sender.send(20)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.read_bytes()[:4] == struct.pack("=I", 0xA1B23C4D)  # a nanosecond pcap
    theirs = subprocess.run(["tcpdump", "-n", "--nano", "-tt", "-r", str(out)], capture_output=True, text=True,
                            timeout=60)
    fractions = [int(line.split()[0].split(".")[1]) for line in theirs.stdout.splitlines()]
    assert len(fractions) == 20 and all(len(line.split()[0].split(".")[1]) == 9 for line in theirs.stdout.splitlines())
    # the kernel's own nanoseconds, not microseconds times 1000
    assert any(f % 1000 for f in fractions)


@pytest.mark.parametrize("device", ["veth0", "lo", "any"])
def test_L_and_J_list_as_tcpdump(veth, device):
    require_tool("tcpdump")
    for option in ("-L", "-J"):
        mine = subprocess.run(netlab_argv("capture", option, "-i", device, ns=veth.b), capture_output=True,
                              text=True, env=NETLAB_ENV, timeout=60)
        theirs = veth.b.exec(["tcpdump", option, "-i", device], check=False)
        assert mine.returncode == 0 == theirs.returncode, mine.stderr
        assert mine.stdout == ""
        assert mine.stderr == theirs.stderr
        assert len(mine.stderr.splitlines()) >= 2


def test_y_captures_with_the_chosen_link_type_and_refuses_one_not_offered(veth, procs):
    require_tool("tcpdump")
    proc = procs.netlab(veth.b, "-i", "any", "-y", "linux_sll", "-n", "-c", "2", "icmp")
    banner = wait_for_line(proc, "listening on")
    veth.a.exec(["ping", "-c", "1", veth.b4], check=False)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert banner.splitlines()[:2] == [
        "data link type LINUX_SLL",
        "listening on any, link-type LINUX_SLL (Linux cooked v1), snapshot length 262144 bytes"]
    assert len(out.decode().splitlines()) == 2
    mine = subprocess.run(netlab_argv("capture", "-i", "lo", "-y", "DOCSIS", "-c", "1", ns=veth.b),
                          capture_output=True, text=True, env=NETLAB_ENV, timeout=60)
    theirs = veth.b.exec(["tcpdump", "-i", "lo", "-y", "DOCSIS", "-c", "1"], check=False)
    assert mine.returncode == 2 and theirs.returncode == 1
    assert mine.stderr.splitlines() == [
        "netlab: error: DOCSIS is not one of the DLTs supported by this device (see 'netlab capture -L -i lo')"]
    assert theirs.stderr.strip() == "tcpdump: DOCSIS is not one of the DLTs supported by this device"


def test_j_type_not_offered_warns_as_tcpdump_and_goes_on_and_immediate_mode(veth, procs):
    require_tool("tcpdump")
    proc = procs.netlab(veth.b, "-i", "veth0", "-j", "adapter_unsynced", "--immediate-mode", "-n", "-c", "2", "icmp")
    theirs = procs.popen(veth.b, ["tcpdump", "-i", "veth0", "-j", "adapter_unsynced", "--immediate-mode", "-n",
                                  "-c", "2", "icmp"])
    said = wait_for_line(proc, "listening on")
    their_said = wait_for_line(theirs, "listening on")
    veth.a.exec(["ping", "-c", "1", veth.b4], check=False)
    out, err = proc.communicate(timeout=20)
    t_out, t_err = theirs.communicate(timeout=20)
    assert proc.returncode == 0 == theirs.returncode, err
    warning = [line for line in their_said.splitlines() if "When trying to set timestamp type" in line]
    assert warning and warning[0].startswith("tcpdump: WARNING: ")
    assert f"netlab: note: {warning[0][len('tcpdump: WARNING: '):]}" in said.splitlines()
    assert len(out.decode().splitlines()) == 2 == len(t_out.decode().splitlines())
