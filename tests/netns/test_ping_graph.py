"""--graph: the RTT chart, on a terminal (a pty: redrawn in place) and into a pipe (once, at the end)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import pytest

from netlab.ping.graph import render
from tests.helpers.cli import netlab_argv, run_netlab
from tests.helpers.env import ROOT

pytestmark = pytest.mark.privileged


def test_render_scales_to_the_maximum_and_marks_errors():
    lines = render([1000, 2000, None, 4000], width=10, height=4)
    assert lines[0] == "   4.000 |   █"
    assert lines[-1] == "   0.000 |██x█"
    assert [len(line) for line in lines] == [14] * 4


def test_graph_into_a_pipe_prints_the_chart_once(veth):
    proc = run_netlab("ping", "--graph", "-c", "20", "-i", "0.01", "10.77.0.2", ns=veth.a)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[1] == "rtt ms, last 20 probes:"
    assert not any(" bytes from " in line for line in lines)  # the chart instead of the reply lines
    assert "\x1b[" not in proc.stdout
    assert lines[-2].startswith("20 packets transmitted, 20 received, 0% packet loss, time ")
    assert lines[2].startswith("   ") and lines[2][8:10] == " |" and len(lines[2]) == 10 + 20  # 20 columns


def test_graph_on_a_terminal_redraws_in_place(veth):
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="60")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(netlab_argv("ping", "--graph", "-c", "20", "-i", "0.1", "10.77.0.2", ns=veth.a),
                            stdin=follower, stdout=follower, stderr=subprocess.PIPE, env=env)
    os.close(follower)
    out = b""
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the pty closes with the process
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    text = out.decode()
    assert text.count("\x1b[9A") >= 5  # the 9 lines (title + 8 rows) redrawn many times, 0.1 s apart
    assert "20 packets transmitted, 20 received" in text


def test_graph_refuses_what_it_cannot_draw(veth):
    for args in (["--format", "json"], ["-f"], ["10.77.0.1"]):
        proc = run_netlab("ping", "--graph", "-c", "1", *args, "10.77.0.2", ns=veth.a)
        assert proc.returncode == 2 and proc.stderr.startswith("netlab: error: --graph"), (args, proc.stderr)
