"""`netlab ping` with bad input: one line on stderr, the documented exit code, never a traceback."""

from __future__ import annotations

import sys

import pytest

from tests.helpers.cli import run_netlab


def assert_one_line_error(proc, code: int, *words: str):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("netlab: error: ")
    assert "Traceback" not in proc.stderr + proc.stdout
    for word in words:
        assert word in lines[0]


def assert_safe_advice(stderr: str):
    """No capability on an interpreter: in a venv python links to the system's, shared by every script."""
    assert "setcap" not in stderr and "python" not in stderr.lower(), stderr


@pytest.mark.parametrize("args,words", [
    (["-c", "0"], ["invalid -c/--count '0' (give an integer from 1 to 2147483647)"]),
    (["-c", "\uff11"], ["invalid -c/--count '\uff11'"]),  # int() reads the full-width 1 as 1
    (["-s", "70000"], ["invalid -s/--size '70000' (give an integer from 0 to 65527)"]),
    (["-4", "-s", "65508"], ["invalid packet size 65508", "0 to 65507"]),  # IPv4's limit: with the family
    (["-i", "-1"], ["invalid -i/--interval '-1' (give seconds from 0 to 2147483)"]),
    (["-c", "abc"], ["invalid -c/--count 'abc'"]),
    (["-i", "1e300"], ["invalid -i/--interval '1e300'"]),
    (["-i", "inf"], ["invalid -i/--interval 'inf'"]),
    (["-i", "nan"], ["invalid -i/--interval 'nan'"]),
    (["-i", "3000000"], ["invalid -i/--interval '3000000'"]),  # iputils: past INT_MAX milliseconds
    (["--tcp", "9", "-i", "inf"], ["invalid -i/--interval 'inf'"]),
    (["-i", "-inf"], ["invalid -i/--interval '-inf'"]),
    (["-W", "inf"], ["invalid -W/--timeout 'inf' (give seconds from 0 to 2147483)"]),
    (["-W", "nan"], ["invalid -W/--timeout 'nan'"]),
    (["--tcp", "9", "-W", "nan"], ["invalid -W/--timeout 'nan'"]),
    (["-W", "3000000"], ["invalid -W/--timeout '3000000'"]),
    (["-w", "1e300"], ["invalid -w/--deadline '1e300' (give seconds from 0 to 2147483647)"]),
    (["-w", "nan"], ["invalid -w/--deadline 'nan'"]),
    (["-w", "inf"], ["invalid -w/--deadline 'inf'"]),
    (["-c", "inf"], ["invalid -c/--count 'inf'"]),
    (["-c", "nan"], ["invalid -c/--count 'nan'"]),
    (["-t", "300"], ["invalid -t/--ttl '300' (give an integer from 1 to 255)"]),
    (["-t", "0"], ["invalid -t/--ttl '0' (give an integer from 1 to 255)"]),
    (["--tcp", "9", "-t", "0"], ["invalid -t/--ttl '0'"]),
    (["-Q", "256"], ["invalid -Q/--tos '256' (give an integer from 0 to 255, decimal or 0x hex)"]),
    (["-Q", "0x\uff11"], ["invalid -Q/--tos '0x\uff11'"]),
    (["--tcp", "0"], ["invalid --tcp '0' (give an integer from 1 to 65535)"]),
    (["-I", "\udcff"], ["invalid -I/--interface '\\xff' (not valid UTF-8)"]),
    (["-I", ""], ["invalid -I/--interface '' (give an interface name or a local address)"]),  # was ignored: exit 0
    (["-M", "\r"], ["invalid -M argument: \\r"]),  # a control character is shown, not obeyed
    (["-p", "\udcff"], ["invalid -p/--pattern '\\xff' (not valid UTF-8)"]),
    (["-4", "-6"], ["-4"]),
    (["--tcp", "9", "-s", "100"], ["-s", "TCP"]),
    (["--tcp", "9", "-p", "ff"], ["-p", "TCP"]),
    (["--tcp", "9", "-M", "do"], ["-M", "TCP"]),
    (["--tcp", "9", "-I", "10.255.255.254"], ["source address"]),  # not ours: refused before any probe
    (["--format", "xml"], ["unknown format 'xml' (use table, json, jsonl or csv)"]),
    (["-M", "maybe"], ["-M"]),
    (["-p", "xyz"], ["hex"]),
    (["-I", "nosuchif0"], ["iface"]),
    (["--no-such-option"], ["netlab ping --help"]),
])
def test_bad_option_values(args, words):
    assert_one_line_error(run_netlab("ping", *args, "127.0.0.1"), 2, *words)


