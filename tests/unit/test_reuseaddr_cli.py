"""netlab reuseaddr-demo: bad input is one line on stderr, exit 2, no traceback; nothing is run."""

from __future__ import annotations

import pytest

from tests.conftest import run_netlab


@pytest.mark.parametrize("args,what", [
    (["--scenario", "no-such"], "unknown scenario 'no-such' (one of: server-closes-first"),
    (["--format", "xml"], "unknown format 'xml'"),
    (["--port", "70000"], "invalid port 70000"),
    (["--port", "0"], "invalid port 0"),
    (["--port", "http"], "Invalid value for '--port'"),
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
