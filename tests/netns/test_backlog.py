"""`netlab backlog` against the kernel: queue capacities, the SYN queue, abort_on_overflow, the
timeline, watch mode, verdicts, and the host left untouched.

Oracles: ss (Send-Q / Recv-Q of a LISTEN socket, SYN-RECV counts) on listeners the test opens
itself in its own namespace with the same sysctls, and the namespace's counters.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import time

import pytest

from netlab.core import netns, procfs
from netlab.lab.backlog import probes, synqueue
from tests.helpers.cli import netlab_argv, run_netlab
from tests.helpers.env import require_tool, ROOT

pytestmark = pytest.mark.privileged

POINT_KEYS = {
    "mode", "backlog", "somaxconn", "effective_backlog", "connects", "established", "syn_sent", "accept_queue",
    "syn_recv", "counters", "syncookies", "max_syn_backlog", "abort_on_overflow", "half_open_syns", "late_acks",
    "resets", "isolation", "elapsed_ms",
}
# The kernel's counter names in snake_case (the table keeps ListenOverflows... as headers).
COUNTER_KEYS = {"listen_overflows", "listen_drops", "tcp_req_q_full_do_cookies", "tcp_req_q_full_drop",
                "syncookies_sent", "embryonic_rsts", "out_rsts"}


def run_json(*args, ns=None, env=None) -> dict:
    proc = run_netlab("backlog", *args, "--format", "json", ns=ns, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def verdict(report: dict, claim_id: str) -> dict:
    return next(v for v in report["verdicts"] if v["claim_id"] == claim_id)


def ss_listener(ns: netns.Namespace, port: int) -> tuple[int, int]:
    """(Recv-Q, Send-Q) of the LISTEN socket on port, as ss shows it inside ns."""
    out = ns.exec(["ss", "-ltnH", f"sport = :{port}"]).stdout.split()
    return int(out[1]), int(out[2])


def ss_backlog(backlog: int, somaxconn: int) -> int:
    """The backlog ss reports for listen(backlog) in a fresh namespace with that somaxconn."""
    with netns.namespace() as ns:
        ns.sysctl("net.core.somaxconn", somaxconn)
        with ns.inside():
            sock = socket.socket()
        with sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen(backlog)
            return ss_listener(ns, sock.getsockname()[1])[1]


# ---------------------------------------------------------------- probe mode


def test_accept_queue_holds_effective_backlog_plus_one():
    require_tool("ss")
    backlogs, somaxconns, connects = (0, 1, 7, 100, 300), (4096, 50, 3), 350
    report = run_json("-b", ",".join(map(str, backlogs)), "-s", ",".join(map(str, somaxconns)), "-c", str(connects))
    points = report["points"]
    assert report["isolation"] == "namespace"
    assert [(p["backlog"], p["somaxconn"]) for p in points] == [(b, s) for s in somaxconns for b in backlogs]
    for p in points:
        assert p["mode"] == "connect" and p["isolation"] == "namespace"
        # The effective backlog is what ss shows for the same listen() under the same somaxconn.
        assert p["effective_backlog"] == ss_backlog(p["backlog"], p["somaxconn"])
        capacity = p["effective_backlog"] + 1
        assert p["established"] == p["accept_queue"] == capacity
        assert p["syn_sent"] == connects - capacity
        assert p["syn_recv"] == 0  # loopback handshakes complete inside connect()
        # The namespace is private: every dropped SYN is ours, counted once.
        assert p["counters"]["listen_overflows"] == p["counters"]["listen_drops"] == p["syn_sent"]
    by = {(p["backlog"], p["somaxconn"]): p["effective_backlog"] for p in points}
    assert by[(300, 50)] == 50 and by[(300, 3)] == 3 and by[(7, 3)] == 3 and by[(300, 4096)] == 300
    assert verdict(report, "somaxconn_cap")["verdict"] == "holds"
    assert verdict(report, "queues_sum")["verdict"] == "does_not_hold"


def test_host_sysctls_and_namespaces_untouched():
    knobs = ("net.core.somaxconn", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog",
             "net.ipv4.tcp_abort_on_overflow")
    before = procfs.knobs(knobs)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    argv = netlab_argv("backlog", "-b", "4,64", "-s", "8,3", "-c", "20", "--syn-queue", "--syncookies", "0,2",
                       "--max-syn-backlog", "16", "--abort-on-overflow", "-f", "json")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert procfs.knobs(knobs) == before
    assert report["host_sysctls"] == {k: int(v) for k, v in before.items()}
    # Inside the points the values were what was asked for, read back there.
    assert {p["somaxconn"] for p in report["points"] if p["mode"] == "connect"} == {8, 3}
    assert {p["syncookies"] for p in report["points"] if p["mode"] == "syn_queue"} == {0, 2}
    assert {p["max_syn_backlog"] for p in report["points"] if p["mode"] == "syn_queue"} == {16}
    assert {p["abort_on_overflow"] for p in report["points"] if p["mode"] == "abort_on_overflow"} == {0, 1}
    leftovers = [n for n in os.listdir(netns.NETNS_RUN_DIR) if n.startswith(f"netlab-{proc.pid}-")]
    assert leftovers == []


def test_syn_queue_cookies_against_drops():
    report = run_json("--syn-queue", "-b", "16", "-s", "4096", "--syncookies", "0,1",
                      "--max-syn-backlog", "4096,16", "-c", "40")
    sq = {(p["syncookies"], p["max_syn_backlog"]): p for p in report["points"] if p["mode"] == "syn_queue"}
    assert set(sq) == {(0, 4096), (0, 16), (1, 4096), (1, 16)}
    for (cookies, msb), p in sq.items():
        assert p["effective_backlog"] == 16 and p["half_open_syns"] == 40
        c = p["counters"]
        if cookies:
            # The SYN queue holds backlog + 1; real clients still get in through cookies.
            assert p["syn_recv"] == 17
            assert p["established"] == p["accept_queue"] == 17
            assert c["tcp_req_q_full_drop"] == 0
            assert c["syncookies_sent"] == (40 - 17) + 17
        else:
            assert p["established"] == 0 and p["syn_sent"] == 40  # locked out by a full SYN queue
            assert c["syncookies_sent"] == 0
            if msb == 4096:
                assert p["syn_recv"] == 17
                assert c["tcp_req_q_full_drop"] == (40 - 17) + 40
            else:
                assert p["syn_recv"] < 17  # tcp_max_syn_backlog 16 cuts the queue without cookies
                assert c["listen_drops"] == (40 - p["syn_recv"]) + 40
    assert verdict(report, "syn_queue_size")["verdict"] == "partly_holds"
    assert verdict(report, "queues_sum")["verdict"] == "does_not_hold"
    assert "17 half-open + 17 queued = 34 with backlog 16" in verdict(report, "queues_sum")["measured"]


def test_half_open_syns_seen_by_ss(ns):
    """The SYN-RECV count netlab reads is the one ss shows for the same listener."""
    require_tool("ss")
    ns.ip("route", "add", synqueue.UNANSWERED_NET, "dev", "lo")
    with ns.inside():
        listener = probes.open_listener(5)
        port = listener.getsockname()[1]
        synqueue.send_half_open(port, 30)
        state = probes.settle(port)
    with listener:
        lines = ns.exec(["ss", "-tnH", "state", "syn-recv", f"sport = :{port}"]).stdout.splitlines()
        assert state.syn_recv == len(lines) == 6
        assert state.effective_backlog == ss_listener(ns, port)[1] == 5


def test_abort_on_overflow_sends_rst():
    report = run_json("--abort-on-overflow", "-b", "4", "-s", "4096", "-c", "20")
    ab = {p["abort_on_overflow"]: p for p in report["points"] if p["mode"] == "abort_on_overflow"}
    for p in ab.values():
        assert p["late_acks"] == 4
        assert p["accept_queue"] == 5
        assert p["syn_sent"] == 20 - 5 - 4  # plain SYNs meeting the full queue: dropped either way
        assert p["counters"]["listen_overflows"] == p["syn_sent"] + 4
    off, on = ab[0], ab[1]
    assert off["resets"] == 0 and off["counters"]["embryonic_rsts"] == 0
    assert off["syn_recv"] == 4 and off["established"] == 5 + 4  # clients ESTAB, server still SYN-RECV
    assert on["resets"] == 4 and on["counters"]["embryonic_rsts"] == 4 and on["counters"]["out_rsts"] >= 4
    assert on["syn_recv"] == 0 and on["established"] == 5
    assert verdict(report, "ack_moves")["verdict"] == "partly_holds"


def test_timeline_stuck_clients_retransmit_then_complete():
    report = run_json("-b", "0", "-c", "1", "--timeline", "--accept-delay", "0.5", "--timeline-clients", "5")
    t = report["timeline"]
    assert t["effective_backlog"] == 2 and t["clients"] == 5 and t["accept_delay_ms"] == 500
    first, stuck = t["events"][:3], t["events"][3:]
    for e in first:
        assert e["established_ms"] < 500 and e["syn_retransmits"] == 0 and e["retransmit_ms"] == []
    for e in stuck:
        assert e["syn_retransmits"] >= 1 and len(e["retransmit_ms"]) == e["syn_retransmits"]
        assert e["established_ms"] >= 500  # not before the listener made room
        assert e["retransmit_ms"][-1] <= e["established_ms"]
    for e in t["events"]:
        assert e["accepted_ms"] >= 500
    assert t["counters"]["listen_overflows"] >= len(stuck)


def test_ctrl_c_keeps_the_points_measured():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(netlab_argv("backlog", "-b", "3", "-s", "4096", "-c", "10", "--timeline", "-f", "json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.0)  # the point is done, the timeline (about 2 s) is running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["interrupted"] is True and report["timeline"] is None
    assert "interrupted by Ctrl-C after 1 of 1 points (timeline not finished)" in report["notes"]
    (point,) = report["points"]
    assert point["established"] == 4
    assert [n for n in os.listdir(netns.NETNS_RUN_DIR) if n.startswith(f"netlab-{proc.pid}-")] == []


def test_json_keys_pinned():
    report = run_json("-b", "5", "-s", "8", "-c", "10", "--timeline", "--timeline-clients", "3", "--accept-delay", "0")
    assert set(report) == {"kernel", "isolation", "notes", "host_sysctls", "points", "timeline", "verdicts",
                           "elapsed_ms", "interrupted"}
    assert report["interrupted"] is False
    assert report["kernel"] == os.uname().release
    for p in report["points"]:
        assert set(p) == POINT_KEYS
        assert set(p["counters"]) == COUNTER_KEYS
    assert set(report["timeline"]) == {"backlog", "effective_backlog", "clients", "accept_delay_ms", "duration_ms",
                                       "isolation", "counters", "events"}
    assert set(report["timeline"]["events"][0]) == {"client", "local_port", "established_ms", "accepted_ms",
                                                    "syn_retransmits", "retransmit_ms"}
    assert {v["claim_id"] for v in report["verdicts"]} == {"somaxconn_cap", "queues_sum", "syn_queue_size",
                                                           "ack_moves", "usually_5"}
    for v in report["verdicts"]:
        assert set(v) == {"claim_id", "source", "claim", "measured", "verdict", "kernel"}


def test_csv_columns_fixed():
    """One row per point; the columns are the point's keys then every counter, whatever the modes run."""
    import csv

    proc = run_netlab("backlog", "-b", "5", "-c", "10", "-f", "csv")
    assert proc.returncode == 0, proc.stderr
    reader = csv.DictReader(proc.stdout.splitlines())
    assert reader.fieldnames == [
        "mode", "backlog", "somaxconn", "effective_backlog", "connects", "established", "syn_sent", "accept_queue",
        "syn_recv", "syncookies", "max_syn_backlog", "abort_on_overflow", "half_open_syns", "late_acks", "resets",
        "isolation", "elapsed_ms", "listen_overflows", "listen_drops", "tcp_req_q_full_do_cookies",
        "tcp_req_q_full_drop", "syncookies_sent", "embryonic_rsts", "out_rsts"]
    rows = list(reader)
    assert len(rows) == 2  # default somaxconn 4096,8
    assert all(int(r["listen_overflows"]) == int(r["syn_sent"]) for r in rows)


