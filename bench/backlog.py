"""Benchmark `netlab backlog`: netlab beside ss/nstat where a peer exists, else against the issue's budget.

Run as root from the repository root:  .venv/bin/python bench/backlog.py [--rounds 7]

Rows:
  readout      the counts of one probe point (listener queues + client states) from sock_diag,
               in-process, beside `ss -tanH` filtered on the same port (a subprocess, as a user
               would run it)
  watch        one watch sample (every listener, owners, ListenOverflows/ListenDrops) in-process,
               beside `ss -ltnpH` plus `nstat -az` for the two counters
  watch CLI    `netlab backlog --watch 1 -n 1 -f json` as a process, beside the same ss + nstat
  points       one probe point of each kind, namespace made and deleted included, against the
               issue's budget of 0.5 s per point
  sweep        `netlab backlog -f json` (the default sweep, 10 points) against the 5 s budget
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from netlab.core import netns  # noqa: E402
from netlab.lab.backlog import abort, probe, synqueue, watch  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def median_s(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run(argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    if not netns.available():
        sys.exit("bench/backlog.py: needs root (private network namespaces)")
    rows = []

    # A listener with a full accept queue and stuck clients, in a namespace of its own.
    with netns.namespace() as ns:
        with ns.inside():
            listener = probe.open_listener(128)
            port = listener.getsockname()[1]
            clients = [probe.connect_nonblocking(port) for _ in range(200)]
        try:
            def ours():
                with ns.inside():
                    probe.look(port)

            ss = ["ip", "netns", "exec", ns.name, "ss", "-tanH", f"( sport = :{port} or dport = :{port} )"]
            with ns.inside():
                state = probe.look(port)
            count = 1 + state.accept_queue + state.established + state.syn_sent
            rows.append((f"readout of one point ({count} sockets)", median_s(ours, rounds), "ss -tanH port filter",
                         median_s(lambda: run(ss), rounds)))

            def sample():
                with ns.inside():
                    next(watch.watch(iterations=1))

            peer = ["ip", "netns", "exec", ns.name, "sh", "-c",
                    "ss -ltnpH; nstat -az TcpExtListenOverflows TcpExtListenDrops"]
            rows.append(("watch: one sample, in-process", median_s(sample, rounds), "ss -ltnpH + nstat",
                         median_s(lambda: run(peer), rounds)))
            cli = ["ip", "netns", "exec", ns.name, sys.executable, "-m", "netlab", "backlog", "--watch", "1", "-n", "1",
                   "-f", "json"]
            rows.append(("watch CLI: netlab backlog --watch 1 -n 1", median_s(lambda: run(cli), rounds),
                         "ss -ltnpH + nstat", median_s(lambda: run(peer), rounds)))
        finally:
            probe.close_quietly(clients)
            listener.close()

    points = [
        ("point: connect, listen(128), 200 connects", lambda: probe.connect_point(128, 200, 4096, True)),
        ("point: syn-queue, 200 half-open + 200 connects",
         lambda: synqueue.syn_queue_point(128, 4096, 1, None, 200, 200)),
        ("point: abort-on-overflow, listen(16), 200 connects", lambda: abort.abort_point(16, 4096, 1, 200)),
    ]
    for name, fn in points:
        rows.append((name, median_s(fn, rounds), "budget", 0.5))
    sweep = [sys.executable, "-m", "netlab", "backlog", "-f", "json"]
    rows.append(("sweep: netlab backlog (10 points)", median_s(lambda: run(sweep), rounds), "budget", 5.0))

    print(f"# bench/backlog.py: {platform.node()}, Linux {os.uname().release}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, median of {rounds} rounds")
    print(f"| {'what':<52} | {'netlab':>9} | {'peer':<22} | {'peer':>9} | {'netlab/peer':>11} |")
    print(f"| {'-' * 52} | {'-' * 9}: | {'-' * 22} | {'-' * 9}: | {'-' * 11}: |")
    for name, ours_s, peer_name, peer_s in rows:
        print(f"| {name:<52} | {ours_s * 1000:7.1f}ms | {peer_name:<22} | {peer_s * 1000:7.1f}ms | "
              f"{ours_s / peer_s:11.2f} |")


if __name__ == "__main__":
    main()
