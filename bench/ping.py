#!/usr/bin/env python3
"""Benchmark `netlab ping` beside iputils ping and fping on a veth pair in private namespaces.

Three measurements, all in one run, several rounds each, medians reported:
  flood      `-f -q -c N`: packets per second, from each tool's own "time" figure
             (first to last probe) and from the wall clock (process start to exit)
  rtt        `-c 200 -i 0.002`: the median of the per-reply times each tool prints,
             free to run on any CPU, then both pinned to CPU 0 (taskset)
  fan-out    50 targets x 5 probes: `netlab ping -c 5 -i 0.02 -q` against the issue's
             peer `fping -c 5 -p 20 -i 1 -q` and against `fping -c 5 -p 20 -i 0 -q`
             (wall clock, process start to exit). -i 0 is the same pacing as
             netlab's: a round to every target each 20 ms, no spacing between the
             probes of a round; -i 1 spaces any two packets by 1 ms, so fping alone
             waits 0.25 s for 250 probes; and netlab's engine alone (netlab.ping.run
             in a process that has already imported netlab: the run without start-up)

Run as root:  .venv/bin/python bench/ping.py [--rounds 5] [--flood-count 20000] [--only flood,rtt,fanout]
Traffic stays on the veth pair (10.77.0.0/24) between two namespaces made here.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_model, netlab_argv  # noqa: E402
from netlab import testing  # noqa: E402

NETLAB = netlab_argv() + ["ping"]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
TIME = re.compile(r"time (\d+)ms")
COUNTS = re.compile(r"(\d+) packets transmitted, (\d+) received")
RTT = re.compile(r"time=([\d.]+) ms")


def run(ns, argv, timeout=120):
    t0 = time.perf_counter()
    proc = subprocess.run(["ip", "netns", "exec", ns.name, *argv], capture_output=True, text=True, env=ENV,
                          timeout=timeout)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}... failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout[-300:]}")
    return proc, wall


def flood(ns, tool, count):
    proc, wall = run(ns, [*tool, "-f", "-q", "-c", str(count), "10.77.0.2"])
    sent, got = map(int, COUNTS.search(proc.stdout).groups())
    own_ms = int(TIME.search(proc.stdout).group(1))
    return sent / (own_ms / 1000), sent / wall, got


def median_rtt_us(ns, tool, count=200, pin=False):
    # Pinned: both tools on CPU 0, so neither pays for waking on the other core
    # (on a busy 2-core machine that migration, not the tool, dominates the spread).
    prefix = ["taskset", "-c", "0"] if pin else []
    proc, _ = run(ns, [*prefix, *tool, "-c", str(count), "-i", "0.002", "10.77.0.2"])
    return statistics.median(float(x) * 1000 for x in RTT.findall(proc.stdout))


def fanout(ns, argv):
    proc, wall = run(ns, argv)
    return wall, proc


def fanout_engine(ns, targets):
    """The same fan-out through the Python API, timed inside the process: no start-up, no imports."""
    code = ("import time, netlab.ping, netlab.cli.app\n"
            "t0 = time.perf_counter()\n"
            f"summaries = netlab.ping.run({targets!r}, count=5, interval=0.02)\n"
            "print(time.perf_counter() - t0, sum(s.received for s in summaries))")
    proc, _ = run(ns, [sys.executable, "-c", code])
    seconds, received = proc.stdout.split()
    assert int(received) == 250, proc.stdout
    return float(seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--flood-count", type=int, default=20000)
    ap.add_argument("--only", default="flood,rtt,fanout", help="comma-separated parts to measure")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    with testing.veth_pair() as link:
        a = link.a
        targets = [f"10.77.0.{i}" for i in range(10, 60)]
        for addr in targets:
            link.b.ip("addr", "add", f"{addr}/24", "dev", link.b_if)
        ping = ["ping"]
        # Warm up neighbour caches and page caches.
        run(a, [*ping, "-c", "2", "-i", "0.01", "10.77.0.2"])
        run(a, [*NETLAB, "-c", "2", "-i", "0.01", "10.77.0.2"])

        fl = {"netlab": [], "iputils": []}
        rtt = {"netlab": [], "iputils": []}
        pinned = {"netlab": [], "iputils": []}
        fan = {"netlab": [], "fping -i 1": [], "fping -i 0": [], "engine": []}
        for _ in range(args.rounds):
            for name, tool in (("iputils", ping), ("netlab", NETLAB)):
                if "flood" in parts:
                    fl[name].append(flood(a, tool, args.flood_count))
                if "rtt" in parts:
                    rtt[name].append(median_rtt_us(a, tool))
                    pinned[name].append(median_rtt_us(a, tool, pin=True))
            if "fanout" in parts:
                # The peer (-i 1: fping spaces any two packets by 1 ms) and the
                # same pacing as netlab (-i 0: a whole round at once).
                for spacing in ("1", "0"):
                    wall, proc = fanout(a, ["fping", "-c", "5", "-p", "20", "-i", spacing, "-q", *targets])
                    assert proc.stderr.count("= 5/5/0%") == 50, proc.stderr
                    fan[f"fping -i {spacing}"].append(wall)
                wall, proc = fanout(a, [*NETLAB, "-c", "5", "-i", "0.02", "-q", *targets])
                assert proc.stdout.count(" 5 ") >= 50, proc.stdout
                fan["netlab"].append(wall)
                fan["engine"].append(fanout_engine(a, targets))

    def med(values, i=None):
        return statistics.median(v[i] if i is not None else v for v in values)

    rows = []
    if "flood" in parts:
        own_n, own_i = med(fl["netlab"], 0), med(fl["iputils"], 0)
        wall_n, wall_i = med(fl["netlab"], 1), med(fl["iputils"], 1)
        rows += [
            ("flood -c %d, pkt/s (tool's own time)" % args.flood_count, f"{own_n:,.0f}", f"{own_i:,.0f} (ping -f)", f"{own_n / own_i:.2f}"),
            ("flood -c %d, pkt/s (wall clock)" % args.flood_count, f"{wall_n:,.0f}", f"{wall_i:,.0f} (ping -f)", f"{wall_n / wall_i:.2f}"),
        ]
    if "rtt" in parts:
        rtt_n, rtt_i = med(rtt["netlab"]), med(rtt["iputils"])
        pin_n, pin_i = med(pinned["netlab"]), med(pinned["iputils"])
        rows += [
            ("median RTT, -i 0.002 x200, us", f"{rtt_n:.1f}", f"{rtt_i:.1f} (ping)", f"{rtt_n - rtt_i:+.1f} us"),
            ("median RTT, same, both on CPU 0, us", f"{pin_n:.1f}", f"{pin_i:.1f} (ping)", f"{pin_n - pin_i:+.1f} us"),
        ]
    if "fanout" in parts:
        fan_n = med(fan["netlab"])
        for spacing in ("1", "0"):
            fan_f = med(fan[f"fping -i {spacing}"])
            rows.append(("50 targets x 5 probes, wall s", f"{fan_n:.3f}", f"{fan_f:.3f} (fping -c 5 -p 20 -i {spacing})",
                         f"{fan_f / fan_n:.2f}"))
        fan_e, fan_f = med(fan["engine"]), med(fan["fping -i 0"])
        rows.append(("same, netlab's run alone (API, no start-up), s", f"{fan_e:.3f}",
                     f"{fan_f:.3f} (fping -c 5 -p 20 -i 0, whole)", f"{fan_f / fan_e:.2f}"))
    from tabulate import tabulate

    print(f"netlab ping vs iputils ping / fping: veth pair, {args.rounds} rounds, medians, {cpu_model()}, "
          f"{os.cpu_count()} CPUs")
    print(tabulate(rows, headers=["measure", "netlab", "peer", "ratio (netlab/peer; fan-out: peer/netlab)"],
                   tablefmt="github", disable_numparse=True))


if __name__ == "__main__":
    main()
