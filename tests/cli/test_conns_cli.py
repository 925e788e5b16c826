"""netlab conns as a user meets it: bad input, non-root, watch, pipes, start-up."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from tests.helpers.cli import run_netlab

from tests.helpers.env import ROOT


@pytest.mark.parametrize("args,needle", [
    (["--state", "sleeping"], "unknown state 'sleeping'"),
    (["--port", "70000"], "invalid --port 70000"),
    (["--sport", "-3"], "invalid --sport"),
    (["--src", "300.1.1.1"], "invalid address '300.1.1.1'"),
    (["--dst", "10.0.0.0/99"], "invalid address"),
    (["--user", "no-such-user-x"], "unknown user 'no-such-user-x'"),
    (["--pid", "0"], "invalid --pid '0' (give an integer from 1 to 4194304)"),
    (["--pid", "4194304"], "no process with pid 4194304"),
    (["--pid", "abc"], "abc"),
    (["--sport", "\u00b2"], "invalid --sport '\u00b2'"),
    (["--dport", "\uff11"], "invalid --dport '\uff11'"),
    (["--user", "\u00b2"], "unknown user '\u00b2'"),
    (["--pid", "\uff11"], "invalid --pid '\uff11' (give an integer from 1 to 4194304)"),  # int() reads it as 1
    (["--pid", "\u00b2"], "invalid --pid '\u00b2'"),
    # argv bytes that are not UTF-8 reach Python as surrogate escapes; subprocess sends the bytes
    (["--sport", "\udcff\udcfe"], "invalid --sport '\\xff\\xfe' (not valid UTF-8)"),
    (["--user", "\udcff"], "invalid --user '\\xff' (not valid UTF-8)"),
    (["--process", "\udcff"], "invalid --process '\\xff' (not valid UTF-8)"),
    (["--src", "\udcff"], "invalid --src '\\xff' (not valid UTF-8)"),
    (["--format", "\udcff"], "invalid --format '\\xff' (not valid UTF-8)"),
    (["--process", "no-such-process-x"], "no process named"),
    (["--format", "yaml"], "unknown format 'yaml' (use table, json, jsonl or csv)"),
    (["--sort", "colour"], "unknown sort key 'colour'"),
    (["--user", "9" * 5000], "invalid uid 99999999999999999999... (a uid is 0 to 4294967294)"),  # was exit 70
    (["--user", "4294967295"], "invalid uid 4294967295"),
    (["--process", "x\ry"], "no process named 'x\\ry'"),
    (["--sort", ""], "invalid --sort '' (give sort keys, such as recv_q or -pid)"),  # sorted nothing: exit 0
    (["--watch", "0"], "invalid --watch"),
    (["--watch", "0", "--iterations", "2"], "invalid --watch '0' (give seconds from 0.01 to 86400)"),
    (["--watch", "inf", "--iterations", "2"], "invalid --watch 'inf' (give seconds from 0.01 to 86400)"),
    (["--watch", "nan", "--iterations", "2"], "invalid --watch 'nan' (give seconds from 0.01 to 86400)"),
    (["--watch", "nan"], "invalid --watch 'nan' (give seconds from 0.01 to 86400)"),
    (["--watch", "-1"], "invalid --watch '-1' (give seconds from 0.01 to 86400)"),
    (["--watch", "1e999"], "invalid --watch '1e999' (give seconds from 0.01 to 86400)"),
    (["--watch", "1", "--iterations", "0"], "invalid --iterations '0' (give an integer from 1 to 2147483647)"),
    (["--watch", "1", "--iterations", "\uff12"], "invalid --iterations '\uff12' (give an integer from 1 to 2147483647)"),
    (["--iterations", "2"], "--iterations needs --watch"),
    (["--top", "3"], "--top needs --count-by"),
    (["--count-by", "colour"], "unknown --count-by key 'colour'"),
    (["--count-by", "remote_net/129"], "unknown --count-by key 'remote_net/129'"),
    (["--count-by", "state", "-s"], "--count-by and -s count differently"),
    (["--count-by", "state", "--top", "0"], "invalid --top '0'"),
    (["--port", "80", "--port", "99999"], "invalid --port 99999"),
    (["state", "nosuch"], "wrong state name 'nosuch'"),
    (["(", "sport", "=", ":22"], "bad filter"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle):
    proc = run_netlab("conns", *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netlab: error: ") and needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_muscle_memory_flags_combine():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        proc = run_netlab("conns", "-tanp")
        assert proc.returncode == 0
        assert f"127.0.0.1:{listener.getsockname()[1]}" in proc.stdout
        assert run_netlab("conns", "-tlnp").returncode == 0
    finally:
        listener.close()


def test_csv_has_header_and_rows():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        proc = run_netlab("conns", "-tl", "--format", "csv", "--sport", str(listener.getsockname()[1]))
        lines = proc.stdout.splitlines()
        assert lines[0].startswith("proto,family,state,local_addr,local_port")
        assert lines[1].startswith("tcp,inet,LISTEN,127.0.0.1,")
    finally:
        listener.close()


def test_watch_redraws_and_stops():
    proc = run_netlab("conns", "-tl", "--watch", "0.1", "--iterations", "3")
    assert proc.returncode == 0
    assert proc.stdout.count("netlab conns, every 0.1s") == 3


def test_watch_table_has_a_banner_per_redraw():
    proc = run_netlab("conns", "-tl", "--watch", "0.05", "--iterations", "2")
    assert proc.returncode == 0, proc.stderr
    redraws = proc.stdout.split("\n\n")
    assert redraws[-1] == "" and len(redraws) == 3
    for redraw in redraws[:2]:
        banner, header = redraw.splitlines()[:2]
        assert banner.startswith("netlab conns, every 0.05s, ") and header.startswith("Netid")


def test_watch_json_is_a_stream_of_documents_alone():
    """No banner on stdout: each redraw is one JSON array, so jq (or raw_decode) reads the stream."""
    proc = run_netlab("conns", "-tl", "--watch", "0.05", "--iterations", "2", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    decoder, text, at, documents = json.JSONDecoder(), proc.stdout, 0, []
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    assert len(documents) == 2 and all(isinstance(d, list) for d in documents)
    assert proc.stdout.endswith("]\n")


def test_watch_csv_writes_one_header_and_a_time_column():
    proc = run_netlab("conns", "-tl", "--watch", "0.05", "--iterations", "2", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert "netlab conns" not in proc.stdout
    assert proc.stdout.count("proto,family,state,") == 1
    assert proc.stdout.startswith("time,proto,family,state,")


def test_watch_ends_with_exit_0_on_ctrl_c():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "netlab", "conns", "-tl", "--watch", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("netlab conns, every 0.2s")
        proc.send_signal(2)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err


def test_closed_pipe_ends_quietly():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(f"{sys.executable} -m netlab conns -x --format json | head -c 10",
                         shell=True, capture_output=True, text=True, env=env, timeout=30)
    assert out.stderr == ""


@pytest.mark.parametrize("args", ["-a", "-a --watch 0.1 --iterations 50"])
def test_head_ends_it_quietly_with_exit_0(args):
    """`netlab conns | head -1`: the reader goes away; netlab ends with 0 and says nothing."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(["bash", "-c", f"{sys.executable} -m netlab conns {args} | head -1; exit ${{PIPESTATUS[0]}}"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert (out.returncode, out.stderr) == (0, "")
    assert len(out.stdout.splitlines()) == 1


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_watch_with_stdout_closed_is_one_line_exit_2(fmt):
    """Nothing can be shown: said once (not once per redraw), exit 2, as coreutils do."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(["bash", "-c", f"{sys.executable} -m netlab conns -l --watch 0.05 --iterations 2 --format {fmt} >&-"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 2
    assert out.stderr.splitlines() == ["netlab: error: cannot write the output: Bad file descriptor "
                                       "(standard output is closed; give it a file or a pipe)"]


def test_non_root_sees_own_sockets_and_a_note(tmp_path):
    """As uid 65534: own processes show their pid, others are hidden with a note."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to switch to another user")
    # CAP_DAC_READ_SEARCH only lets the interpreter under /root be reached; it grants
    # no access to other users' /proc/PID/fd (that needs ptrace rights).
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    holder = subprocess.Popen(drop + [sys.executable, "-c",
                              "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(1);"
                              "print(s.getsockname()[1], flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    root_listener = socket.socket()
    root_listener.bind(("127.0.0.1", 0))
    root_listener.listen(1)
    try:
        port = int(holder.stdout.readline())
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run(drop + [sys.executable, "-m", "netlab", "conns", "-tl", "--format", "json"],
                              capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        records = {r["local_port"]: r for r in json.loads(proc.stdout)}
        assert records[port]["pid"] == holder.pid
        assert records[root_listener.getsockname()[1]]["pid"] is None
        assert "netlab: note: " in proc.stderr and "hidden" in proc.stderr
    finally:
        root_listener.close()
        holder.stdin.close()
        holder.wait(timeout=5)


def test_resolve_shows_names_from_the_hosts_file():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        numeric = run_netlab("conns", "-tl", "--sport", str(port)).stdout
        named = run_netlab("conns", "-tlr", "--sport", str(port)).stdout
        assert f"127.0.0.1:{port}" in numeric
        assert f"localhost:{port}" in named
    finally:
        listener.close()


# The output contract (docs/output.md): every format parses, stdout holds it alone.

def _parsed(fmt: str, stdout: str) -> list:
    """stdout read as a script reads it: every record of the format, or an assertion."""
    import csv
    import io

    if fmt == "json":
        decoder, docs, pos = json.JSONDecoder(), [], 0
        while pos < len(stdout.rstrip()):
            doc, pos = decoder.raw_decode(stdout, pos)
            docs.append(doc)
            pos = len(stdout) - len(stdout[pos:].lstrip())
        return docs
    if fmt == "jsonl":
        return [json.loads(line) for line in stdout.splitlines()]
    rows = list(csv.reader(io.StringIO(stdout)))
    assert rows and all(len(row) == len(rows[0]) for row in rows), stdout
    return [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    try:
        yield sock
    finally:
        sock.close()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
@pytest.mark.parametrize("extra", [[], ["-e", "-i"], ["-s"], ["--watch", "0.2", "--iterations", "2"],
                                   ["-s", "--watch", "0.2", "--iterations", "2"], ["-x"]])
def test_every_format_parses_alone(fmt, extra, listener):
    proc = run_netlab("conns", *extra, "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    records = _parsed(fmt, proc.stdout)
    watching = "--watch" in extra
    if fmt == "json":
        assert len(records) == (2 if watching else 1)
    elif watching:  # every jsonl line and csv row says when its redraw was taken
        assert records and all(float(r["time"]) > 1.5e9 for r in records)


def test_jsonl_is_one_socket_per_line_with_time_under_watch(listener):
    port = listener.getsockname()[1]
    once = run_netlab("conns", "--sport", str(port), "--format", "jsonl")
    assert once.returncode == 0, once.stderr
    (rec,) = [json.loads(line) for line in once.stdout.splitlines()]
    assert rec["local_port"] == port and rec["state"] == "LISTEN" and "time" not in rec
    watched = run_netlab("conns", "--sport", str(port), "--format", "jsonl", "--watch", "0.2", "--iterations", "2")
    lines = [json.loads(line) for line in watched.stdout.splitlines()]
    assert len(lines) == 2 and lines[0]["time"] < lines[1]["time"]
    assert {k: v for k, v in lines[0].items() if k not in ("time", "owners")} == \
        {k: v for k, v in rec.items() if k != "owners"}


def test_jsonl_and_csv_of_nothing_print_nothing():
    for fmt in ("jsonl",):
        proc = run_netlab("conns", "--sport", "1", "--state", "listening", "--format", fmt)
        assert proc.returncode == 0 and proc.stdout == ""
    proc = run_netlab("conns", "--sport", "1", "--state", "listening", "--format", "csv")
    assert proc.stdout.startswith("proto,family,state,") and proc.stdout.count("\n") == 1


def test_csv_columns_are_fixed_per_options(listener):
    import csv
    import io

    from netlab.conns.engine import Conn

    empty = run_netlab("conns", "--sport", "1", "--format", "csv").stdout
    some = run_netlab("conns", "-tl", "--format", "csv").stdout
    header = next(csv.reader(io.StringIO(empty)))
    assert header == list(Conn.BASE_KEYS)
    assert next(csv.reader(io.StringIO(some))) == [*Conn.BASE_KEYS, "accept_fill_pct"]  # -l adds the fill
    extended = next(csv.reader(io.StringIO(run_netlab("conns", "-x", "-e", "-i", "--format", "csv").stdout)))
    assert extended == [*Conn.BASE_KEYS, *Conn.UNIX_KEYS, *Conn.EXTENDED_KEYS, *Conn.INFO_KEYS]


def test_summary_csv_has_every_state_zero_when_absent():
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(run_netlab("conns", "-s", "--format", "csv").stdout)))
    from netlab.conns.text import SUMMARY_STATES

    assert [r["proto"] for r in rows] == ["tcp", "udp", "raw", "unix"]
    for r in rows:
        assert list(r)[4:] == list(SUMMARY_STATES)
        assert sum(int(r[s]) for s in SUMMARY_STATES) == int(r["total"])
    assert rows[1]["ESTAB"].isdigit() and rows[2]["TIME-WAIT"] == "0"


@pytest.mark.skipif(os.geteuid() != 0, reason="other processes' descriptors need root")
def test_every_owner_of_a_shared_socket(listener):
    port = listener.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], pass_fds=[listener.fileno()])
    try:
        proc = run_netlab("conns", "--sport", str(port), "--format", "json")
        table = run_netlab("conns", "--sport", str(port)).stdout
    finally:
        child.kill()
        child.wait()
    (rec,) = json.loads(proc.stdout)
    owners = rec["owners"]
    assert sorted(o["pid"] for o in owners) == sorted([os.getpid(), child.pid])
    assert all(o["fd"] == listener.fileno() and o["user"] == "root" and o["process"] for o in owners)
    first = min(owners, key=lambda o: o["pid"])
    assert (rec["pid"], rec["process"]) == (first["pid"], first["process"])
    assert f"{first['pid']}/{first['process']} (+1)" in table


def test_timer_is_a_name_and_durations_are_ms_floats(listener):
    port = listener.getsockname()[1]
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    try:
        info = json.loads(run_netlab("conns", "-i", "--sport", str(port), "--state", "established",
                                     "--format", "json").stdout)
        client.close()  # the active closer waits in TIME-WAIT
        server.close()
        tw = json.loads(run_netlab("conns", "-e", "--state", "time-wait", "--dport", str(port),
                                   "--format", "json").stdout)
    finally:
        client.close()
        server.close()
    ti = info[0]["tcp_info"]
    assert not [k for k in ti if k.endswith("_us")]
    assert isinstance(ti["rtt_ms"], float) and ti["rtt_ms"] > 0 and isinstance(ti["rttvar_ms"], float)
    (rec,) = tw
    assert rec["timer"] == "timewait" and isinstance(rec["expires_ms"], float) and rec["expires_ms"] > 0