def test_table_shows_figures_and_verdicts():
    proc = run_netlab("backlog", "-b", "5", "-s", "4096", "-c", "20")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"netlab backlog: Linux {os.uname().release}")
    row = next(line.split() for line in lines if line.split()[:2] == ["5", "4096"])
    assert row[2:9] == ["5", "20", "6", "14", "6", "0", "14"]  # effective connects estab syn-sent accept-q syn-recv overflows
    assert any(line.strip().startswith("does not hold") and "together hold at most backlog" in line for line in lines)


# ---------------------------------------------------------------- verdicts follow the measurements


def _listen_in(ns, *backlogs) -> list[socket.socket]:
    socks = []
    with ns.inside():
        for b in backlogs:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(b)
            socks.append(s)
    return socks


def test_usually_five_is_judged_from_the_listeners_present(ns):
    assert verdict(run_json("-b", "5", "-c", "2", ns=ns), "usually_5")["verdict"] == "not_measured"
    socks = _listen_in(ns, 5, 5, 5, 128)
    try:
        v = verdict(run_json("-b", "5", "-c", "2", ns=ns), "usually_5")
        assert v["verdict"] == "holds" and v["measured"].startswith("3 of 4 LISTEN sockets here use 5")
        socks += _listen_in(ns, 4096, 4096, 4096, 4096)
        v = verdict(run_json("-b", "5", "-c", "2", ns=ns), "usually_5")
        assert v["verdict"] == "does_not_hold" and "most common: 4096 (4)" in v["measured"]
    finally:
        for s in socks:
            s.close()


