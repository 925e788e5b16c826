"""netlab conns -K (SOCK_DESTROY) and --events (the destroy multicast groups) on real sockets in a namespace."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.helpers.cli import netlab_argv, run_netlab
from tests.helpers.env import ROOT

pytestmark = pytest.mark.privileged


def _env() -> dict:
    import os

    return dict(os.environ, PYTHONPATH=str(ROOT))


def _pair(ns, port: int):
    with ns.inside():
        listener = socket.socket()
        listener.bind(("127.0.0.1", port))
        listener.listen()
        client = socket.create_connection(("127.0.0.1", port), timeout=2)
        server, _ = listener.accept()
    return listener, client, server


def test_kill_closes_what_the_filter_selects_and_lists_it(ns):
    listener, client, server = _pair(ns, 8443)
    other_listener, other_client, other_server = _pair(ns, 9443)
    try:
        proc = run_netlab("conns", "-K", "--format", "json", "dport = :8443", ns=ns)
        assert proc.returncode == 0, proc.stderr
        closed = json.loads(proc.stdout)
        assert [(r["state"], r["remote_port"]) for r in closed] == [("ESTAB", 8443)]
        with pytest.raises(ConnectionAbortedError):  # the kernel closed it under its owner
            client.recv(1)
        other_client.sendall(b"x")  # the socket the filter did not select still works
        assert other_server.recv(1) == b"x"
        left = json.loads(run_netlab("conns", "-ta", "--format", "json", "dport = :8443", ns=ns).stdout)
        assert all(r["local_port"] != closed[0]["local_port"] or r["state"] != "ESTAB" for r in left)
    finally:
        for s in (listener, client, server, other_listener, other_client, other_server):
            s.close()


@pytest.mark.parametrize("args,needle,code", [
    (["-K"], "-K closes every socket it selects and nothing is selected", 2),
    (["-K", "-s", "sport = :1"], "-K lists what it closed", 2),
    (["--events", "--format", "json"], "--events is a stream", 2),
    (["--events", "--watch", "1"], "--events streams closing sockets", 2),
])
def test_refusals(ns, args, needle, code):
    proc = run_netlab("conns", *args, ns=ns)
    assert proc.returncode == code and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr


def test_kill_and_events_need_cap_net_admin(ns):
    """Without CAP_NET_ADMIN: exit 3 and how to get it (capsh drops the capability for one run)."""
    from tests.helpers.env import require_tool

    require_tool("capsh")
    for args in (["-K", "sport = :1"], ["--events"]):
        argv = netlab_argv("conns", *args, ns=ns)
        proc = subprocess.run(["capsh", "--drop=cap_net_admin", "--", "-c", " ".join(map(_quote, argv))],
                              capture_output=True, text=True, timeout=30, env=_env())
        assert proc.returncode == 3, proc.stderr
        assert "needs CAP_NET_ADMIN (run as root, or give netlab CAP_NET_ADMIN)" in proc.stderr


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


def test_events_line_per_closing_socket_with_its_counters(ns):
    listener, client, server = _pair(ns, 7443)
    watcher = subprocess.Popen(netlab_argv("conns", "--events", "--iterations", "2", "--format", "jsonl",
                                           "sport = :7443 or dport = :7443", ns=ns),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        time.sleep(1.0)  # the watcher joins the groups
        client.sendall(b"x" * 1000)
        assert len(server.recv(2000)) == 1000
        client.close()
        server.close()
        out, err = watcher.communicate(timeout=20)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
        listener.close()
    assert watcher.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 2 and all(isinstance(e["time"], float) for e in events)
    ends = {e["local_port"] if e["local_port"] == 7443 else e["remote_port"] for e in events}
    assert ends == {7443}
    sent = [e for e in events if e["remote_port"] == 7443]
    assert sent and sent[0]["tcp_info"]["bytes_acked"] >= 1000  # its last counters


def test_events_end_cleanly_on_ctrl_c(ns):
    watcher = subprocess.Popen(netlab_argv("conns", "--events", ns=ns), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=_env())
    try:
        time.sleep(1.5)
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=10)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 0 and "Traceback" not in err and err == ""
