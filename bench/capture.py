"""Benchmark `netlab capture` beside tcpdump (and scapy), in one run, on the same input.

    python3 bench/capture.py [--packets 1000000] [--rounds 3] [--no-live]

Offline: a generated mixed pcap (bench/pcapgen.py) read with `-n -r` to
/dev/null, with a filter, and in --count mode; scapy's rdpcap + summary() on
100k packets against netlab on the same file. Live: UDP at a fixed offered
rate over a veth pair between two private namespaces (10.77.0.1 -> 10.77.0.2),
captured and printed (to /dev/null) by each tool in turn; what the kernel
dropped is what each tool could not keep up with. Median of the rounds;
ratios are netlab's speed over the peer's (above 1: netlab is faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pcapgen import write_mixed_pcap  # noqa: E402
from netlab.testing import parse_end_counts  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=str(ROOT))
NETLAB = [sys.executable, "-m", "netlab", "capture"]
FILTER = "tcp and port 443"
SCAPY_SUMMARY = "import sys\nfrom scapy.all import rdpcap\nfor p in rdpcap(sys.argv[1]): p.summary()\n"


def timed(argv: list[str], rounds: int) -> float:
    """Median wall time of running argv with stdout to /dev/null."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def offline_rows(big: str, small: str, packets: int, small_packets: int, rounds: int) -> list[tuple]:
    rows = []
    cases = [
        ("-n -r (print every packet)", ["-n", "-r", big], ["tcpdump", "-n", "-r", big]),
        (f"-n -r '{FILTER}'", ["-n", "-r", big, FILTER], ["tcpdump", "-n", "-r", big, FILTER]),
        ("--count -r", ["--count", "-r", big], ["tcpdump", "--count", "-r", big]),
        (f"--count -r '{FILTER}'", ["--count", "-r", big, FILTER], ["tcpdump", "--count", "-r", big, FILTER]),
    ]
    for name, mine, theirs in cases:
        t_mine = timed(NETLAB + mine, rounds)
        t_theirs = timed(theirs, rounds)
        rows.append((name, packets / t_mine, "tcpdump", packets / t_theirs, t_theirs / t_mine))
    t_mine = timed(NETLAB + ["-n", "-r", small], rounds)
    t_scapy = timed([sys.executable, "-c", SCAPY_SUMMARY, small], 1)  # scapy is slow: one round
    rows.append((f"-n -r, {small_packets // 1000}k packets", small_packets / t_mine, "scapy rdpcap+summary",
                 small_packets / t_scapy, t_scapy / t_mine))
    return rows


SENDER = r"""
import socket, sys, time
rate, seconds, dst = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"x" * 64
total = int(rate * seconds)
start = time.perf_counter()
sent = 0
while sent < total:
    due = int((time.perf_counter() - start) * rate) + 1
    while sent < min(due, total):
        s.sendto(payload, (dst, 9999))
        sent += 1
    if sent < due:
        continue
    time.sleep(0.0005)
print(sent, time.perf_counter() - start)
"""


def live_rows(rates: list[int], seconds: float) -> list[tuple]:
    from netlab import testing

    rows = []
    with testing.veth_pair() as link:
        for rate in rates:
            result = {}
            for tool, argv in (("netlab", NETLAB + ["-i", "veth0", "-n", "udp port 9999"]),
                               ("tcpdump", ["tcpdump", "-i", "veth0", "-n", "udp port 9999"])):
                proc = link.b.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
                try:
                    _wait_listening(proc)
                    sent, elapsed = _send(link, rate, seconds)
                    time.sleep(0.5)
                    proc.send_signal(signal.SIGINT)
                    _, err = proc.communicate(timeout=30)
                finally:
                    _end(proc)
                result[tool] = (sent / elapsed, parse_end_counts(err.decode()))
            achieved, mine = result["netlab"]
            achieved_t, theirs = result["tcpdump"]
            rows.append((rate, (achieved + achieved_t) / 2, int(rate * seconds), mine, theirs))
    return rows


def _send(link, rate: int, seconds: float) -> tuple[int, float]:
    """Offer ``rate`` packets/s for ``seconds`` from namespace a; one Python sender does about
    180k/s here, so higher rates are split over two senders (one per core)."""
    senders = 1 if rate <= 150_000 else 2
    procs = [link.a.popen([sys.executable, "-c", SENDER, str(rate // senders), str(seconds), link.b4],
                          stdout=subprocess.PIPE, text=True) for _ in range(senders)]
    sent, elapsed = 0, 0.0
    try:
        for proc in procs:
            out, _ = proc.communicate(timeout=seconds * 5 + 30)
            sent += int(out.split()[0])
            elapsed = max(elapsed, float(out.split()[1]))
    finally:
        for proc in procs:
            _end(proc)
    return sent, elapsed


def _end(proc: subprocess.Popen) -> None:
    """Whatever happened (a timeout, Ctrl-C of the bench): the process is killed by its PID and reaped."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _wait_listening(proc: subprocess.Popen, timeout: float = 10) -> None:
    import select

    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline and b"listening on" not in seen:
        if select.select([proc.stderr], [], [], 0.1)[0]:
            seen += os.read(proc.stderr.fileno(), 4096)
    time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--scapy-packets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rates", default="20000,100000,300000", help="offered packets/s for the live test")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--no-live", action="store_true")
    parser.add_argument("--no-offline", action="store_true")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}, "
          f"Python {platform.python_version()}, {_tcpdump_version()}")
    if not args.no_offline:
        offline(args)
    if not args.no_live:
        live(args)


def offline(args) -> None:
    with tempfile.TemporaryDirectory(prefix="netlab-bench-") as tmp:
        big, small = os.path.join(tmp, "mixed.pcap"), os.path.join(tmp, "small.pcap")
        write_mixed_pcap(big, args.packets)
        write_mixed_pcap(small, args.scapy_packets)
        rows = offline_rows(big, small, args.packets, args.scapy_packets, args.rounds)
    print(f"\nOffline, {args.packets:,} mixed packets (Ethernet, IPv4/IPv6, TCP/UDP/ICMP/ARP), "
          f"median of {args.rounds}, output to /dev/null\n")
    print("| case | netlab pkt/s | peer | peer pkt/s | ratio |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, mine, peer, theirs, ratio in rows:
        print(f"| {name} | {mine:,.0f} | {peer} | {theirs:,.0f} | {ratio:.2f}x |")


def live(args) -> None:
    rates = [int(r) for r in args.rates.split(",")]
    live = live_rows(rates, args.seconds)
    print(f"\nLive, UDP over a veth pair for {args.seconds:g} s, printing with -n to /dev/null, one tool at a time\n")
    print("| asked pkt/s | sent pkt/s | sent | netlab captured | netlab dropped by kernel "
          "| tcpdump captured | tcpdump dropped by kernel |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for rate, achieved, sent, mine, theirs in live:
        print(f"| {rate:,} | {achieved:,.0f} | {sent:,} | {mine.get('captured', 0):,} | "
              f"{mine.get('dropped by kernel', 0):,} | {theirs.get('captured', 0):,} | "
              f"{theirs.get('dropped by kernel', 0):,} |")


def _tcpdump_version() -> str:
    out = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "tcpdump ?"


if __name__ == "__main__":
    main()
