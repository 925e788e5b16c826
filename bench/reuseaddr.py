"""Benchmark of netlab reuseaddr-demo: netlab beside the tools the notes use.

Two measurements, several rounds each, medians:

1. Reading the old sockets' states on the port (what every row does before the
   restart), in a private namespace holding the server-killed leftovers
   (FIN-WAIT-2 + CLOSE-WAIT on port 8001) among N other connections:
   netlab's sock_diag dump filtered in the kernel (lab.reuseaddr.observe.observe, in
   process), `ss -tan '( sport = :8001 or dport = :8001 )'`, and the notes'
   `netstat -na | grep 8001`.
2. The whole default run (`netlab reuseaddr-demo`, 14 rows, a namespace and
   mostly a server process per row), as a user runs it.

Run as root: .venv/bin/python bench/reuseaddr.py [--rounds 15] [--sockets 2000]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netlab.core import netns  # noqa: E402
from netlab.lab.reuseaddr.observe import observe  # noqa: E402
from netlab.lab.reuseaddr.site import Site  # noqa: E402

PORT = 8001


def timed(fn, rounds: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def busy_namespace(ns: netns.Namespace, pairs: int) -> list[socket.socket]:
    """Inside ns: `pairs` idle connections on port 9000 and the server-killed leftovers on 8001."""
    keep = []
    with ns.inside():
        other = socket.socket()
        other.bind(("127.0.0.1", 9000))
        other.listen(pairs + 8)
        keep.append(other)
        for _ in range(pairs):
            keep.append(socket.create_connection(("127.0.0.1", 9000)))
            keep.append(other.accept()[0])
        server = socket.socket()
        server.bind(("127.0.0.1", PORT))
        server.listen(8)
        keep.append(socket.create_connection(("127.0.0.1", PORT)))
        server.accept()[0].close()  # the server's side closes: FIN-WAIT-2, the client's CLOSE-WAIT
        server.close()
    return keep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--sockets", type=int, default=2000, help="other sockets in the namespace")
    args = parser.parse_args()
    if not netns.available():
        print("bench/reuseaddr.py needs root (private namespaces)", file=sys.stderr)
        return 3

    rows = []
    with netns.namespace() as ns:
        keep = busy_namespace(ns, args.sockets // 2)
        site = Site("inet", "127.0.0.1", "127.0.0.1", PORT, "namespace")
        with ns.inside():
            seen = [v.label for v in observe(site)]
            netlab_ms = timed(lambda: observe(site), args.rounds)
        ss_argv = ["ip", "netns", "exec", ns.name, "ss", "-Htan", f"( sport = :{PORT} or dport = :{PORT} )"]
        ss_out = subprocess.run(ss_argv, capture_output=True, text=True).stdout
        ss_ms = timed(lambda: subprocess.run(ss_argv, capture_output=True, check=True), args.rounds)
        netstat_argv = ["ip", "netns", "exec", ns.name, "sh", "-c", f"netstat -na | grep {PORT}"]
        netstat_ms = timed(lambda: subprocess.run(netstat_argv, capture_output=True), args.rounds)
        # `ip netns exec` itself costs a fork+exec+setns: measure it to show the tools' own share.
        exec_ms = timed(lambda: subprocess.run(["ip", "netns", "exec", ns.name, "true"], capture_output=True),
                        args.rounds)
        for sock in keep:
            sock.close()
    assert len(ss_out.splitlines()) == len(seen) == 2, (ss_out, seen)
    what = f"states on :{PORT} among {args.sockets} sockets"
    rows.append((what, "netlab (sock_diag, in process)", netlab_ms, netlab_ms / ss_ms))
    rows.append((what, "ss -tan '( sport/dport )'", ss_ms, 1.0))
    rows.append((what, "netstat -na | grep 8001", netstat_ms, netstat_ms / ss_ms))
    rows.append((what, "(ip netns exec true: launch cost)", exec_ms, exec_ms / ss_ms))

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    demo = [sys.executable, "-m", "netlab", "reuseaddr-demo", "-f", "json"]
    demo_ms = timed(lambda: subprocess.run(demo, capture_output=True, check=True, env=env), max(3, args.rounds // 3))
    rows.append(("whole default run, 14 rows", "netlab reuseaddr-demo", demo_ms, None))

    print(f"rounds: {args.rounds}, median wall time; kernel {os.uname().release}, {os.cpu_count()} CPUs")
    print(f"{'measurement':<38} {'tool':<36} {'median ms':>10} {'vs ss':>7}")
    for what, tool, ms, ratio in rows:
        print(f"{what:<38} {tool:<36} {ms:>10.2f} {'' if ratio is None else f'{ratio:.2f}x':>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
