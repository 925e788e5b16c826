"""netlab's formatter beside the installed tcpdump (4.99.3): run both on one pcap, compare lines.

Options reach the Formatter through the capture command's own parser and
mapping (netlab.capture.options), so a drift in the CLI's mapping shows here.
"""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import pytest
import typer

from netlab.capture.decode import Formatter
from netlab.capture.options import FormatOptions, Look
from tests.helpers import pcapfile
from tests.helpers.env import CONFORMANCE as SHARED_CONFORMANCE

SUITE = SHARED_CONFORMANCE / "tcpdump"
PCAPS = SUITE / "pcaps"


# Options tcpdump 4.99.3 itself rejects (added in later releases): nothing to compare with.
NOT_IN_4993 = ("--print-sampling", "-g", "--skip")


# Every output option of the issue, tried on every pcap.
OPTION_SETS = ["", "-q", "-e", "-q -e", "-v", "-vv", "-vvv", "-e -v", "-t", "-tt", "-ttt", "-tttt", "-ttttt",
               "--nano", "-ttt --nano", "-#", "-x", "-xx", "-X", "-XX", "-A", "-AA", "-# -e -X -tt",
               "-S", "-S -v", "-S -e -#", "-vv -K", "-vvv -K -e"]


_capture_command = None


def options_from(args: list[str]) -> FormatOptions:
    """tcpdump's arguments as `netlab capture` reads them: its own parser, then its own mapping."""
    global _capture_command
    if _capture_command is None:
        from netlab.cli import capture

        app = typer.Typer()
        app.callback()(lambda: None)  # a group, as netlab's app is: the command keeps its own name and options
        capture.register(app)
        _capture_command = typer.main.get_command(app).commands["capture"]
    params = _capture_command.make_context("capture", list(args)).params
    return Look.from_params(params).options(nano=params["nano"], utc=True)


def tcpdump_lines(pcap: Path | str, args: list[str]) -> list[str]:
    proc = subprocess.run(["tcpdump", "-n", "-r", str(pcap), *args], capture_output=True,
                          env=dict(os.environ, TZ="GMT0"), timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout.decode("latin-1").split("\n")[:-1]


def netlab_lines(pcap: Path | str, args: list[str]) -> list[str]:
    o = options_from(args)
    linktype, packets = pcapfile.read(str(pcap), nano=o.nano)
    fmt = Formatter(linktype, o)
    text = "".join(fmt.format(*p) + "\n" for p in packets)
    return text.split("\n")[:-1]


def compare(pcap, args) -> tuple[int, int, list[str]]:
    """(matching lines, tcpdump's lines, first differences)."""
    want = tcpdump_lines(pcap, args)
    got = netlab_lines(pcap, args)
    diffs = []
    same = 0
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else "<no line>"
        g = got[i] if i < len(got) else "<no line>"
        if w == g:
            same += 1
        elif len(diffs) < 6:
            diffs += [f"tcpdump: {w}", f"netlab:  {g}"]
    return same, len(want), diffs


needs_pcaps = pytest.mark.skipif(not PCAPS.exists(), reason="conformance pcaps not present")


TRUNCATION_OPTIONS = [[], ["-v"], ["-e"], ["-q"], ["-x"], ["-X", "-v"]]


def write_pcap(path: Path, linktype: int, packets) -> None:
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for sec, frac, _caplen, length, data in packets:
            fh.write(struct.pack("<IIII", sec, frac, len(data), length) + data)


def prefixes(src: str, limit: int = 40):
    """Every prefix of the first packets (every 4th byte past the first 128)."""
    linktype, packets = pcapfile.read(src)
    out = []
    for sec, frac, _caplen, length, data in packets[:limit]:
        cuts = list(range(0, min(len(data), 128))) + list(range(128, len(data), 4))
        for cut in cuts:
            out.append((sec, frac, cut, length, data[:cut]))
    return linktype, out


def check_truncations(src, tmp_path, option_sets=TRUNCATION_OPTIONS, limit: int = 40):
    """Every prefix of the first ``limit`` packets of src: tcpdump's lines, markers and dumps
    with each set of options (all of them reported at once)."""
    linktype, packets = prefixes(str(src), limit=limit)
    path = tmp_path / ("cut-" + Path(src).name)
    write_pcap(path, linktype, packets)
    report = []
    for args in option_sets:
        same, total, diffs = compare(path, args)
        if diffs:
            report.append(f"{Path(src).name} {' '.join(args)}: {same}/{total}\n" + "\n".join(diffs))
    assert not report, "\n".join(report)

