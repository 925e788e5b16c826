"""What the benchmarks share: a namespace filled with TCP sockets, and the CPU's name.

Ratios against a peer tool move with the CPU (a Python-vs-C ratio can move 2x
between an AMD EPYC and an Intel Xeon), so every table names the CPU it ran on.
"""

from __future__ import annotations

import platform
import select
import subprocess
import sys
from pathlib import Path

from netlab.core import netns

VENV_NETLAB = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "netlab"


def netlab_argv() -> list[str]:
    """netlab as a user runs it: the launcher scripts/install.sh writes (with PYTHONPATH set to the
    working tree, it runs the tree's code), else `python -m netlab` (runpy adds ~2 ms to a start)."""
    return [str(VENV_NETLAB)] if VENV_NETLAB.exists() else [sys.executable, "-m", "netlab"]

# A process that holds PAIRS established TCP pairs on loopback until its stdin closes.
HOLDER = r"""
import resource, socket, sys
pairs = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 2 * pairs + 100), hard))
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(4096)
keep = []
for _ in range(pairs):
    c = socket.socket()
    c.connect(listener.getsockname())
    s, _ = listener.accept()
    keep += [c, s]
print("ready", flush=True)
sys.stdin.read()
"""
PAIRS_PER_HOLDER = 4900  # 9800 descriptors: under this machine's limit of 20000 per process


def populate(ns: netns.Namespace, sockets: int) -> list[subprocess.Popen]:
    """About ``sockets`` established TCP sockets in ``ns``, held by processes the caller ends
    (close their stdin, then wait for them)."""
    holders = []
    pairs_left = sockets // 2
    while pairs_left > 0:
        pairs = min(PAIRS_PER_HOLDER, pairs_left)
        proc = ns.popen([sys.executable, "-c", HOLDER, str(pairs)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        text=True)
        holders.append(proc)
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        if not ready or proc.stdout.readline().strip() != "ready":
            raise RuntimeError("socket holder failed")
        pairs_left -= pairs
    return holders


def cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
