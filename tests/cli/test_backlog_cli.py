"""`netlab backlog` bad input: one line on stderr, the documented exit code, never a traceback."""

from __future__ import annotations

import pytest

from tests.helpers.cli import listed_commands, run_netlab

BAD_INPUT = [
    (["-c", "-5"], "invalid -c/--connects '-5' (give an integer from 1 to 20000)"),
    (["-c", "0"], "invalid -c/--connects '0' (give an integer from 1 to 20000)"),
    (["-b", "70000"], "invalid -b/--backlog '70000' (give integers from 0 to 65535, separated by commas)"),
    (["-b", "0,65536"], "invalid -b/--backlog '0,65536' (give integers from 0 to 65535, separated by commas)"),
    (["-b", "5,x"], "invalid -b/--backlog '5,x' (give integers from 0 to 65535, separated by commas)"),
    (["-b", "5,\uff15"], "invalid -b/--backlog '5,\uff15'"),  # int() reads the full-width 5 as 5
    (["-b", "1_000"], "invalid -b/--backlog '1_000'"),  # and 1_000 as 1000
    (["-b", ""], "invalid -b/--backlog ''"),
    (["-s", "-1"], "invalid -s/--somaxconn '-1' (give integers from 0 to 65535, separated by commas)"),
    (["--syncookies", "0"], "add --syn-queue"),
    (["--syn-queue", "--syncookies", "3"], "invalid --syncookies '3' (give integers from 0 to 2, separated by commas)"),
    (["-f", "xml"], "unknown format 'xml' (use table, json or csv)"),
    (["--port", "80"], "--port needs --watch"),
    (["--accept-delay", "1"], "add --timeline"),
    (["--timeline", "--accept-delay", "9"], "invalid --accept-delay '9' (give seconds from 0 to 6)"),
    (["--timeline", "--accept-delay", "nan"], "invalid --accept-delay 'nan' (give seconds from 0 to 6)"),
    (["--watch", "1", "--port", "70000"], "invalid -p/--port '70000' (give an integer from 0 to 65535)"),
    (["--watch", "1", "--pid", "0"], "invalid --pid '0' (give an integer from 1 to 4194304)"),
    (["--watch", "1", "--pid", "999999999"], "invalid --pid '999999999' (give an integer from 1 to 4194304)"),
    (["--watch", "1", "--pid", "4194304"], "no process 4194304"),
    (["--watch", "1", "-b", "5"], "--backlog does not apply to --watch"),
    (["--watch", "1", "-n", "0"], "invalid -n/--iterations '0' (give an integer from 1 to 2147483647)"),
    (["-n", "3"], "--iterations needs --watch (add --watch SECONDS)"),
    (["--watch", "0.001"], "invalid -w/--watch '0.001' (give seconds from 0.05 to 3600)"),
    (["--watch", "4000"], "invalid -w/--watch '4000' (give seconds from 0.05 to 3600)"),
    (["--watch", "0"], "invalid -w/--watch '0'"),
    (["--watch", "-1"], "invalid -w/--watch '-1'"),
    (["--watch", "inf"], "invalid -w/--watch 'inf'"),
    (["--watch", "nan"], "invalid -w/--watch 'nan'"),
    (["--watch"], "Option '--watch' requires an argument"),  # a flag no more: --watch SECONDS
    (["--watch", "1", "-i", "0.5"], "No such option '-i'"),  # --watch SECONDS replaced --watch -i SECONDS
    (["--watch", "1", "-f", "xml"], "unknown format 'xml' for --watch (use table, json, jsonl or csv)"),
    (["--no-such-option"], "No such option"),
]


@pytest.mark.parametrize("args,message", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_exit_2(args, message):
    proc = run_netlab("backlog", *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("netlab: error: ")
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_help_names_both_modes():
    proc = run_netlab("backlog", "--help")
    assert proc.returncode == 0
    for option in ("--backlog", "--somaxconn", "--connects", "--syn-queue", "--abort-on-overflow", "--timeline",
                   "--watch", "--iterations"):
        assert option in proc.stdout
    assert "backlog" in listed_commands(run_netlab("--help").stdout)


def test_watch_ends_when_the_process_exits():
    """--pid: the samples taken are printed, then one line and exit 1 once the server is gone."""
    import json
    import subprocess
    import sys

    server = subprocess.Popen([sys.executable, "-c", "import socket,sys,time; s=socket.socket(); "
                               "s.bind(('127.0.0.1',0)); s.listen(7); print(s.getsockname()[1], flush=True); "
                               "time.sleep(3)"], stdout=subprocess.PIPE, text=True)  # outlives netlab's start-up, even on a busy machine
    try:
        port = int(server.stdout.readline())
        proc = run_netlab("backlog", "--watch", "0.2", "--pid", str(server.pid), "-f", "json")
    finally:
        server.kill()
        server.wait()
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith(f"netlab: error: process {server.pid} exited during the watch")
    samples = json.loads(proc.stdout)
    assert samples and all(s["listeners"][0]["local_port"] == port for s in samples if s["listeners"])
    assert samples[0]["listeners"][0]["backlog"] == 7


WATCH_CSV_COLUMNS = ["sample", "time", "interval_ms", "listen_overflows", "listen_drops", "overflows_per_s",
                     "drops_per_s", "local_addr", "local_port", "pid", "process", "accept_queue", "backlog",
                     "fill_pct", "peak_accept_queue", "full"]


@pytest.fixture
def listener():
    """A server process listening on a loopback port (backlog 7); its port."""
    import subprocess
    import sys

    server = subprocess.Popen([sys.executable, "-c", "import socket,time; s=socket.socket(); "
                               "s.bind(('127.0.0.1',0)); s.listen(7); print(s.getsockname()[1], flush=True); "
                               "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        yield int(server.stdout.readline())
    finally:
        server.kill()
        server.wait()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_watch_every_format_parses(listener, fmt):
    """--watch 0.2 -n 2 in each format: stdout holds the format alone, two samples, time a float epoch."""
    import csv
    import json
    import time

    proc = run_netlab("backlog", "--watch", "0.2", "-n", "2", "--port", str(listener), "-f", fmt)
    assert proc.returncode == 0, proc.stderr
    if fmt == "table":
        assert proc.stdout.count("ListenOverflows") == 3  # two samples and the summary keep the kernel's names
        return
    if fmt == "json":
        samples = json.loads(proc.stdout)
    elif fmt == "jsonl":
        samples = [json.loads(line) for line in proc.stdout.splitlines()]
    else:
        reader = csv.DictReader(proc.stdout.splitlines())
        assert reader.fieldnames == WATCH_CSV_COLUMNS
        samples = list(reader)
        assert [row["full"] for row in samples] == ["false", "false"]
        assert samples[0]["interval_ms"] == samples[0]["listen_overflows"] == ""  # the first has no previous
        assert [int(row["local_port"]) for row in samples] == [listener, listener]
    assert [int(s["sample"]) for s in samples] == [1, 2]
    assert all(abs(float(s["time"]) - time.time()) < 60 for s in samples)
    if fmt != "csv":
        assert all(isinstance(s["time"], float) for s in samples)
        assert samples[1]["listen_overflows"] == 0 and "ListenOverflows" not in samples[1]
