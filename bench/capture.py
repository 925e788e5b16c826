"""Benchmark `netlab capture` beside tcpdump (and scapy), in one run, on the same input.

    .venv/bin/python bench/capture.py [--packets 200000] [--rounds 3] [--no-live] [--mix busy,lan]

Offline, two generated mixes read to /dev/null with every option set that matters
(-n, -v, -vv, -e, -x, -X, -A, -q, -tttt, a filter, --count): "busy"
(bench/busygen.py: thousands of flows, random ports, DNS/NTP/HTTP/RESP payloads,
ICMP errors, IPv6, VLAN, fragments: per-flow caches cannot help) and "lan"
(bench/pcapgen.py: eight hosts, few flows, the first benchmark's mix). Each row
gives packets per second of both tools (median of the rounds, the two run in
turns; a run under 0.2 s, as --count's, gets 15 rounds), the ratio (above
1: netlab is faster), each tool's peak memory, and whether the two printed the
same bytes (a speed beside different output would not be a comparison).
scapy's rdpcap + summary() on 100k packets against netlab on the same file.
Live: UDP at a fixed offered rate over a veth pair between two private
namespaces (10.77.0.1 -> 10.77.0.2), captured and printed (to /dev/null) by each
tool in turn; what the kernel dropped is what each tool could not keep up with.
The sender is bench/udpsend.c (sendmmsg, built with cc at the start) where a
compiler is at hand, else Python; on two cores sender and capture share them, so
the rate really sent is in the table beside the rate asked.
"""

from __future__ import annotations

import argparse
import filecmp
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

from bench.busygen import write_busy_pcap  # noqa: E402
from bench.common import cpu_model, netlab_argv  # noqa: E402
from bench.pcapgen import write_mixed_pcap  # noqa: E402
from netlab.testing import parse_end_counts  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=str(ROOT))
NETLAB = netlab_argv() + ["capture"]
FILTER = "tcp and port 443"
SCAPY_SUMMARY = "import sys\nfrom scapy.all import rdpcap\nfor p in rdpcap(sys.argv[1]): p.summary()\n"


MIXES = {"busy": write_busy_pcap, "lan": write_mixed_pcap}
# (options, filter or None): every option set issue 12's goal names
OPTION_SETS = [(["-n"], None), (["-n", "-v"], None), (["-n", "-vv"], None), (["-n", "-e"], None), (["-n", "-x"], None),
               (["-n", "-X"], None), (["-n", "-A"], None), (["-n", "-q"], None), (["-n", "-tttt"], None),
               (["-n"], FILTER), (["--count"], None), (["--count"], FILTER)]


def run_timed(argv: list[str]) -> float:
    """Wall time (s) of one run of argv, stdout to /dev/null."""
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=True)
    return time.perf_counter() - started


def timed(argv: list[str], rounds: int) -> float:
    """Median wall time over ``rounds`` runs."""
    return statistics.median(run_timed(argv) for _ in range(rounds))


SHORT_RUN = 0.2  # s: a run this short is timed over SHORT_ROUNDS (a few ms of noise is a large share of it)
SHORT_ROUNDS = 15


def timed_pair(mine: list[str], theirs: list[str], rounds: int) -> tuple[float, float]:
    """Median wall times of the two commands, run in turns (a slow phase of the machine hits both)."""
    times: tuple[list[float], list[float]] = ([], [])
    while True:
        for argv, kept in zip((mine, theirs), times):
            kept.append(run_timed(argv))
        wanted = SHORT_ROUNDS if min(times[0][0], times[1][0]) < SHORT_RUN else rounds
        if len(times[0]) >= max(rounds, wanted):
            return statistics.median(times[0]), statistics.median(times[1])


