"""Live capture on a veth inside private namespaces: stop with SIGINT, nothing lost, counts right.

Traffic goes only between the namespaces' own addresses (10.77.0.1 -> 10.77.0.2).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from netlab.capture.reader import OfflineCapture
from netlab.testing import parse_end_counts
from tests.helpers.cli import NETLAB_ENV, listed_commands, netlab_argv
from tests.helpers.env import require_tool
from tests.helpers.traffic import wait_for_line

pytestmark = pytest.mark.privileged


def send_udp(link, n: int, port: int = 9999, gap: float = 0.001) -> None:
    """n UDP datagrams from a to b at about 1/gap per second."""
    with link.a.inside():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        for i in range(n):
            sock.sendto(i.to_bytes(4, "big") * 8, (link.b4, port))
            time.sleep(gap)


def test_sigint_right_after_traffic_keeps_every_packet(veth, tmp_path, procs):
    """tcpdump 4.99.3 loses the packets still in the ring at Ctrl-C; netlab drains them into the file."""
    require_tool("tcpdump")
    out = tmp_path / "live.pcap"
    proc = procs.netlab(veth.b, "-i", "veth0", "-w", str(out), "udp", "and", "dst", "port", "9999")
    banner = wait_for_line(proc, "listening on")
    assert "listening on veth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes" in banner
    send_udp(veth, 500)
    proc.send_signal(signal.SIGINT)  # at once: the last packets are still in the kernel's ring
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert parse_end_counts(err.decode()) == {"captured": 500, "received by filter": 500, "dropped by kernel": 0}
    theirs = subprocess.run(["tcpdump", "-n", "-r", str(out)], capture_output=True, text=True)
    lines = theirs.stdout.splitlines()
    assert len(lines) == 500 and "truncated" not in theirs.stderr
    assert all("10.77.0.1." in line and "> 10.77.0.2.9999: UDP, length 32" in line for line in lines)
    payloads = [data[-32:-28] for *_, data in OfflineCapture(str(out))]
    assert payloads == [i.to_bytes(4, "big") for i in range(500)]  # every one, in order


def test_ctrl_c_on_a_quiet_interface_stops_at_once(veth, procs):
    proc = procs.netlab(veth.b, "-i", "veth0", "-n", "udp port 9")
    wait_for_line(proc, "listening on")
    time.sleep(0.3)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    took = time.monotonic() - started
    assert proc.returncode == 0
    assert took < 2.0  # not "until the next packet": there is none
    assert parse_end_counts(err.decode()) == {"captured": 0, "received by filter": 0, "dropped by kernel": 0}
    assert out == b""


def test_sigterm_also_ends_with_summary_and_valid_file(veth, tmp_path, procs):
    out = tmp_path / "t.pcap"
    proc = procs.netlab(veth.b, "-i", "veth0", "-w", str(out), "udp port 9999")
    wait_for_line(proc, "listening on")
    send_udp(veth, 50)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert parse_end_counts(err.decode())["captured"] == 50
    assert sum(1 for _ in OfflineCapture(str(out))) == 50


def test_live_lines_and_c_match_tcpdump(veth, procs):
    """Same packets, same lines: netlab and tcpdump side by side on the veth, stopping at -c 4."""
    require_tool("tcpdump")
    mine = procs.netlab(veth.b, "-i", "veth0", "-n", "-t", "-c", "4", "icmp")
    theirs = procs.popen(veth.b, ["tcpdump", "-i", "veth0", "-n", "-t", "-c", "4", "icmp"])
    wait_for_line(mine, "listening on")
    wait_for_line(theirs, "listening on")
    veth.a.exec(["ping", "-c", "2", "-i", "0.05", veth.b4], check=False)
    m_out, m_err = mine.communicate(timeout=10)
    t_out, t_err = theirs.communicate(timeout=10)
    assert mine.returncode == 0
    assert m_out.decode() == t_out.decode()
    assert len(m_out.decode().splitlines()) == 4
    assert parse_end_counts(m_err.decode())["captured"] == 4 == parse_end_counts(t_err.decode())["captured"]


def test_any_device_with_inbound_filter_in_the_kernel(veth, procs):
    """`inbound` needs the kernel's packet direction: only requests arrive at b, replies leave it."""
    require_tool("tcpdump")
    args = ["-i", "any", "-n", "-t", "-c", "2", "inbound and icmp"]
    mine = procs.netlab(veth.b, *args)
    theirs = procs.popen(veth.b, ["tcpdump", *args])
    banner = wait_for_line(mine, "listening on")
    their_banner = wait_for_line(theirs, "listening on")
    # both default to Linux cooked v2 on `any`, and say so as tcpdump does
    assert banner.splitlines() == ["data link type LINUX_SLL2",
                                   "listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes"]
    assert "tcpdump: data link type LINUX_SLL2" in their_banner
    veth.a.exec(["ping", "-c", "2", "-i", "0.05", veth.b4], check=False)
    out, _ = mine.communicate(timeout=10)
    t_out, _ = theirs.communicate(timeout=10)
    lines = out.decode().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("veth0 In  IP 10.77.0.1 > 10.77.0.2: ICMP echo request") for line in lines), lines
    assert out == t_out


