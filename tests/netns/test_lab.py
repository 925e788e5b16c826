"""`netlab lab` run for real: every experiment in its own namespace, its evidence and verdicts as a user sees them."""

from __future__ import annotations

import json
import time

import pytest

from netlab.core import netns
from netlab.lab import experiments
from netlab.lab.experiments.record import VERDICTS
from tests.helpers.cli import run_netlab

pytestmark = pytest.mark.privileged


def _namespaces() -> set[str]:
    import os

    try:
        return {n for n in os.listdir(netns.NETNS_RUN_DIR) if n.startswith(f"netlab-{os.getpid()}-")}
    except OSError:
        return set()


@pytest.mark.parametrize("name", experiments.NAMES)
def test_each_experiment_runs_in_a_namespace_it_deletes_and_judges_every_claim(name):
    before = _namespaces()
    result = experiments.run(name)
    assert _namespaces() == before
    assert result.where == "namespace" and result.captured
    assert [c.claim_id for c in result.claims] == [c.claim_id for c in experiments.get(name).claims]
    assert all(c.verdict in VERDICTS and c.verdict != "not_measured" and c.why for c in result.claims)
    json.dumps(result.as_dict())  # the evidence is plain JSON


def test_handshake_ladder_shows_j_k_and_the_calls_against_the_captured_segments():
    result = experiments.run("handshake")
    ev = result.evidence
    syn, synack, ack = ev["segments"][:3]
    assert (syn["flags"], synack["flags"], ack["flags"]) == ("S", "S.", ".")
    assert synack["ack"] == (ev["j"] + 1) % 2**32 and ack["ack"] == (ev["k"] + 1) % 2**32
    assert ev["calls_ms"]["connect_returned"] >= synack["t_ms"]
    assert ev["calls_ms"]["accept_returned"] >= ack["t_ms"]
    for text in ("SYN seq=J", "SYN,ACK seq=K ack=J+1", "ACK seq=J+1 ack=K+1", "connect() returned 0",
                 f"J = {ev['j']}", f"K = {ev['k']}"):
        assert text in result.diagram, text
    verdicts = {c.claim_id: c.verdict for c in result.claims}
    assert verdicts["data_ack"] == "does_not_hold"  # 5 bytes are acknowledged with seq + 5 on every kernel


def test_teardown_sees_time_wait_on_the_closing_side_and_an_rst_for_unread_data():
    ev = experiments.run("teardown").evidence
    waiting = [s for s in ev["prompt"]["states_after"] if s["state"] == "TIME-WAIT"]
    assert [s["local_port"] for s in waiting] == [ev["prompt"]["client_port"]]
    assert 50_000 < waiting[0]["timer_ms"] <= 60_000
    assert len(ev["late"]["close_segments"]) == 4  # 200 ms is longer than any delayed ACK
    assert ev["unread"]["client_recv"] == "ECONNRESET"
    assert ev["late"]["states_before_server_close"] == {"client": "FIN-WAIT-2", "server": "CLOSE-WAIT"}
    clients = [step["states"].get("client") for step in ev["simultaneous"]["path"]]
    assert "CLOSING" in clients and ev["simultaneous"]["path"][-1]["states"] == {"client": "TIME-WAIT",
                                                                                "server": "TIME-WAIT"}
    assert any(s["flags"].startswith("R") for s in ev["unread"]["segments"])


def test_udp_connect_sends_nothing_and_a_closed_port_answers_econnrefused():
    ev = experiments.run("udp").evidence
    assert ev["packets_during_connect"] == 0
    assert ev["connected_recv_after_unreachable"] == "ECONNREFUSED"
    assert ev["icmp_unreachable"] >= 1
    assert ev["first_datagram_source"].endswith(ev["name_after_sendto"].rpartition(":")[2])


def test_buffers_fill_block_and_deliver_after_close():
    ev = experiments.run("buffers").evidence
    assert ev["fill"]["client_send_q"] > 0 and ev["fill"]["server_read_bytes"] == 0
    assert ev["blocking_write"]["blocked_ms"] >= 150
    assert ev["close_with_unsent"]["peer_received_bytes"] == ev["close_with_unsent"]["write_accepted_bytes"]
    assert all(r["read_back"] == 2 * r["set"] for r in ev["set_and_read"])


