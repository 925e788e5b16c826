"""netlab ping --tcp: -I, -Q, -c with -w, and many probes in flight under a small descriptor limit."""

from __future__ import annotations

import os
import re
import socket
import subprocess

import pytest

from tests.helpers.cli import netlab_argv, run_netlab

from tests.helpers.env import ROOT

COUNTS = re.compile(r"^(\d+) packets transmitted, (\d+) received(?:, \+\d+ duplicates)?(?:, \+(\d+) errors)?", re.M)


def counts(stdout: str) -> tuple[int, int, int]:
    m = COUNTS.search(stdout)
    assert m, stdout
    return tuple(int(g or 0) for g in m.groups())


def test_source_address_is_bound_on_loopback():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(5)
        port = server.getsockname()[1]
        proc = run_netlab("ping", "--tcp", str(port), "-c", "1", "-I", "127.0.0.2", "127.0.0.1")
        assert proc.returncode == 0, proc.stderr
        conn, peer = server.accept()  # the handshake completed in the kernel; it waits in the queue
        conn.close()
        assert peer[0] == "127.0.0.2"


SILENT = "table inet t {\n chain in {\n type filter hook input priority 0;\n tcp dport 8082 drop\n }\n}\n"


@pytest.mark.privileged
def test_count_with_deadline_counts_answers_like_icmp_mode(veth):
    veth.b.nft(SILENT)
    proc = run_netlab("ping", "--tcp", "8082", "-c", "2", "-i", "0.2", "-w", "1", "-W", "0.3", "10.77.0.2", ns=veth.a)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    sent, received, _ = counts(proc.stdout)
    assert received == 0 and sent >= 4  # kept probing until -w: 5 probes in 1 s at 0.2 s, not 2


@pytest.mark.privileged
@pytest.mark.parametrize("address,match", [("10.77.0.2", "ip dscp cs1"), ("fd77::2", "ip6 dscp cs1")])
def test_tos_is_applied(veth, address, match):
    # Only a SYN carrying TOS / traffic class 0x20 (DSCP CS1) gets its RST: the others go unanswered.
    veth.b.nft("table inet q {\n chain in {\n type filter hook input priority 0;\n"
               f" tcp dport 8083 {match} reject with tcp reset\n tcp dport 8083 drop\n }}\n}}\n")
    marked = run_netlab("ping", "--tcp", "8083", "-c", "1", "-W", "0.5", "-Q", "0x20", address, ns=veth.a)
    assert counts(marked.stdout) == (1, 0, 1), marked.stdout + marked.stderr
    plain = run_netlab("ping", "--tcp", "8083", "-c", "1", "-W", "0.5", address, ns=veth.a)
    assert counts(plain.stdout) == (1, 0, 0), plain.stdout + plain.stderr


@pytest.mark.privileged
def test_probes_wait_for_a_descriptor_instead_of_failing(veth):
    """300 probes at 2 ms that each hold a socket for 1 s, with only 256 descriptors."""
    veth.b.nft(SILENT)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    argv = " ".join(netlab_argv("ping", "--tcp", "8082", "-i", "0.002", "-W", "1", "-c", "300", "-q", "10.77.0.2"))
    proc = subprocess.run(["ip", "netns", "exec", veth.a.name, "bash", "-c", f"ulimit -n 256 && exec {argv}"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert "Traceback" not in proc.stderr and "Too many open files" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert counts(proc.stdout) == (300, 0, 0)


@pytest.mark.privileged
def test_outstanding_report_in_tcp_mode(veth):
    """-O, as in ICMP mode: a probe still unanswered when the next one leaves is reported."""
    veth.b.nft(SILENT)
    proc = run_netlab("ping", "--tcp", "8082", "-c", "3", "-i", "0.2", "-W", "1", "-O", "10.77.0.2", ns=veth.a)
    assert proc.returncode == 1, proc.stderr
    assert re.findall(r"^no answer yet for tcp_seq=(\d+)$", proc.stdout, re.M) == ["1", "2"]
    assert counts(proc.stdout) == (3, 0, 0)
    # answered probes are never reported
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        answered = run_netlab("ping", "--tcp", str(server.getsockname()[1]), "-c", "3", "-i", "0.2", "-O", "127.0.0.1")
    assert answered.returncode == 0 and "no answer yet" not in answered.stdout, answered.stdout


def test_a_script_gets_the_verdict_the_cli_exits_with():
    """The API's exit_status() is the CLI's exit code: a listener answers, a closed port refuses."""
    from netlab.errors import ExitStatus
    from netlab.ping import PingOptions, resolve, session

    with socket.socket() as server, socket.socket() as closed:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        closed.bind(("127.0.0.1", 0))  # bound, never listening: an RST, no reply
        for port, expected in ((server.getsockname()[1], ExitStatus.OK), (closed.getsockname()[1], ExitStatus.NEGATIVE)):
            pinger = session([resolve("127.0.0.1")], PingOptions(count=1, tcp_port=port).validate())
            try:
                for _ in pinger.run():
                    pass
                assert pinger.exit_status() is expected
            finally:
                pinger.close()
            proc = run_netlab("ping", "--tcp", str(port), "-c", "1", "127.0.0.1")
            assert proc.returncode == expected, proc.stderr