@pytest.mark.parametrize("host,words", [
    # iputils 20221126 answers each with "ping: HOST: Name or service not known" and exit 2
    ("fe80::1%nosuchif", ["fe80::1%nosuchif: Name or service not known"]),  # a gaierror once: exit 70
    ("a" * 300, ["a" * 300 + ": Name or service not known"]),  # Python's IDNA codec: UnicodeError
    ("a" * 64 + ".example", [": Name or service not known"]),  # a label past 63 characters
    ("\udcff\udcfe", ["invalid HOST '\\xff\\xfe' (not valid UTF-8)"]),  # non-UTF-8 bytes: iputils exits 2 too
])
def test_hosts_no_resolver_can_take_are_one_line_exit_2(host, words):
    assert_one_line_error(run_netlab("ping", "-c", "1", "-W", "1", host), 2, *words)


def test_unknown_host_exit_2_without_dns():
    assert_one_line_error(run_netlab("ping", "-c", "1", "nonexistent.invalid"), 2, "nonexistent.invalid")


def test_no_host_is_usage_error():
    proc = run_netlab("ping")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def _without_caps(*args: str) -> list[str]:
    # uid 0 stays, every capability goes: like an ordinary user, minus file permissions.
    return ["setpriv", "--bounding-set=-all", "--inh-caps=-all", sys.executable, "-m", "netlab", *args]


@pytest.mark.privileged
def test_no_privilege_exit_3_with_hint():
    import os
    import subprocess

    from tests.helpers.env import require_tool, ROOT
    require_tool("setpriv")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # The host namespace's ping_group_range is not ours to change: run in a fresh
    # namespace where it is the kernel default "1 0" (nobody admitted).
    from netlab.core import netns
    with netns.namespace() as ns:
        assert ns.sysctl("net.ipv4.ping_group_range").split() == ["1", "0"]
        proc = subprocess.run(["ip", "netns", "exec", ns.name, *_without_caps("ping", "-c", "1", "127.0.0.1")],
                              capture_output=True, text=True, timeout=30, env=env)
        assert_one_line_error(proc, 3, "ping_group_range", "CAP_NET_RAW", "--tcp",
                              f'sudo sysctl -w net.ipv4.ping_group_range="{os.getgid()} {os.getgid()}"')
        assert_safe_advice(proc.stderr)
        proc = subprocess.run(["ip", "netns", "exec", ns.name, *_without_caps("ping", "-c", "1", "-i", "0.001", "127.0.0.1")],
                              capture_output=True, text=True, timeout=30, env=env)
        assert_one_line_error(proc, 2, "minimal interval allowed for user is 2ms")


def _assert_each_repeat_pinged(*args: str):
    """fping's rule, in both modes: a repeated address is a target each time it is named,
    with its own probes and its own row (`fping -c 1 127.0.0.1 127.0.0.1` pings it twice)."""
    proc = run_netlab("ping", "-c", "2", "-i", "0.01", *args, "127.0.0.1", "localhost", "127.0.0.1")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    rows = [line.split() for line in proc.stdout.splitlines() if " 127.0.0.1 " in f" {line} "][-3:]
    assert [row[:5] for row in rows] == [["127.0.0.1", "127.0.0.1", "2", "2", "0%"],
                                         ["localhost", "127.0.0.1", "2", "2", "0%"],
                                         ["127.0.0.1", "127.0.0.1", "2", "2", "0%"]], proc.stdout


