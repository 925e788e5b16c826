#!/usr/bin/env python3
"""Benchmark `netlab exporter`: a /metrics scrape beside node_exporter's, a /probe beside blackbox_exporter's.

    .venv/bin/python bench/exporter.py [--sizes 1000,10000,100000] [--rounds 9]

For each size, a private network namespace gets that many TCP sockets (ESTAB
pairs over loopback, held by helper processes of under 10k descriptors each,
each pair set on a listener of its own) and both exporters run inside it:
netlab exporter, and node_exporter with only its tcpstat and netstat
collectors (the ones that read the same kernel state). A client in the
namespace GETs /metrics from each, interleaved, and the table shows the
median wall time of the rounds. netlab's first scrape is shown apart: it is
the one that walks /proc/*/fd for the listeners' owners (later scrapes reuse
them until a new listener appears).

Probes: two namespaces joined by veth; blackbox_exporter's icmp module and
netlab's (count = 1, as blackbox sends one echo) probe the other end,
interleaved, median wall time of /probe. Needs root (namespaces) and Debian's
prometheus-node-exporter and prometheus-blackbox-exporter. Nothing leaves
the namespaces.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_model, populate  # noqa: E402
from netlab import testing  # noqa: E402
from netlab.core import netns  # noqa: E402

NETLAB_PORT = 10077
NODE_PORT = 9100
BLACKBOX_PORT = 9115
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def netlab_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "netlab", "exporter", *args]


def start(ns: netns.Namespace, argv: list[str], ready_url: str, timeout: float = 20) -> subprocess.Popen:
    proc = ns.popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with ns.inside():
                urllib.request.urlopen(ready_url, timeout=5).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{argv[0]} did not answer {ready_url}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def fetch(ns: netns.Namespace, url: str) -> tuple[float, bytes]:
    with ns.inside():
        start_t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as answer:
            body = answer.read()
        return time.perf_counter() - start_t, body


def series(body: bytes) -> int:
    return sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))


def scrape_row(size: int, rounds: int) -> dict:
    with netns.namespace() as ns:
        ns.sysctl("net.ipv4.ip_local_port_range", "20000 65000")  # the exporters listen below it
        holders = populate(ns, size)
        try:
            listed = len(ns.exec(["ss", "-Htan"], timeout=120).stdout.splitlines())
            netlab_url = f"http://127.0.0.1:{NETLAB_PORT}/metrics"
            node_url = f"http://127.0.0.1:{NODE_PORT}/metrics"
            netlab = ns.popen(netlab_argv("--listen", f"127.0.0.1:{NETLAB_PORT}"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=ENV)
            node = start(ns, ["prometheus-node-exporter", "--collector.disable-defaults", "--collector.tcpstat",
                              "--collector.netstat", f"--web.listen-address=127.0.0.1:{NODE_PORT}"], node_url)
            try:
                # the first scrape: the owners' walk of /proc/*/fd included
                end = time.monotonic() + 20
                while True:
                    try:
                        first, body = fetch(ns, netlab_url)
                        break
                    except OSError:
                        if time.monotonic() > end:
                            raise
                        time.sleep(0.1)
                ours, theirs = [], []
                for _ in range(rounds):  # interleaved: noise from the shared machine hits both alike
                    t, body = fetch(ns, netlab_url)
                    ours.append(t)
                    t, node_body = fetch(ns, node_url)
                    theirs.append(t)
            finally:
                stop(netlab)
                stop(node)
        finally:
            for h in holders:
                h.stdin.close()
            for h in holders:
                h.wait(30)
    return {"size": size, "listed": listed, "first": first, "netlab": statistics.median(ours),
            "node": statistics.median(theirs), "netlab_series": series(body), "node_series": series(node_body)}


def probe_row(rounds: int) -> dict:
    with testing.veth_pair() as link, tempfile.TemporaryDirectory() as tmp:
        netlab_config = Path(tmp, "netlab.toml")
        netlab_config.write_text(f'[probe]\nallow = ["{link.b4}/32"]\n\n'
                                 "[modules.icmp]\ncount = 1\ntimeout = 5.0\n")
        blackbox_config = Path(tmp, "blackbox.yml")
        blackbox_config.write_text("modules:\n  icmp:\n    prober: icmp\n    timeout: 5s\n"
                                   "    icmp:\n      preferred_ip_protocol: ip4\n")
        netlab = start(link.a, netlab_argv("--listen", f"127.0.0.1:{NETLAB_PORT}", "--config", str(netlab_config)),
                       f"http://127.0.0.1:{NETLAB_PORT}/")
        blackbox = start(link.a, ["prometheus-blackbox-exporter", f"--config.file={blackbox_config}",
                                  f"--web.listen-address=127.0.0.1:{BLACKBOX_PORT}"],
                         f"http://127.0.0.1:{BLACKBOX_PORT}/")
        try:
            ours, theirs = [], []
            for _ in range(rounds):
                t, body = fetch(link.a, f"http://127.0.0.1:{NETLAB_PORT}/probe?target={link.b4}&module=icmp")
                assert b"probe_success 1.0" in body, body
                ours.append(t)
                t, body = fetch(link.a, f"http://127.0.0.1:{BLACKBOX_PORT}/probe?target={link.b4}&module=icmp")
                assert b"probe_success 1" in body, body
                theirs.append(t)
        finally:
            stop(netlab)
            stop(blackbox)
    return {"netlab": statistics.median(ours), "blackbox": statistics.median(theirs)}


def version(argv: list[str]) -> str:
    proc = subprocess.run(argv + ["--version"], capture_output=True, text=True)
    return (proc.stdout or proc.stderr).splitlines()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    if not netns.available():
        print("bench/exporter.py needs root (network namespaces)", file=sys.stderr)
        return 3
    for tool in ("prometheus-node-exporter", "prometheus-blackbox-exporter", "ss"):
        if not shutil.which(tool):
            print(f"bench/exporter.py needs {tool} (apt-get install {tool})", file=sys.stderr)
            return 2
    rows = [scrape_row(int(size), args.rounds) for size in args.sizes.split(",")]
    probe = probe_row(args.rounds)
    print("| TCP sockets (ss) | netlab /metrics ms | node_exporter ms | netlab / node | netlab first scrape ms "
          "| series netlab / node |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['listed']} | {r['netlab'] * 1000:.1f} | {r['node'] * 1000:.1f} | {r['netlab'] / r['node']:.2f} "
              f"| {r['first'] * 1000:.1f} | {r['netlab_series']} / {r['node_series']} |")
    print()
    print("| ICMP /probe, 1 echo, over veth | netlab ms | blackbox_exporter ms |")
    print("|---|---|---|")
    print(f"| median of {args.rounds} | {probe['netlab'] * 1000:.1f} | {probe['blackbox'] * 1000:.1f} |")
    print()
    print(f"median of {args.rounds} interleaved rounds, wall time of an HTTP GET from inside the namespace; "
          f"{cpu_model()}, {os.cpu_count()} cores, Linux {os.uname().release}, Python {sys.version.split()[0]}; "
          f"{version(['prometheus-node-exporter'])}; {version(['prometheus-blackbox-exporter'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