def test_unfilled_queues_are_not_judged():
    report = run_json("-b", "16", "-s", "4096", "-c", "3")
    assert verdict(report, "queues_sum")["verdict"] == "not_measured"
    assert verdict(report, "somaxconn_cap")["verdict"] == "not_measured"  # nothing asked above somaxconn
    assert verdict(report, "syn_queue_size")["verdict"] == "not_measured"


# ---------------------------------------------------------------- without privilege


def _unprivileged(*args):
    require_tool("setpriv")
    argv = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", *netlab_argv("backlog", *args)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)


def test_without_privilege_runs_on_loopback_and_says_what_it_could_not_vary():
    proc = _unprivileged("-b", "0,5", "-c", "20", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["isolation"] == "host"
    host_somaxconn = int(procfs.sysctl("net.core.somaxconn"))
    assert any("somaxconn" in note for note in report["notes"])
    for p in report["points"]:
        assert p["isolation"] == "host" and p["somaxconn"] == host_somaxconn
        assert p["established"] == p["accept_queue"] == p["effective_backlog"] + 1 == p["backlog"] + 1


@pytest.mark.parametrize("args", [["-s", "8"], ["--syn-queue"], ["--abort-on-overflow"]])
def test_without_privilege_sysctl_sweeps_exit_3(args):
    proc = _unprivileged(*args)
    assert proc.returncode == 3
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("netlab: error: ")
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------- watch mode


@pytest.fixture
def full_listener(ns):
    """A listener in ns with backlog 3 and a full accept queue (4 clients), nobody accepting."""
    with ns.inside():
        listener = probes.open_listener(3)
        port = listener.getsockname()[1]
        clients = [probes.connect_nonblocking(port) for _ in range(4)]
    yield ns, listener, port
    probes.close_quietly(clients)
    listener.close()


def test_watch_matches_ss(full_listener):
    require_tool("ss")
    ns, listener, port = full_listener
    proc = run_netlab("backlog", "--watch", "0.1", "--port", str(port), "-n", "2", "-f", "json", ns=ns)
    assert proc.returncode == 0, proc.stderr
    samples = json.loads(proc.stdout)
    assert [s["sample"] for s in samples] == [1, 2]
    assert samples[0]["overflows_per_s"] is None and samples[1]["interval_ms"] > 0
    recv_q, send_q = ss_listener(ns, port)
    with open("/proc/self/comm") as f:
        comm = f.read().strip()
    for s in samples:
        (row,) = s["listeners"]
        assert (row["accept_queue"], row["backlog"]) == (recv_q, send_q) == (4, 3)
        assert row["full"] is True and row["fill_pct"] == 100.0 and row["peak_accept_queue"] == 4
        assert (row["pid"], row["process"]) == (os.getpid(), comm)
        assert set(row) == {"local_addr", "local_port", "pid", "process", "accept_queue", "backlog", "fill_pct",
                            "peak_accept_queue", "full"}


def _popen_watch(ns, seconds, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(netlab_argv("backlog", "--watch", seconds, *args, ns=ns), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _readline(proc, timeout=10.0) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no output from the watch"
    return proc.stdout.readline()


def test_watch_counts_overflow_rate(full_listener):
    ns, listener, port = full_listener
    proc = _popen_watch(ns, "0.5", "--port", str(port), "-n", "2", "-f", "jsonl")
    extra = []
    try:
        first = json.loads(_readline(proc))
        assert first["listen_overflows"] is None
        with ns.inside():  # five more SYNs meet the full queue between the two samples
            extra = [probes.connect_nonblocking(port) for _ in range(5)]
        second = json.loads(_readline(proc))
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        probes.close_quietly(extra)
    assert second["listen_overflows"] == 5 and second["listen_drops"] == 5
    assert second["overflows_per_s"] == round(5 / (second["interval_ms"] / 1000), 1)


def test_watch_ctrl_c_prints_summary_and_exits_0(full_listener):
    ns, listener, port = full_listener
    proc = _popen_watch(ns, "0.1", "--port", str(port))
    try:
        assert "sample 1" in _readline(proc)
        time.sleep(0.25)
        os.kill(proc.pid, signal.SIGINT)  # `ip netns exec` execs python: the PID is netlab's
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("--- ") and "accept queue full at 127.0.0.1:" in summary


def test_watch_pid_keeps_only_that_process(full_listener):
    ns, listener, port = full_listener
    child = ns.popen(["python3", "-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                                       "s.listen(7); print(s.getsockname()[1], flush=True); time.sleep(30)"],
                     stdout=subprocess.PIPE, text=True)
    try:
        child_port = int(child.stdout.readline())
        proc = run_netlab("backlog", "--watch", "1", "--pid", str(child.pid), "-n", "1", "-f", "json", ns=ns)
        assert proc.returncode == 0, proc.stderr
        (row,) = json.loads(proc.stdout)[0]["listeners"]
        assert (row["local_port"], row["backlog"], row["pid"]) == (child_port, 7, child.pid)
    finally:
        child.kill()
        child.wait()


def test_watch_nothing_listening_exits_1(ns):
    proc = run_netlab("backlog", "--watch", "0.1", "-n", "1", ns=ns)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "netlab: error: no LISTEN socket for this namespace (is the server running?)"


# ---------------------------------------------------------------- a closed pipe


def test_probe_into_a_closed_pipe_ends_quietly():
    """`netlab backlog | head -0`: the reader is gone before the table is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(netlab_argv("backlog", "-b", "5", "-c", "10"), stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("fmt", ["table", "jsonl"])
def test_watch_into_head_1_ends_quietly(full_listener, fmt):
    """`netlab backlog --watch 0.05 | head -1`: a watch without -n ends, exit 0, once its reader goes."""
    ns, listener, port = full_listener
    proc = _popen_watch(ns, "0.05", "--port", str(port), "-f", fmt)
    try:
        assert _readline(proc).strip()
        proc.stdout.close()  # what head does after its line
        assert proc.wait(timeout=10) == 0
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert err == ""