def test_listen_accept_serves_more_clients_than_the_backlog_and_reads_default_backlogs():
    ev = experiments.run("listen-accept").evidence
    assert ev["served_at_once"]["answered"] == ev["served_at_once"]["clients"] > 2
    defaults = {d["who"]: d["backlog"] for d in ev["default_backlogs"]}
    assert defaults["Python socketserver.TCPServer (and http.server)"] == 5
    capped = [p for p in ev["backlog_points"] if p["backlog"] > p["somaxconn"]]
    assert capped and all(p["effective_backlog"] == p["somaxconn"] for p in capped)


def test_concurrency_iterative_is_serial_and_the_others_are_not():
    runs = {r["server"]: r for r in experiments.run("concurrency").evidence["servers"]}
    assert all(r["answered"] == r["clients"] for r in runs.values())
    assert runs["iterative"]["served_at_once"] == 1
    assert max(runs["iterative"]["latencies_ms"]) >= runs["iterative"]["clients"] * runs["iterative"]["hold_ms"] * 0.9
    assert all(runs[k]["served_at_once"] == runs[k]["clients"] for k in ("fork", "thread", "select"))


def test_lab_all_finishes_in_under_30_seconds_with_one_verdict_table():
    start = time.monotonic()
    proc = run_netlab("lab", "all", timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 30, elapsed
    table = proc.stdout.split("== verdicts\n", 1)[1].splitlines()
    assert table[0].split() == ["EXPERIMENT", "CLAIM", "SEED", "VERDICT"]
    claims = sum(len(experiments.get(n).claims) for n in experiments.NAMES)
    assert len(table) == 1 + claims


def test_json_and_jsonl_carry_the_same_experiments_and_the_report_is_written(tmp_path):
    out = run_netlab("lab", "udp", "boundaries", "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [r["experiment"] for r in doc] == ["udp", "boundaries"]
    lines = run_netlab("lab", "udp", "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line)["experiment"] for line in lines] == ["udp"]
    report = tmp_path / "lab.md"
    proc = run_netlab("lab", "handshake", "--report", str(report))
    assert proc.returncode == 0 and "report written" in proc.stderr
    text = report.read_text(encoding="utf-8")
    assert "ACK号 = SEQ号 + 传输字节数 + 1" in text and "SYN,ACK seq=K ack=J+1" in text
    assert "**does not hold**" in text


def test_without_privilege_it_runs_on_loopback_and_the_wire_claims_are_not_measured():
    import os
    import subprocess

    from tests.helpers.cli import netlab_argv
    from tests.helpers.env import ROOT, require_tool

    require_tool("setpriv")
    argv = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", *netlab_argv("lab", "handshake", "boundaries",
                                                                               "-f", "json")]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("netlab: note: not root") and "not captured" in proc.stderr
    handshake, boundaries = json.loads(proc.stdout)
    assert handshake["where"] == boundaries["where"] == "loopback" and not handshake["captured"]
    assert {c["verdict"] for c in handshake["claims"]} == {"not_measured"}
    assert handshake["diagram"] is None
    assert {c["claim_id"]: c["verdict"] for c in boundaries["claims"]}["udp_boundaries"] == "holds"


def test_loopback_runs_in_this_namespace_and_says_so():
    proc = run_netlab("lab", "boundaries", "--loopback", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("netlab: note: --loopback: ")
    [result] = json.loads(proc.stdout)
    assert result["where"] == "loopback"
    assert any("loopback" in note for note in result["notes"])


def test_json_and_jsonl_validate_against_netlab_schema_lab():
    from tests.helpers.schemas import json_documents, jsonl_records

    json_documents("lab", run_netlab("lab", "socket-call", "byteorder", "--format", "json").stdout)
    jsonl_records("lab", run_netlab("lab", "udp", "--format", "jsonl").stdout)
    json_documents("lab", run_netlab("lab", "list", "--format", "json").stdout)
    jsonl_records("lab", run_netlab("lab", "list", "--format", "jsonl").stdout)


def test_wait_timewait_watches_the_time_wait_socket_to_its_end():
    """About a minute: TIME-WAIT lasts 60 s (TCP_TIMEWAIT_LEN); the kernel's timer wheel may fire it a little late."""
    proc = run_netlab("lab", "teardown", "--wait-timewait", "-f", "json", timeout=120)
    assert proc.returncode == 0, proc.stderr
    [result] = json.loads(proc.stdout)
    lasted = result["evidence"]["prompt"]["time_wait_lasted_ms"]
    assert 59_000 <= lasted <= 66_000, lasted
    why = {c["claim_id"]: c["why"] for c in result["claims"]}["time_wait_initiator"]
    assert f"lasted {lasted / 1000:.1f} s" in why
