"""--tcp PORT --syn: the half-open probe, against a real listener in a namespace.

What a user must see: a SYN-ACK per probe from a port that listens, while the
application there never accepts a connection (its accept() stays empty, where
the connect() mode hands it one per probe); a RST from a closed port is
"Connection refused (RST)"; silence (nftables drops the SYN) is a timeout.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.helpers.cli import run_netlab
from tests.netns.test_ping_netns import counts

pytestmark = pytest.mark.privileged

# A listener that reports, when asked on stdin, how many connections it accepted.
LISTENER = """
import select, socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)
s.bind((sys.argv[1], 8080)); s.listen(64); s.setblocking(False)
print('ready', flush=True)
accepted = 0
while True:
    ready, _, _ = select.select([s, sys.stdin], [], [], 30)
    if not ready:
        break
    if s in ready:
        try:
            s.accept(); accepted += 1
        except BlockingIOError:
            pass
    if sys.stdin in ready:
        sys.stdin.readline()
        print(accepted, flush=True)
"""


def _listener(ns, address):
    proc = ns.popen([sys.executable, "-c", LISTENER, address], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _accepted(proc) -> int:
    proc.stdin.write("?\n")
    proc.stdin.flush()
    return int(proc.stdout.readline())


@pytest.mark.parametrize("address", ["10.77.0.2", "fd77::2"])
def test_syn_probe_gets_syn_ack_and_the_application_never_sees_it(veth, address):
    server = _listener(veth.b, address)
    try:
        syn = run_netlab("ping", "--tcp", "8080", "--syn", "-c", "3", "-i", "0.05", address, ns=veth.a)
        assert syn.returncode == 0, syn.stderr
        lines = re.findall(rf"^SYN-ACK from {re.escape(address)} port 8080: tcp_seq=(\d) ttl=64 time=[\d.]+ ms$",
                           syn.stdout, re.M)
        assert lines == ["1", "2", "3"], syn.stdout
        assert counts(syn.stdout) == (3, 3, 0, 0)
        assert _accepted(server) == 0  # half-open: nothing reached accept()
        connect = run_netlab("ping", "--tcp", "8080", "-c", "3", "-i", "0.05", address, ns=veth.a)
        assert connect.returncode == 0 and _accepted(server) == 3  # the connect() mode: one connection a probe
    finally:
        server.kill()
        server.wait()


def test_syn_probe_refused_and_silent(veth):
    refused = run_netlab("ping", "--tcp", "8081", "--syn", "-c", "2", "-i", "0.05", "10.77.0.2", ns=veth.a)
    assert refused.returncode == 1 and refused.stdout.count("From 10.77.0.2 tcp_seq=") == 2
    assert refused.stdout.count("Connection refused (RST)") == 2 and counts(refused.stdout) == (2, 0, 0, 2)
    veth.b.nft("table inet t {\n chain in {\n type filter hook input priority 0;\n tcp dport 8082 drop\n }\n}\n")
    silent = run_netlab("ping", "--tcp", "8082", "--syn", "-c", "2", "-i", "0.05", "-W", "0.3", "10.77.0.2", ns=veth.a)
    assert silent.returncode == 1 and silent.stdout.count("timed out after 0.3s") == 2
    assert counts(silent.stdout) == (2, 0, 0, 0)


def test_syn_needs_tcp_and_privilege(veth):
    proc = run_netlab("ping", "--syn", "-c", "1", "10.77.0.2", ns=veth.a)
    assert proc.returncode == 2 and "--syn needs --tcp PORT" in proc.stderr
    # Without CAP_NET_RAW (capsh drops it from the bounding and effective sets): exit 3, one line.
    capsh = subprocess.run(["sh", "-c", "command -v capsh"], capture_output=True, text=True)
    if not capsh.stdout.strip():
        pytest.skip("capsh is not installed")
    import os
    from tests.helpers.cli import netlab_argv
    from tests.helpers.env import ROOT

    argv = " ".join(netlab_argv("ping", "--tcp", "8080", "--syn", "-c", "1", "10.77.0.2"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    dropped = subprocess.run(["ip", "netns", "exec", veth.a.name, "capsh", "--drop=cap_net_raw", "--", "-c", argv],
                             capture_output=True, text=True, env=env, timeout=30)
    assert dropped.returncode == 3, dropped.stderr
    assert dropped.stderr.startswith("netlab: error: --syn sends raw TCP segments") and dropped.stderr.count("\n") == 1
