#!/usr/bin/env python3
"""Benchmark: `netlab conns -tanp` beside ss, netstat, lsof and psutil, same sockets, same run.

    .venv/bin/python bench/conns.py [--sizes 1000,10000,30000] [--rounds 9]

Also a filtered listing beside ss's (the same filter: the kernel sends back only the
matches), start-up beside ss's in an empty namespace, where netlab's start-up goes
(python -X importtime, the largest modules), and the load average before and after:
on a shared machine only the ratios of one run mean something.

For each size, a private network namespace gets that many TCP sockets (ESTAB
pairs over loopback, held by several helper processes: one process cannot
hold more than about 20k descriptors here). Every tool then lists them from
inside the namespace, as a whole process (start-up included), output to
/dev/null; the table shows the median wall time of the rounds and the ratio to
`ss -tanp`. Needs root (namespaces). Nothing leaves the namespace.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import VENV_NETLAB, cpu_model, netlab_argv, populate  # noqa: E402
from netlab.core import netns  # noqa: E402



# a filter that none of the population meets: what a filtered listing costs when the kernel
# runs the filter (inet_diag bytecode) and sends back nothing
FILTER = "( sport = :1 or dport = :1 ) and state established"


def tools() -> list[tuple[str, list[str]]]:
    nl = netlab_argv()
    candidates = [
        ("netlab conns -tanp", nl + ["conns", "-tanp"]),
        ("netlab conns -tanp --format json", nl + ["conns", "-tanp", "--format", "json"]),
        ("ss -tanp", ["ss", "-tanp"]),
        ("netlab conns -tan " + FILTER, nl + ["conns", "-tan", FILTER]),
        ("ss -tan " + FILTER, ["ss", "-tan", FILTER]),
        ("netstat -tanp", ["netstat", "-tanp"]),
        ("lsof -nP -iTCP", ["lsof", "-nP", "-iTCP"]),
        ("psutil.net_connections", [sys.executable, "-c", "import psutil; psutil.net_connections('tcp')"]),
    ]
    return [(name, argv) for name, argv in candidates if shutil.which(argv[0]) or os.path.exists(argv[0])]


def wall_time(ns: netns.Namespace, argv: list[str], env: dict) -> float:
    # The tool starts inside the namespace because we fork from inside it (no
    # `ip netns exec` in the measurement), and we wait for it without a timeout:
    # subprocess's wait(timeout) polls with sleeps of up to 50 ms, which rounded
    # every measurement up to a 50 ms step.
    with ns.inside():
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        return time.perf_counter() - start


def count_sockets(ns: netns.Namespace) -> int:
    return len(ns.exec(["ss", "-Htan"]).stdout.splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,30000")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    if not netns.available():
        print("bench/conns.py needs root (network namespaces)", file=sys.stderr)
        return 3
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # this tree's netlab, also through the venv's launcher (the venv may hold another copy)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    results: dict[int, dict[str, float]] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        with netns.namespace() as ns:
            holders = populate(ns, size)
            try:
                listed = count_sockets(ns)
                times: dict[str, list[float]] = {name: [] for name, _ in tools()}
                for _ in range(args.rounds):
                    for name, argv in tools():  # interleaved rounds: noise hits every tool alike
                        times[name].append(wall_time(ns, argv, env))
                results[size] = {name: statistics.median(t) for name, t in times.items()}
                print(f"# {size} sockets requested, ss lists {listed}", file=sys.stderr)
            finally:
                for h in holders:
                    h.stdin.close()
    print_table(results)
    load_before = os.getloadavg()
    print_startup(_startup(env, args.rounds))
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in load_before)} at the start-up runs, "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    print_importtime(env)
    return 0


def _startup(env: dict, rounds: int) -> dict[str, float]:
    """Median wall time of netlab conns and ss -tan in an empty namespace (loopback only)."""
    runs: dict[str, list[float]] = {"netlab conns -tan": [], "ss -tan": [], "netlab --version": []}
    argvs = {"netlab conns -tan": netlab_argv() + ["conns", "-tan"], "ss -tan": ["ss", "-tan"],
             "netlab --version": netlab_argv() + ["--version"]}
    with netns.namespace() as ns:
        for _ in range(max(rounds, 7)):
            for name, argv in argvs.items():
                runs[name].append(wall_time(ns, argv, env))
    return {name: statistics.median(t) for name, t in runs.items()}


def print_importtime(env: dict) -> None:
    """Where netlab conns's start-up goes: python -X importtime, the largest top-level imports."""
    argv = netlab_argv()
    python = [sys.executable] if argv[0] != str(VENV_NETLAB) else [str(ROOT / ".venv" / "bin" / "python")]
    proc = subprocess.run(python + ["-X", "importtime", "-m", "netlab", "conns", "-tan"], capture_output=True,
                          text=True, env=dict(env, PYTHONPATH=str(ROOT)), check=False)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line[len("import time:"):].split("|")
            if cumulative.strip().isdigit() and not name.startswith("   "):  # top level: one space of indent
                rows.append((int(cumulative), name.strip()))
    total = sum(c for c, _ in rows)
    print(f"\nimports of `netlab conns -tan` (python -X importtime): {total / 1000:.1f} ms in all; the largest:")
    for cumulative, name in sorted(rows, reverse=True)[:8]:
        print(f"  {cumulative / 1000:6.1f} ms  {name}")


def print_startup(startup: dict[str, float]) -> None:
    ss = startup["ss -tan"]
    print("\nstart-up, an empty namespace: " + ", ".join(
        f"{name} {t * 1000:.0f} ms ({t / ss:.2f}x ss)" for name, t in startup.items()))


def print_table(results: dict[int, dict[str, float]]) -> None:
    sizes = sorted(results)
    names = list(next(iter(results.values())))
    header = ["tool"] + [f"{s} sockets: ms (x ss)" for s in sizes]
    rows = []
    for name in names:
        row = [name]
        for s in sizes:
            ms = results[s][name] * 1000
            ratio = results[s][name] / results[s]["ss -tanp"]
            row.append(f"{ms:.0f} ({ratio:.2f})")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    sys.stdout.flush()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Linux {os.uname().release}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    sys.exit(main())