def output_and_peak_memory(argv: list[str], path: str) -> int:
    """Run argv with stdout to ``path``; its peak resident memory in KiB.

    Read from /proc/PID/status's VmHWM while it runs: the kernel's ru_maxrss would
    also count the forked copy of this (bigger) Python process before exec.
    """
    peak = 0
    with open(path, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=ENV)
        while proc.poll() is None:
            try:
                with open(f"/proc/{proc.pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError):
                pass
            time.sleep(0.005)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {proc.returncode}")
    return peak


def offline_rows(pcap: str, packets: int, rounds: int, tmp: str) -> list[tuple]:
    rows = []
    for options, expression in OPTION_SETS:
        args = [*options, "-r", pcap, *([expression] if expression else [])]
        mine, theirs = NETLAB + args, ["tcpdump", *args]
        t_mine, t_theirs = timed_pair(mine, theirs, rounds)
        m_mine = output_and_peak_memory(mine, os.path.join(tmp, "netlab.out"))
        m_theirs = output_and_peak_memory(theirs, os.path.join(tmp, "tcpdump.out"))
        same = filecmp.cmp(os.path.join(tmp, "netlab.out"), os.path.join(tmp, "tcpdump.out"), shallow=False)
        name = " ".join(options) + (f" '{expression}'" if expression else "")
        rows.append((name, packets / t_mine, packets / t_theirs, t_theirs / t_mine, m_mine / 1024, m_theirs / 1024, same))
    return rows


def scapy_row(small: str, small_packets: int, rounds: int) -> tuple:
    t_mine = timed(NETLAB + ["-n", "-r", small], rounds)
    t_scapy = timed([sys.executable, "-c", SCAPY_SUMMARY, small], 1)  # scapy is slow: one round
    return small_packets / t_mine, small_packets / t_scapy, t_scapy / t_mine


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
                counts = parse_end_counts(err.decode())
                counts["sent"] = sent
                result[tool] = (sent / elapsed, counts)
            achieved, mine = result["netlab"]
            achieved_t, theirs = result["tcpdump"]
            rows.append((rate, (achieved + achieved_t) / 2, mine, theirs))
    return rows


def _c_sender() -> str | None:
    """bench/udpsend.c built with cc into a temporary directory (None without a compiler)."""
    import shutil

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    target = os.path.join(tempfile.mkdtemp(prefix="netlab-bench-"), "udpsend")
    done = subprocess.run([compiler, "-O2", "-o", target, str(ROOT / "bench" / "udpsend.c")], capture_output=True)
    return target if done.returncode == 0 else None


_SENDER = []  # the C sender, built once


def _send(link, rate: int, seconds: float) -> tuple[int, float]:
    """Offer ``rate`` packets/s for ``seconds`` from namespace a: bench/udpsend.c where a
    compiler built it (sendmmsg batches), else Python senders, about 180k/s each here,
    so higher rates are split over two (one per core)."""
    if not _SENDER:
        _SENDER.append(_c_sender())
    if _SENDER[0] is not None:
        argvs = [[_SENDER[0], str(rate), str(seconds), link.b4, "9999"]]
    else:
        senders = 1 if rate <= 150_000 else 2
        argvs = [[sys.executable, "-c", SENDER, str(rate // senders), str(seconds), link.b4]] * senders
    procs = [link.a.popen(argv, stdout=subprocess.PIPE, text=True) for argv in argvs]
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
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--mix", default="busy,lan", help="which generated mixes: busy, lan or both")
    parser.add_argument("--scapy-packets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rates", default="20000,100000,300000,600000", help="offered packets/s for the live test")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--no-live", action="store_true")
    parser.add_argument("--no-offline", action="store_true")
    args = parser.parse_args()

    # as an install has them: the modules' bytecode (PYTHONDONTWRITEBYTECODE would leave start-up compiling them)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "netlab")], stdout=subprocess.DEVNULL, check=True)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Linux {platform.release()}, "
          f"Python {platform.python_version()}, {_tcpdump_version()}")
    if not args.no_offline:
        offline(args)
    if not args.no_live:
        live(args)


def offline(args) -> None:
    with tempfile.TemporaryDirectory(prefix="netlab-bench-") as tmp:
        for mix in args.mix.split(","):
            pcap = os.path.join(tmp, f"{mix}.pcap")
            MIXES[mix](pcap, args.packets)
            rows = offline_rows(pcap, args.packets, args.rounds, tmp)
            print(f"\nOffline, {args.packets:,} packets of the {mix} mix, the tools in turns, median of "
                  f"{args.rounds} ({SHORT_ROUNDS} for a run under {SHORT_RUN} s), output to /dev/null\n")
            print("| options | netlab pkt/s | tcpdump pkt/s | ratio | netlab peak MiB | tcpdump peak MiB | same output |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
            for name, mine, theirs, ratio, m_mine, m_theirs, same in rows:
                print(f"| {name} | {mine:,.0f} | {theirs:,.0f} | {ratio:.2f}x | {m_mine:.0f} | {m_theirs:.0f} | "
                      f"{'yes' if same else 'NO'} |")
        small = os.path.join(tmp, "small.pcap")
        write_mixed_pcap(small, args.scapy_packets)
        mine, theirs, ratio = scapy_row(small, args.scapy_packets, args.rounds)
        print(f"\n| -n -r, {args.scapy_packets // 1000}k lan packets | netlab {mine:,.0f} pkt/s "
              f"| scapy rdpcap+summary {theirs:,.0f} pkt/s | {ratio:.2f}x |")
        ten = os.path.join(tmp, "ten.pcap")
        write_mixed_pcap(ten, 10)
        print("\nStart-up: the whole run on a 10-packet file, median of 15, in ms\n")
        print("| command | netlab | tcpdump |")
        print("| --- | ---: | ---: |")
        for options in (["-n"], ["--count"]):
            mine = timed(NETLAB + options + ["-r", ten], 15) * 1000
            theirs = timed(["tcpdump", *options, "-r", ten], 15) * 1000
            print(f"| capture {' '.join(options)} -r ten.pcap | {mine:.0f} | {theirs:.1f} |")


def live(args) -> None:
    rates = [int(r) for r in args.rates.split(",")]
    live = live_rows(rates, args.seconds)
    print(f"\nLive, UDP over a veth pair for {args.seconds:g} s, printing with -n to /dev/null, one tool at a time\n")
    print("| asked pkt/s | sent pkt/s | netlab: sent | captured | dropped by kernel "
          "| tcpdump: sent | captured | dropped by kernel |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for rate, achieved, mine, theirs in live:
        cells = [f"{tool.get(key, 0):,}" for tool in (mine, theirs) for key in ("sent", "captured", "dropped by kernel")]
        print(f"| {rate:,} | {achieved:,.0f} | " + " | ".join(cells) + " |")


def _tcpdump_version() -> str:
    out = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "tcpdump ?"


if __name__ == "__main__":
    main()
