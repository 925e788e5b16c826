"""netlab conns against ss on a known population of sockets in a private namespace."""

from __future__ import annotations

import json
import re
import socket
import time
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import run_netlab

from tests.helpers.env import require_tool

pytestmark = pytest.mark.privileged

POPULATION = Path(__file__).parents[1] / "helpers" / "population.py"


@pytest.fixture
def population(ns, tmp_path):
    """(namespace, facts) with the population process running inside the namespace."""
    proc = ns.popen([sys.executable, str(POPULATION), str(tmp_path / "u.sock")],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, "population process died"
        yield ns, json.loads(line)
    finally:
        proc.stdin.close()
        proc.wait(timeout=5)


def _split_endpoint(text: str) -> tuple[str, int]:
    addr, _, port = text.rpartition(":")
    addr = addr.strip("[]").split("%")[0]
    return addr, 0 if port == "*" else int(port)


def ss_sockets(ns) -> dict[tuple, dict]:
    """ss -tuwxanpH parsed into {(netid, state, local, peer): {recv_q, send_q, pid}}."""
    require_tool("ss")
    out = ns.exec(["ss", "-tuwxanpH"]).stdout
    table = {}
    for line in out.splitlines():
        fields = line.split()
        netid, state, rq, sq = fields[:4]
        if netid.startswith("u_"):
            local, peer = (fields[4], int(fields[5])), ("*", int(fields[7]))
            rest = fields[8:]
        else:
            local, peer = _split_endpoint(fields[4]), _split_endpoint(fields[5])
            rest = fields[6:]
        pids = re.findall(r"pid=(\d+)", " ".join(rest))
        users = re.findall(r'\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)', " ".join(rest))
        table[(netid, state, local, peer)] = {"recv_q": int(rq), "send_q": int(sq),
                                             "pid": int(pids[0]) if pids else None,
                                             "owners": sorted((int(p), int(f), n) for n, p, f in users)}
    return table


_NETID = {"stream": "u_str", "dgram": "u_dgr", "seqpacket": "u_seq"}


def netlab_sockets(ns, *args) -> dict[tuple, dict]:
    proc = run_netlab("conns", *args, "--format", "json", ns=ns)
    assert proc.returncode == 0, proc.stderr
    table = {}
    for rec in json.loads(proc.stdout):
        if rec["proto"] == "unix":
            key = (_NETID[rec["unix_type"]], rec["state"], (rec["local_addr"] or "*", rec["inode"]),
                   ("*", rec["peer_inode"] or 0))
        else:
            key = (rec["proto"], rec["state"], (rec["local_addr"], rec["local_port"]),
                   (rec["remote_addr"], rec["remote_port"]))
        table[key] = {"recv_q": rec["recv_q"], "send_q": rec["send_q"], "pid": rec["pid"], "record": rec}
    return table


def test_same_sockets_states_queues_and_pids_as_ss(population):
    ns, facts = population
    ours = netlab_sockets(ns, "-tuwxa")
    theirs = ss_sockets(ns)
    # ss only lists raw sockets where the kernel has raw_diag; netlab falls back to /proc.
    ss_has_raw = any(k[0] == "raw" for k in theirs)
    compared = {k: v for k, v in ours.items() if k[0] != "raw" or ss_has_raw}
    assert set(compared) == set(theirs)
    for key, want in theirs.items():
        got = compared[key]
        assert (got["recv_q"], got["send_q"], got["pid"]) == (want["recv_q"], want["send_q"], want["pid"]), key
    raw = [v["record"] for k, v in ours.items() if k[0] == "raw"]
    assert [(r["inode"], r["local_port"], r["pid"]) for r in raw] == [(facts["raw_inode"], 1, facts["pid"])]


SHARED = """
import socket, subprocess, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
kids = [subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE,
                         pass_fds=[s.fileno()]) for _ in range(3)]
print(s.getsockname()[1], flush=True)
sys.stdin.read()
for k in kids:
    k.stdin.close(); k.wait()
"""


def test_every_owner_as_ss_lists_them(ns):
    """A socket four processes hold: JSON lists all four (pid, process, fd) as ss -p does."""
    proc = ns.popen([sys.executable, "-c", SHARED], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        ours = netlab_sockets(ns, "-tuwxa")
        theirs = ss_sockets(ns)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    shared = ("tcp", "LISTEN", ("127.0.0.1", port), ("0.0.0.0", 0))
    assert len(theirs[shared]["owners"]) == 4
    for key, want in theirs.items():
        rec = ours[key]["record"]
        assert sorted((o["pid"], o["fd"], o["process"]) for o in rec["owners"]) == want["owners"], key
        assert all(o["user"] == "root" for o in rec["owners"])
        if rec["owners"]:
            assert (rec["pid"], rec["process"]) == (rec["owners"][0]["pid"], rec["owners"][0]["process"])


def test_c_and_python_code_list_the_same(population, monkeypatch):
    """The C walk and dump (netlab._speedups) against the pure-Python twins, in one process."""
    from netlab.conns import Query, list_connections
    from netlab.core import diag, owners

    ns, facts = population
    query = Query(protocols=("tcp", "udp", "raw", "unix"))
    with ns.inside():
        assert owners.prefetch() == (owners._speedups is not None)
        with_c = list_connections(query).conns
        monkeypatch.setattr(diag, "_speedups", None)
        monkeypatch.setattr(owners, "_speedups", None)
        pure = list_connections(query).conns
    def records(conns):
        key = lambda c: (c.proto, c.family, c.state, c.inode, c.local_port or 0, c.remote_port or 0)  # noqa: E731
        # all but expires_ms, which ticks between the two dumps (TIME-WAIT)
        return [{k: v for k, v in c.as_dict(extended=True).items() if k != "expires_ms"} for c in sorted(conns, key=key)]

    assert records(with_c) == records(pure)
    assert sum(c.pid == facts["pid"] for c in with_c) >= 10


def test_known_population_values(population):
    ns, facts = population
    ours = [v["record"] for v in netlab_sockets(ns, "-tuwxa").values()]
    listeners = {r["local_port"]: r for r in ours if r["state"] == "LISTEN" and r["proto"] == "tcp"}
    # LISTEN: Recv-Q is the accept queue, Send-Q the backlog; a full queue holds backlog + 1.
    assert (listeners[facts["small_port"]]["recv_q"], listeners[facts["small_port"]]["send_q"]) == (6, 5)
    assert listeners[facts["big_port"]]["send_q"] == 128
    assert all(r["pid"] == facts["pid"] for r in listeners.values())
    tw = [r for r in ours if r["state"] == "TIME-WAIT"]
    assert [(r["local_port"], r["pid"], r["inode"]) for r in tw] == [(facts["tw_port"], None, 0)]
    udp = {r["local_port"]: r for r in ours if r["proto"] == "udp"}
    assert udp[facts["udp_bound_port"]]["state"] == "UNCONN" and udp[facts["udp_bound_port"]]["recv_q"] > 0
    assert udp[facts["udp_conn_port"]]["state"] == "ESTAB"
    unix = [r for r in ours if r["proto"] == "unix"]
    assert {(r["unix_type"], r["state"]) for r in unix} >= {("stream", "LISTEN"), ("stream", "ESTAB"), ("dgram", "UNCONN")}
    assert any(r["local_addr"] and r["local_addr"].startswith("@netlab-test-") for r in unix)


def test_json_keys_are_the_contract(population):
    ns, _ = population
    proc = run_netlab("conns", "-tuwxa", "--format", "json", ns=ns)
    records = json.loads(proc.stdout)
    base = ["proto", "family", "state", "local_addr", "local_port", "remote_addr", "remote_port",
            "recv_q", "send_q", "uid", "inode", "pid", "process", "user", "owners"]
    for rec in records:
        expected = base + (["unix_type", "peer_inode"] if rec["proto"] == "unix" else [])
        assert list(rec) == expected
        assert rec["proto"] in ("tcp", "udp", "raw", "unix")
        assert rec["family"] in ("inet", "inet6", "unix")
        assert rec["state"] in ("LISTEN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
                                "TIME-WAIT", "CLOSE", "CLOSE-WAIT", "LAST-ACK", "CLOSING", "UNCONN")


def test_filters_select_what_ss_selects(population):
    ns, facts = population
    big = str(facts["big_port"])
    cases = [
        (["-tl"], ["-tlnp"]),
        (["-t", "--state", "time-wait"], ["-tanp", "state", "time-wait"]),
        (["-t", "--state", "connected"], ["-tanp", "state", "connected"]),
        (["-t", "--state", "bucket"], ["-tanp", "state", "bucket"]),
        (["-ta", "--sport", big], ["-tanp", f"sport = :{big}"]),
        (["-ta", "--dport", big], ["-tanp", f"dport = :{big}"]),
        (["-ta", "--port", big], ["-tanp", f"( sport = :{big} or dport = :{big} )"]),
        (["-ta", "-6"], ["-tanp6"]),
        (["-ta", "--src", "::1/128"], ["-tanp", "src", "[::1]"]),
        (["-ua"], ["-uanp"]),
        (["-xa"], ["-xanp"]),
    ]
    for ours_args, ss_args in cases:
        ours = netlab_sockets(ns, *ours_args)
        out = ns.exec(["ss", "-H", *ss_args]).stdout
        want = set()
        for line in out.splitlines():
            fields = line.split()
            if ss_args[0].startswith("-x"):
                want.add(int(fields[-4] if "users:" in line else fields[-3]))
            else:
                # ss drops the Netid column for one protocol and State for one state:
                # the endpoints are the first two fields holding a colon.
                local, peer = [f for f in fields if ":" in f and not f.startswith("users:")][:2]
                want.add((_split_endpoint(local), _split_endpoint(peer)))
        if ss_args[0].startswith("-x"):
            got = {k[2][1] for k in ours}
        else:
            got = {(k[2], k[3]) for k in ours}
        assert got == want, (ours_args, ss_args)


def test_pid_process_and_user_filters(population):
    ns, facts = population
    by_pid = netlab_sockets(ns, "-tuwxa", "--pid", str(facts["pid"]))
    assert by_pid and all(v["pid"] == facts["pid"] for v in by_pid.values())
    by_name = netlab_sockets(ns, "-tuwxa", "--process", "python*")
    assert set(by_name) == set(by_pid)
    by_user = netlab_sockets(ns, "-ta", "--user", "root")
    assert len(by_user) == len(netlab_sockets(ns, "-ta"))


def test_summary_counts_match_the_listing(population):
    ns, _ = population
    proc = run_netlab("conns", "-s", "--format", "json", ns=ns)
    summary = json.loads(proc.stdout)
    listing = json.loads(run_netlab("conns", "-tuwxa", "--format", "json", ns=ns).stdout)
    assert summary["total"] == len(listing)
    for proto in summary["protocols"]:
        mine = [r for r in listing if r["proto"] == proto["proto"]]
        assert proto["total"] == len(mine)
        states = {}
        for r in mine:
            states[r["state"]] = states.get(r["state"], 0) + 1
        assert proto["states"] == states


def test_table_output_like_ss(population):
    ns, facts = population
    proc = run_netlab("conns", "-tanp", "--sort", "local", ns=ns)
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["Netid", "State", "Recv-Q", "Send-Q"]
    small = [line for line in lines if f"127.0.0.1:{facts['small_port']} " in line and "LISTEN" in line]
    assert len(small) == 1
    assert small[0].split()[:6] == ["tcp", "LISTEN", "6", "5", f"127.0.0.1:{facts['small_port']}", "0.0.0.0:*"]
    assert small[0].split()[-1] == f"{facts['pid']}/python3" or small[0].split()[-1].startswith(f"{facts['pid']}/")


def test_tcp_info_for_established(population):
    ns, facts = population
    proc = run_netlab("conns", "-ti", "--state", "established", "--format", "json", ns=ns)
    records = json.loads(proc.stdout)
    assert records
    for rec in records:
        info = rec["tcp_info"]
        assert info["state"] == 1 and info["snd_cwnd"] > 0 and info["rtt_ms"] > 0
    sender = [r for r in records if r["remote_port"] == facts["big_port"] and r["local_addr"] == "127.0.0.1"]
    assert any(r["tcp_info"]["bytes_acked"] >= 1000 for r in sender)


def test_syn_recv_request_sockets_are_listed_like_ss(ns):
    """Half-open handshakes (SYN queue entries) appear in the default listing, as in ss."""
    from netlab.lab.backlog.synqueue import UNANSWERED_NET, send_half_open

    ns.ip("route", "add", UNANSWERED_NET, "dev", "lo")
    with ns.inside():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        send_half_open(port, 3)
    try:
        time.sleep(0.1)
        ours = {(k[2], k[3]) for k in netlab_sockets(ns, "-ta") if k[1] == "SYN-RECV"}
        out = ns.exec(["ss", "-Htan", "state", "syn-recv"]).stdout
        theirs = set()
        for line in out.splitlines():
            local, peer = [f for f in line.split() if ":" in f][:2]
            theirs.add((_split_endpoint(local), _split_endpoint(peer)))
        assert len(ours) == 3 and ours == theirs
        assert all(local == ("127.0.0.1", port) for local, _ in ours)
    finally:
        listener.close()


@pytest.mark.parametrize("protocols", [("tcp",), ("tcp", "udp"), ("udp",)])
def test_plain_table_is_the_records_table(population, protocols):
    """netlab.conns.plain (the C table, none of the records' code) against the table of the records,
    the walk run ahead as the CLI starts it."""
    from netlab.conns import Query, list_connections, plain, text
    from netlab.core import owners

    ns, facts = population
    with ns.inside():
        owners.prefetch()
        answer = plain.table(protocols, ("inet", "inet6"))
        records = list(list_connections(Query(protocols=protocols)).conns)
        headless = plain.table(protocols, ("inet", "inet6"), header=False)  # -H; a dump and walk of its own
    assert answer is not None
    table, notes = answer
    assert notes == []  # root: every process looked at
    assert table == text.listing_text(records, "table")
    assert headless == (table.partition("\n")[2], [])
    if "tcp" in protocols:
        assert any(f":{facts['small_port']} " in line and f"{facts['pid']}/" in line for line in table.splitlines())


def test_packed_dump_lists_in_the_order_of_the_dump(population):
    """TCP of both families in one pass of the kernel's tables (af 0), then IPv4 first: the order of
    the two dumps, one per family, that the records' reader asks for (and ss)."""
    from netlab.core import diag

    ns, _ = population
    with ns.inside():
        packed = diag.packed_records(diag.dump_packed(("tcp", "udp"), ("inet", "inet6")))
        records = diag.dump(("tcp", "udp"), ("inet", "inet6"))
    def order(socks):
        return [(s.proto, s.family, s.state, s.inode, s.local_port, s.remote_port) for s in socks]

    assert order(packed) == order(records)
    assert {s.family for s in packed if s.proto == "tcp"} == {"inet", "inet6"}
