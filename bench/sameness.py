"""How many of `netlab capture`'s lines are tcpdump's own, over every capture at hand.

    .venv/bin/python bench/sameness.py [--packets 300000] [--show 5] [--no-record]

Each capture is printed by tcpdump (the oracle: the installed 4.99.3) and by netlab
with the same options, TZ=GMT0, and the lines are compared in order. The captures:
tcpdump's own test captures in ../shared/conformance (the suite's tier files), the
recordings the conformance tests make in private namespaces (as root; skipped with
--no-record), and the benchmark's two generated mixes (bench/busygen.py and
bench/pcapgen.py, --packets each). The table gives, per option set, the lines that
are identical, the lines in all (the longer of the two outputs, file by file) and
the share; --show N prints the first N differing lines of each option set, tcpdump's
line above netlab's. Speed is bench/capture.py's business; this is about the bytes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.busygen import write_busy_pcap  # noqa: E402
from bench.common import cpu_model  # noqa: E402
from bench.pcapgen import write_mixed_pcap  # noqa: E402

OPTION_SETS = ["", "-v", "-vv", "-vvv", "-e", "-q", "-x", "-X", "-A", "-S", "-tttt", "-e -v -x"]
ENV = dict(os.environ, TZ="GMT0", PYTHONPATH=str(ROOT))
SHARED = Path(os.environ.get("NETLAB_SHARED", ROOT.parent / "shared"))


def lines_of(argv: list[str]) -> list[bytes]:
    proc = subprocess.run(argv, capture_output=True, env=ENV, timeout=600)
    return proc.stdout.split(b"\n")[:-1]


def compare(pcap: str, options: str) -> tuple[int, int, list[tuple[bytes, bytes]]]:
    """(identical lines, lines in all, the differing pairs) of one capture with one option set."""
    extra = options.split()
    want = lines_of(["tcpdump", "-n", "-r", pcap, *extra])
    got = lines_of([sys.executable, "-m", "netlab", "capture", "-n", "-r", pcap, *extra])
    same = sum(a == b for a, b in zip(want, got))
    differing = [(a, b) for a, b in zip(want, got) if a != b]
    if len(want) != len(got):
        differing.append((b"(%d lines)" % len(want), b"(%d lines)" % len(got)))
    return same, max(len(want), len(got)), differing


def captures(directory: str, packets: int, record: bool) -> dict[str, str]:
    found = {}
    pcaps = SHARED / "conformance" / "tcpdump" / "pcaps"
    for path in sorted(pcaps.glob("*.pcap*")) if pcaps.is_dir() else []:
        found[f"tcpdump/{path.name}"] = str(path)
    if record:
        from tests.helpers.recordings import make_all

        for name, path in make_all(directory).items():
            found[f"recorded/{name}"] = path
    for name, write in (("busy", write_busy_pcap), ("lan", write_mixed_pcap)):
        path = os.path.join(directory, f"{name}.pcap")
        write(path, packets)
        found[f"generated/{name}"] = path
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=300_000, help="packets of each generated mix")
    parser.add_argument("--show", type=int, default=0, help="print the first N differing lines of each option set")
    parser.add_argument("--no-record", action="store_true", help="leave out the namespace recordings (they need root)")
    args = parser.parse_args()
    version = subprocess.run(["tcpdump", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    with tempfile.TemporaryDirectory() as directory:
        found = captures(directory, args.packets, record=not args.no_record and os.geteuid() == 0)
        print(f"{len(found)} captures ({', '.join(sorted({n.split('/')[0] for n in found}))}); {version}; "
              f"{cpu_model()}\n")
        print("| options | identical lines | lines | share | files with a difference |")
        print("| --- | ---: | ---: | ---: | --- |")
        shown = []
        for options in OPTION_SETS:
            same = total = 0
            files = []
            for name, path in found.items():
                s, t, differing = compare(path, options)
                same, total = same + s, total + t
                if differing:
                    files.append(f"{name} ({len(differing)})")
                    shown += [(options, name, pair) for pair in differing[:args.show]]
            share = 100 * same / total if total else 100
            print(f"| -n {options} | {same:,} | {total:,} | {share:.3f}% | {', '.join(files) or '-'} |")
        for options, name, (want, got) in shown:
            print(f"\n-n {options} {name}\n  tcpdump: {want.decode('latin-1')}\n  netlab:  {got.decode('latin-1')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
