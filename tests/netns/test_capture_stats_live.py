"""--stats on a live interface: a real TCP transfer in namespaces, netlab and tcpdump listening side by side.

netlab prints its tables when stopped (SIGINT); tshark reads the same packets from
a third netlab listening with -w (tcpdump 4.99.3 loses packets from its ring at this
rate: its recording shows gaps that netlab's do not). Traffic stays on the veth
10.77.0.1 -> 10.77.0.2.

Two listeners see the same packets but not the same times: each packet socket reads
the clock for itself, a few microseconds apart (up to 40 us measured, for a third of
the packets, and now and then two packets in the other order). On a veth that is the
scale of Wireshark's own window for calling a segment sent again "out of order" rather
than a retransmission (the handshake's RTT, ~30 us here), so the live tables and
tshark's reading of the file may split those segments differently (2 runs in 20 did).
The live tables are held to every number the packets alone decide, the segments sent
again included; the split itself is held exact where the times are the same: netlab
reading the very file tshark reads.
"""

from __future__ import annotations

import json
import signal
import time

import pytest

from tests.helpers import tshark
from tests.helpers.cli import run_netlab
from tests.helpers.env import require_tool
from tests.helpers.tcptraffic import PAYLOAD, PORT, _lossy, _transfer
from tests.helpers.traffic import wait_for_line

pytestmark = pytest.mark.privileged

ANALYSIS = ("tcp.analysis.retransmission", "tcp.analysis.out_of_order", "tcp.analysis.duplicate_ack")


def tshark_analysis(pcap) -> dict[str, int]:
    """tshark's tcp.analysis counts of the file, under netlab's names."""
    rows = [row + [""] * (len(ANALYSIS) - len(row)) for row in tshark.fields(pcap, *ANALYSIS)]
    return {name: sum(bool(row[i]) for row in rows) for i, name in enumerate(("retransmissions", "out_of_order",
                                                                               "dup_acks"))}


def test_live_conversations_and_tcp_analysis_equal_tsharks_of_the_same_packets(veth, tmp_path, procs):
    require_tool("tshark")
    pcap = str(tmp_path / "same.pcap")
    veth.a.ip("link", "set", "veth0", "gso_max_segs", "1")
    _lossy(veth.b)
    runs = [["--stats", "conv,tcp", "--format", "json"], ["--stats", "tcp", "--format", "json"], ["-w", pcap]]
    started = [procs.netlab(veth.b, "-i", "veth0", *args, "tcp") for args in runs]
    for proc in started:
        wait_for_line(proc, "listening on", timeout=20)  # three starting at once on a busy machine
    assert _transfer(veth, PORT, PAYLOAD) == PAYLOAD
    time.sleep(0.3)  # the last ACKs on their way
    for proc in started:  # all stopped at one moment
        proc.send_signal(signal.SIGINT)
    outputs = []
    for proc in started:
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "0 packets dropped by kernel" in err.decode()
        outputs.append(json.loads(out) if out else None)
    (conv,), (stream,), _ = outputs
    (theirs,) = tshark.conversations(tshark.sections(pcap), "tcp")
    assert (conv["a"], conv["a_port"], conv["b"], conv["b_port"]) == (theirs["a"], theirs["a_port"], theirs["b"],
                                                                      theirs["b_port"])
    assert (conv["packets_a_to_b"], conv["packets_b_to_a"]) == (theirs["packets_a_to_b"], theirs["packets_b_to_a"])
    assert tshark.same_size(conv["bytes"], theirs["bytes"])
    analysed = tshark_analysis(pcap)
    assert stream["dup_acks"] == analysed["dup_acks"]
    assert stream["retransmissions"] >= 1
    assert stream["retransmissions"] + stream["out_of_order"] == analysed["retransmissions"] + analysed["out_of_order"]
    offline = run_netlab("capture", "-r", pcap, "--stats", "tcp", "--format", "json")
    assert offline.returncode == 0, offline.stderr
    (same_times,) = json.loads(offline.stdout)
    assert {key: same_times[key] for key in analysed} == analysed
