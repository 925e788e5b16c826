"""The plain listing's path (netlab.conns.plain, the C table) prints what the records' path prints.

Both paths run on the same sockets of a private namespace; the records' path is
reached with --sort proto, which changes nothing in these listings' order (one
protocol) but is not a plain listing. The plain path must also start without
the records' modules (dataclasses above all): -X importtime says what came in.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers.cli import netlab_argv, run_netlab
from tests.helpers.env import ROOT

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
