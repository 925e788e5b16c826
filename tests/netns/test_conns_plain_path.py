"""The plain listing's path (netlab.conns.plain, the C table) prints what the records' path prints.

Both paths run on the same sockets of a private namespace; the records' path is
reached with --sort proto, which changes nothing in these listings' order (one
protocol) but is not a plain listing. The plain path must also start without
the records' modules (dataclasses above all): -X importtime says what came in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers.cli import netlab_argv, run_netlab
from tests.helpers.env import ROOT
from tests.netns.test_conns_filter_vs_ss import crowd  # noqa: F401 (a fixture: every state a namespace holds)

pytestmark = pytest.mark.privileged


def _imported(ns, *args: str) -> set[str]:
    """The modules `netlab ARGS` imports in the namespace (python -X importtime)."""
    argv = netlab_argv(*args, ns=ns)
    python = argv.index(sys.executable)
    argv[python + 1:python + 1] = ["-X", "importtime"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


@pytest.mark.parametrize("options", [["-tanp"], ["-tan"], ["-tan", "-H"], ["-uan", "-4"], ["-an"]])
def test_an_empty_listing_is_the_header_alone_without_the_records(ns, options):
    plain = run_netlab("conns", *options, ns=ns)
    records = run_netlab("conns", *options, "--sort", "proto", ns=ns)
    assert plain.returncode == records.returncode == 0, (plain.stderr, records.stderr)
    assert (plain.stdout, plain.stderr) == (records.stdout, records.stderr)
    want = "\n" if "-H" in options else "Netid  State  Recv-Q  Send-Q  Local Address:Port  Peer Address:Port  User  PID/Program\n"
    assert plain.stdout == want
    assert "dataclasses" not in _imported(ns, "conns", *options)


# A process holding a TCP listener and a UDP socket under a name of bytes a JSON encoder must
# escape (quote, backslash, line break, control, DEL, UTF-8, no UTF-8), with a child (forked: both
# own the sockets) of a name past the BMP; ODD_UID's holds one as a uid without a passwd entry.
ODD_OWNER = r"""
import ctypes, os, signal, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME, PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 15, 1, 4
if "ODD_UID" in os.environ:  # started as root (python lives under /root), then that uid's
    os.setuid(int(os.environ["ODD_UID"]))
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # else /proc/PID stays root's: ps would show root
keep = [socket.socket(), socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)]
keep[0].bind(("127.0.0.1", 0))
keep[0].listen()
keep[1].bind(("::1", 0))
libc.prctl(PR_SET_NAME, bytes.fromhex(sys.argv[1]), 0, 0, 0)
if sys.argv[2:]:
    named, told = os.pipe()  # ready once the child has its name too
    if os.fork() == 0:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # it goes with its parent
        libc.prctl(PR_SET_NAME, bytes.fromhex(sys.argv[2]), 0, 0, 0)
        os.write(told, b".")
        signal.pause()
    os.read(named, 1)
print("ready", flush=True)
sys.stdin.read()
"""
ODD_NAME = b'a"b\\c\n\x01\x7f\xc3\xa9\xff'
CHILD_NAME = b"ch\t\xf0\x9f\x98\x80"


def _free_uid() -> int:
    import pwd

    uid = 4242
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


@pytest.fixture
def odd_crowd(crowd, procs):
    """The filter tests' crowd (every state a namespace can hold) and the odd owners above."""
    uid = _free_uid()
    started = [procs.popen(crowd, [sys.executable, "-c", ODD_OWNER, ODD_NAME.hex(), CHILD_NAME.hex()],
                           stdin=subprocess.PIPE, text=True),
               procs.popen(crowd, [sys.executable, "-c", ODD_OWNER, b"odd uid".hex()], stdin=subprocess.PIPE,
                           text=True, env=dict(os.environ, ODD_UID=str(uid)))]
    for proc in started:
        assert proc.stdout.readline() == "ready\n", proc.stderr.read()
    yield crowd, uid
    for proc in started:
        proc.stdin.close()


@pytest.mark.parametrize("protocols", [("tcp",), ("tcp", "udp"), ("udp",)])
def test_json_of_the_packed_dump_is_the_records_json(odd_crowd, protocols):
    """netlab.conns.plain.inet_json (C, from the dump and the walk) against the records' dicts as
    netlab.output writes them (orjson's json, json.dumps's jsonl), and json.dumps's json (no orjson)."""
    from netlab import output
    from netlab.conns import Query, list_connections, plain, text
    from netlab.core import owners

    ns, uid = odd_crowd
    with ns.inside():
        owners.prefetch()
        packed = list_connections(Query(protocols=protocols)).conns
        fast = {lines: plain.inet_json(packed.packed, packed.walk, lines).decode() for lines in (False, True)}
        no_orjson = plain._speedups.inet_json(packed.packed, packed.walk, plain.user_name, plain.process_user,
                                              plain.STATE_NAMES, False, True).decode()
        records = list(packed)  # the records' path: a list, no PackedConns
    assert fast[False] == text.listing_text(records, "json") == output.to_json([c.as_dict() for c in records])
    assert fast[True] == text.listing_text(records, "jsonl")
    assert no_orjson == json.dumps([c.as_dict() for c in records], indent=2)
    # the population is what it claims: every state, several owners, the odd names and uid
    socks = json.loads(fast[False])
    states = {s["state"] for s in socks}
    if "tcp" in protocols:
        assert {"LISTEN", "ESTAB", "TIME-WAIT", "SYN-SENT", "SYN-RECV", "FIN-WAIT-2", "CLOSE-WAIT"} <= states
    if "udp" in protocols:
        assert {"UNCONN", "ESTAB"} <= states
    odd = [s for s in socks if s["process"] == ODD_NAME.decode(errors="replace")]
    assert odd and all([o["process"] for o in s["owners"]] == [s["process"], CHILD_NAME.decode()] for s in odd)
    assert any(s["uid"] == uid and s["user"] == str(uid) and s["owners"][0]["user"] == str(uid) for s in socks)
    assert any(s["inode"] == 0 and s["owners"] == [] and s["pid"] is None for s in socks) or protocols == ("udp",)


@pytest.mark.parametrize("options", [["-tanp"], ["-anp"], ["-uanp", "-6"], ["-tan", "state", "established"],
                                     ["-tan", "sport", "=", ":1"]])
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_the_cli_prints_the_records_json_without_the_records(odd_crowd, options, fmt):
    """`netlab conns OPTIONS --format json|jsonl` on the plain path (C) against the records' path
    (--sort proto: the same order here), byte for byte; the plain path imports no dataclasses."""
    ns, _ = odd_crowd
    plain = run_netlab("conns", *options, "--format", fmt, ns=ns)
    records = run_netlab("conns", *options, "--format", fmt, "--sort", "proto", ns=ns)
    assert plain.returncode == records.returncode == 0, (plain.stderr, records.stderr)
    assert (plain.stdout, plain.stderr) == (records.stdout, records.stderr)
    assert "dataclasses" not in _imported(ns, "conns", *options, "--format", fmt)