def test_jsonl_stream_live(veth, procs):
    import json

    import time

    proc = procs.netlab(veth.b, "-i", "veth0", "-c", "3", "--format", "jsonl", "udp port 9999")
    wait_for_line(proc, "listening on")
    started = time.time()
    send_udp(veth, 3)
    out, _ = proc.communicate(timeout=10)
    records = [json.loads(line) for line in out.decode().splitlines()]
    assert all(started - 1 <= r["time"] <= time.time() for r in records)  # the float epoch of each packet
    assert [(r["src"], r["dst"], r["proto"], r["dport"], r["len"]) for r in records] == [("10.77.0.1", "10.77.0.2", "udp", 9999, 74)] * 3


def test_default_device_is_the_first_up_non_loopback(veth, procs):
    require_tool("tcpdump")
    theirs = procs.popen(veth.b, ["tcpdump", "-c", "1", "-n"])
    mine = procs.netlab(veth.b, "-c", "1", "-n")
    their_banner = wait_for_line(theirs, "listening on")
    my_banner = wait_for_line(mine, "listening on")
    send_udp(veth, 1)
    for proc in (mine, theirs):
        proc.communicate(timeout=10)
    assert "listening on veth0" in my_banner and "listening on veth0" in their_banner


def test_without_the_privilege_exit_3_with_a_hint(ns):
    require_tool("setpriv")
    proc = subprocess.run(["setpriv", "--bounding-set", "-net_raw,-net_admin", "--inh-caps", "-net_raw,-net_admin",
                           *netlab_argv("capture", "-i", "lo", "-c", "1")], capture_output=True, text=True,
                          env=NETLAB_ENV, timeout=30)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netlab: error: cannot capture on lo")
    assert "CAP_NET_RAW" in lines[0] and "root" in lines[0]
    assert "Traceback" not in proc.stderr
    # Safe advice only: no capability on an interpreter (in a venv, a link to the system's python)
    assert "setcap" not in proc.stderr and "python" not in proc.stderr.lower()
    assert "netlab capture -r FILE" in lines[0]


def test_help_lists_capture():
    proc = subprocess.run([sys.executable, "-m", "netlab", "--help"], capture_output=True, text=True, env=NETLAB_ENV,
                          timeout=30)
    assert "capture" in listed_commands(proc.stdout)


def test_live_filter_is_attached_in_the_kernel(veth, procs):
    """The filter runs in the kernel: `ss -0 -b` shows libpcap's program on netlab's packet socket."""
    require_tool("ss")
    from netlab.capture.bpf import compile_filter

    proc = procs.netlab(veth.b, "-i", "veth0", "udp port 9999")
    try:
        wait_for_line(proc, "listening on")
        shown = veth.b.exec(["ss", "-0", "-b", "-p", "-n"]).stdout
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    program = compile_filter("udp port 9999", 1, offline=False).get_bpf()
    expected = ", ".join(f"0x{code:02x} {jt} {jf} {k}" for code, jt, jf, k in program)
    ours = [block for block in shown.split("p_raw") if f"pid={proc.pid}," in block]
    assert len(ours) == 1, shown
    assert f"bpf filter ({len(program)}):  {expected}," in ours[0]


@pytest.mark.parametrize("direction, expected", [("in", "echo request"), ("out", "echo reply")])
def test_direction_option_like_tcpdump_Q(veth, direction, expected, procs):
    require_tool("tcpdump")
    args = ["-i", "veth0", "-n", "-t", "-c", "2", "-Q", direction, "-B", "4096", "icmp"]
    mine = procs.netlab(veth.b, *args)
    theirs = procs.popen(veth.b, ["tcpdump", *args])
    wait_for_line(mine, "listening on")
    wait_for_line(theirs, "listening on")
    veth.a.exec(["ping", "-c", "2", "-i", "0.05", veth.b4], check=False)
    out, _ = mine.communicate(timeout=10)
    t_out, _ = theirs.communicate(timeout=10)
    lines = out.decode().splitlines()
    assert len(lines) == 2 and all(expected in line for line in lines), lines
    assert out == t_out


def test_default_device_with_only_loopback_is_any(ns, procs):
    """With nothing but lo in the namespace, tcpdump (and netlab) listen on `any`."""
    require_tool("tcpdump")
    theirs = procs.popen(ns, ["tcpdump", "-c", "1", "-n"])
    mine = procs.netlab(ns, "-c", "1", "-n")
    their_banner = wait_for_line(theirs, "listening on any")
    my_banner = wait_for_line(mine, "listening on any")
    ns.exec(["ping", "-c", "1", "127.0.0.1"], check=False)
    for proc in (mine, theirs):
        proc.communicate(timeout=10)
    assert "listening on any" in my_banner and "listening on any" in their_banner


def test_bad_live_filter_is_libpcaps_message_and_exit_2(ns):
    proc = subprocess.run(netlab_argv("capture", "-i", "lo", "-c", "1", "hosst", "foo", ns=ns), capture_output=True,
                          text=True, env=NETLAB_ENV, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "netlab: error: can't parse filter expression: syntax error (see pcap-filter(7) for the syntax)"]
