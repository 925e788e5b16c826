"""--stats on a live interface: a real TCP transfer in namespaces, netlab and tcpdump listening side by side.

netlab prints its tables when stopped (SIGINT); tshark reads the same packets from
a third netlab listening with -w (tcpdump 4.99.3 loses packets from its ring at this
rate: its recording shows gaps that netlab's do not). Traffic stays on the veth
10.77.0.1 -> 10.77.0.2.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from netlab import testing
from tests.helpers import tshark
from tests.helpers.cli import netlab_argv
from tests.helpers.env import ROOT, require_tool
from tests.helpers.tcptraffic import PAYLOAD, PORT, _lossy, _transfer
from tests.helpers.traffic import wait_for_line

pytestmark = pytest.mark.privileged


def test_live_conversations_and_tcp_analysis_equal_tsharks_of_the_same_packets(tmp_path):
    require_tool("tshark")
    pcap = str(tmp_path / "same.pcap")
    with testing.veth_pair() as link:
        link.a.ip("link", "set", "veth0", "gso_max_segs", "1")
        _lossy(link.b)
        runs = [["--stats", "conv,tcp", "--format", "json"], ["--stats", "tcp", "--format", "json"], ["-w", pcap]]
        procs = [link.b.popen(netlab_argv("capture", "-i", "veth0", *args, "tcp"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT))) for args in runs]
        try:
            for proc in procs:
                wait_for_line(proc, "listening on")
            assert _transfer(link, PORT, PAYLOAD) == PAYLOAD
            time.sleep(0.3)
            outputs = []
            for proc in procs:
                proc.send_signal(signal.SIGINT)
                out, err = proc.communicate(timeout=20)
                assert proc.returncode == 0, err
                assert "0 packets dropped by kernel" in err.decode()
                outputs.append(json.loads(out) if out else None)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    (conv,), (stream,), _ = outputs
    (theirs,) = tshark.conversations(tshark.sections(pcap), "tcp")
    assert (conv["a"], conv["a_port"], conv["b"], conv["b_port"]) == (theirs["a"], theirs["a_port"], theirs["b"],
                                                                      theirs["b_port"])
    assert (conv["packets_a_to_b"], conv["packets_b_to_a"]) == (theirs["packets_a_to_b"], theirs["packets_b_to_a"])
    assert tshark.same_size(conv["bytes"], theirs["bytes"])
    analysed = tshark.fields(pcap, "tcp.analysis.retransmission", "tcp.analysis.duplicate_ack")
    assert stream["retransmissions"] == sum(bool(row[0]) for row in analysed) >= 1
    assert stream["dup_acks"] == sum(len(row) > 1 and bool(row[1]) for row in analysed)
