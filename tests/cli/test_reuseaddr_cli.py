"""netlab reuseaddr-demo: bad input is one line on stderr, exit 2, no traceback; nothing is run."""

from __future__ import annotations

import pytest

from tests.helpers.cli import run_netlab


@pytest.mark.parametrize("args,what", [
    (["--scenario", "no-such"], "unknown scenario 'no-such' (one of: server-closes-first"),
    (["--format", "xml"], "unknown format 'xml' (use table, json, jsonl or csv)"),
    (["--port", "70000"], "invalid -p/--port '70000' (give an integer from 1 to 65535)"),
    (["--port", "0"], "invalid -p/--port '0' (give an integer from 1 to 65535)"),
    (["--port", "http"], "invalid -p/--port 'http' (give an integer from 1 to 65535)"),
    (["--addr", "\udcff"], "invalid -a/--addr '\\xff' (not valid UTF-8)"),
    (["--scenario", "\udcff"], "invalid -s/--scenario '\\xff' (not valid UTF-8)"),
    (["--addr", "192.0.2.1"], "address 192.0.2.1 is not a loopback address"),
    (["--addr", "not-an-ip"], "invalid address 'not-an-ip'"),
    (["-6", "--addr", "127.0.0.1"], "-6 with the IPv4 address 127.0.0.1"),
    (["--no-such-option"], "--no-such-option"),
])
def test_bad_input_is_one_line_exit_2(args, what):
    proc = run_netlab("reuseaddr-demo", *args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("netlab: error: ")
    assert what in lines[0]
    assert proc.stdout == ""


def test_help_names_every_scenario():
    proc = run_netlab("reuseaddr-demo", "--help")
    assert proc.returncode == 0
    for name in ("server-closes-first", "server-killed", "server-killed-unread", "client-closes-first",
                 "listener-alive", "both-reuseaddr", "reuseport", "--wait-timewait"):
        assert name in proc.stdout


# A failing experiment (the port taken, a server process that does not answer, a refused
# connection) is the machine's doing: one line and exit 2, like any NetlabError, never
# "internal error" (70). Real processes and sockets on loopback, ephemeral ports.

def _held_port() -> "socket.socket":
    import socket

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    return holder


def test_server_that_cannot_listen_is_one_line_exit_2():
    from netlab.errors import ExitStatus
    from netlab.lab.serverproc import ServerFailed, ServerProcess

    holder = _held_port()
    port = holder.getsockname()[1]
    server = ServerProcess("inet", "127.0.0.1", port)
    try:
        with pytest.raises(ServerFailed) as err:
            server.start()
    finally:
        server.stop()
        holder.close()
    assert err.value.exit_code == ExitStatus.USAGE
    assert err.value.one_line() == (f"netlab: error: the server process could not listen on port {port}: "
                                    "Address already in use (another program may hold the port; choose one with --port)")
    assert server.proc.poll() is not None  # reaped, not left behind


def test_server_that_does_not_answer_in_time_is_one_line_and_is_killed():
    from netlab.errors import ExitStatus
    from netlab.lab.serverproc import ServerProblem, ServerProcess

    server = ServerProcess("inet", "127.0.0.1", 0)
    with pytest.raises(ServerProblem) as err:
        server.start(timeout=0.0)  # no process answers in no time
    assert err.value.exit_code == ExitStatus.USAGE
    assert err.value.one_line() == (f"netlab: error: the server process {server.pid} did not answer within 0.0 s "
                                    "(the machine may be too busy; try again)")
    assert server.proc.poll() is not None


def test_refused_client_connection_is_one_line_exit_2():
    from netlab.errors import EnvironmentProblem, ExitStatus
    from netlab.lab import reuseaddr
    from netlab.lab.reuseaddr import actions

    holder = _held_port()
    port = holder.getsockname()[1]
    holder.close()  # nobody listens there now
    site = reuseaddr.Site("inet", "127.0.0.1", "127.0.0.1", port, "loopback")
    with pytest.raises(EnvironmentProblem) as err:
        actions.connect(site)
    assert err.value.exit_code == ExitStatus.USAGE
    assert err.value.one_line() == (f"netlab: error: the experiment's client could not connect to 127.0.0.1:{port}: "
                                    "Connection refused (the machine may be too busy; try again)")


def test_timewait_probe_on_a_taken_port_is_one_line_exit_2():
    from netlab.errors import EnvironmentProblem, ExitStatus
    from netlab.lab import reuseaddr
    from netlab.lab.reuseaddr import timewait

    holder = _held_port()
    port = holder.getsockname()[1]
    try:
        with pytest.raises(EnvironmentProblem) as err:
            timewait._two_connections(reuseaddr.Site("inet", "127.0.0.1", "127.0.0.1", port, "loopback"))
    finally:
        holder.close()
    assert err.value.exit_code == ExitStatus.USAGE
    assert err.value.one_line() == (f"netlab: error: TIME-WAIT probe on port {port}: the probe's connections could "
                                    "not be made: Address already in use (the machine may be too busy; try again)")