@pytest.mark.privileged  # an ICMP socket: root, CAP_NET_RAW or ping_group_range
def test_repeated_address_is_pinged_each_time():
    _assert_each_repeat_pinged()


def test_repeated_address_is_pinged_each_time_tcp():
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        _assert_each_repeat_pinged("--tcp", str(listener.getsockname()[1]))


def _assert_closed_pipe_ends_quietly(*args: str):
    import subprocess

    from tests.helpers.env import ROOT
    script = f"PYTHONPATH={ROOT} {sys.executable} -m netlab ping {' '.join(args)} | head -2; echo rc=${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert proc.stdout.splitlines()[-1] == "rc=0"
    assert proc.stderr == ""


@pytest.mark.privileged  # an ICMP socket: root, CAP_NET_RAW or ping_group_range
def test_closed_pipe_ends_quietly():
    _assert_closed_pipe_ends_quietly("-c", "20", "-i", "0.01", "127.0.0.1")


def test_closed_pipe_ends_quietly_tcp():
    import socket

    with socket.socket() as closed:  # bound, never listening: every probe gets an RST line
        closed.bind(("127.0.0.1", 0))
        _assert_closed_pipe_ends_quietly("--tcp", str(closed.getsockname()[1]), "-c", "20", "-i", "0.01", "127.0.0.1")


CSV_COLUMNS = ["host", "address", "transmitted", "received", "duplicates", "errors", "loss_pct",
               "rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "rtt_mdev_ms"]


def _tcp_ping(fmt: str, port: int, *hosts: str) -> list:
    """`netlab ping --tcp` to loopback in ``fmt``, stdout parsed: it must parse whole."""
    import csv
    import json

    proc = run_netlab("ping", "--tcp", str(port), "-c", "2", "-i", "0.05", "-W", "1", "--format", fmt, *hosts)
    assert "Traceback" not in proc.stderr
    if fmt == "json":
        return json.loads(proc.stdout)
    if fmt == "jsonl":
        return [json.loads(line) for line in proc.stdout.splitlines()]
    reader = csv.DictReader(proc.stdout.splitlines())
    assert reader.fieldnames == CSV_COLUMNS
    return list(reader)


def test_every_format_parses_tcp():
    """json, jsonl and csv of one run, two hosts: each parses whole; times are float epochs, RTTs rtt_ms."""
    import socket
    import time

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        a, b = _tcp_ping("json", port, "127.0.0.1", "localhost")
        events = _tcp_ping("jsonl", port, "127.0.0.1", "localhost")
        rows = _tcp_ping("csv", port, "127.0.0.1", "localhost")
    assert (a["host"], b["host"], a["received"], b["received"]) == ("127.0.0.1", "localhost", 2, 2)
    assert all(isinstance(r["rtt_ms"], float) for r in a["replies"] + b["replies"])
    assert {r["ttl"] for r in a["replies"]} == {None}  # a TCP ping sees no TTL: null, not -1
    assert sorted(e["type"] for e in events) == ["reply"] * 4 + ["summary"] * 2
    for e in events:
        assert isinstance(e["time"], float) and abs(e["time"] - time.time()) < 60, e
    assert all(isinstance(e["rtt_ms"], float) for e in events if e["type"] == "reply")
    assert [(r["host"], r["transmitted"], r["received"], float(r["loss_pct"])) for r in rows] == \
           [("127.0.0.1", "2", "2", 0.0), ("localhost", "2", "2", 0.0)]
    assert all(float(r["rtt_min_ms"]) <= float(r["rtt_max_ms"]) for r in rows)


def test_csv_without_replies_leaves_rtt_cells_empty():
    import socket

    with socket.socket() as closed:  # bound, never listening: every probe is refused
        closed.bind(("127.0.0.1", 0))
        (row,) = _tcp_ping("csv", closed.getsockname()[1], "127.0.0.1")
    assert (row["transmitted"], row["received"], row["errors"]) == ("2", "0", "2")
    assert row["rtt_min_ms"] == row["rtt_avg_ms"] == row["rtt_max_ms"] == row["rtt_mdev_ms"] == ""
