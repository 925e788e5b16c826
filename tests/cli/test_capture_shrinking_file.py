"""A pcap that shrinks while netlab reads it (truncated, a ring file rewritten) ends as a short file does.

netlab walks a regular file through a map of it; a page past the file's new end
is gone, and reading it raises SIGBUS, which ended netlab with "Bus error"
(exit 135). Now the packets before the cut come out, then the one line a file
of that length gets: the same stdout, stderr and exit code as reading the
short file from the start.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers.cli import netlab_argv, run_netlab
from tests.helpers.env import ROOT
from tests.helpers.frames import ip4, udp, write_frames

PACKETS = 200_000  # about 14 MB: the filtered read takes it in one walk, printing takes a while
FRAME = ip4(17, udp(40000, 53, b"x" * 18))  # an Ethernet frame
RECORD = 16 + len(FRAME)


@pytest.fixture
def big_pcap(tmp_path):
    path = tmp_path / "shrinking.pcap"
    write_frames(path, [FRAME] * PACKETS)
    return path


def cut_size(records: int) -> int:
    """A size that cuts record number ``records`` in the middle of its bytes."""
    return 24 + records * RECORD + RECORD // 2


def test_a_filtered_read_of_a_file_cut_meanwhile_prints_what_is_left_and_one_line(big_pcap, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(netlab_argv("capture", "-n", "-r", str(big_pcap), "udp"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        first = proc.stdout.readline()  # it prints: the file is mapped and walked; the pipe holds it back now
        assert first, proc.stderr.read()
        os.truncate(big_pcap, cut_size(PACKETS // 3))
        out = proc.stdout.read()  # after readline: read() takes what its buffer already holds first
        err = proc.stderr.read()  # a few lines: they never filled the pipe
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != -7, "SIGBUS"  # what it did before
    short = run_netlab("capture", "-n", "-r", str(big_pcap), "udp")
    assert (first + out).decode() == short.stdout
    assert short.stdout.count("\n") == PACKETS // 3
    assert err.decode() == short.stderr and "truncated dump file" in err.decode()
    assert proc.returncode == short.returncode != 0


@pytest.mark.parametrize("window", [None, 1 << 20])
@pytest.mark.parametrize("expression", [None, "udp"])
def test_a_count_over_a_file_cut_after_it_was_mapped_counts_what_is_left(big_pcap, expression, window):
    """Through the Python API: the map is made, the file cut, then the walk runs (in a child: a SIGBUS ends it).
    With 1 MiB windows, the first is walked whole and the cut falls in a window not mapped yet."""
    script = f"""
import os, sys
from netlab.capture import reader
from netlab.capture.reader import OfflineCapture
reader.WINDOW = {window} or reader.WINDOW
from netlab.capture.savefile import CaptureFileError
capture = OfflineCapture({str(big_pcap)!r}, {expression!r})
assert capture._walk_args(capture._program) is not None  # mapped
os.truncate({str(big_pcap)!r}, {cut_size(PACKETS // 2)})
try:
    print(capture.count())
except CaptureFileError as err:
    print(err.packets_before, err.one_line())
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    packets_before, line = proc.stdout.split(" ", 1)
    assert int(packets_before) == PACKETS // 2
    assert "truncated dump file" in line
