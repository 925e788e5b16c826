"""The Python API: docs/api.md runs, `import netlab` stays cheap, names do not collide."""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys

import pytest

import netlab
from netlab.errors import UsageError
from tests.helpers.apidocs import run_api_doc
from tests.helpers.env import ROOT

# The engines' packages as a script sees them: what `from PACKAGE import *` brings in.
ENGINES = ("netlab.conns", "netlab.ping", "netlab.capture", "netlab.lab.backlog", "netlab.lab.reuseaddr")
# One verb in two packages on purpose: "run it all, return the records", always module-qualified
# (netlab.ping.run, netlab.reuseaddr.run), as subprocess.run is.
SHARED_VERBS = {"run"}


def test_the_examples_of_docs_api_md_run():
    failed, attempted = run_api_doc(privileged=False)
    assert attempted >= 30, "docs/api.md lost its examples"
    assert failed == 0, "a docs/api.md example failed: its report is in the captured stdout above"


def test_import_netlab_loads_no_engine():
    code = "import netlab, sys; print(sorted(m for m in sys.modules if m.startswith('netlab')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert proc.stdout.strip() == "['netlab']"


def test_every_top_level_name_resolves_and_dir_lists_it():
    for name in netlab.__all__:
        assert getattr(netlab, name) is not None
        assert name in dir(netlab)
    assert netlab.backlog is importlib.import_module("netlab.lab.backlog")
    assert netlab.reuseaddr is importlib.import_module("netlab.lab.reuseaddr")
    assert netlab.connections is netlab.conns.connections
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        netlab.nothing  # noqa: B018


def test_no_public_name_is_two_things():
    owners: dict[str, list[str]] = {}
    for package in ENGINES:
        for name in importlib.import_module(package).__all__:
            owners.setdefault(name, []).append(package)
    twice = {name: where for name, where in owners.items() if len(where) > 1 and name not in SHARED_VERBS}
    assert twice == {}


def test_no_lazy_name_is_also_a_submodule():
    """A lazy name (PEP 562) loses to a submodule of that name once the submodule is imported."""
    for package in (netlab, *map(importlib.import_module, ENGINES)):
        lazy = getattr(package, "_EXPORTS", None) or getattr(package, "_LAZY", {})
        folder = ROOT.joinpath(*package.__name__.split("."))
        clashes = [name for name in lazy if ((folder / f"{name}.py").exists() or (folder / name).is_dir())
                   and getattr(getattr(package, name), "__name__", "") != f"{package.__name__}.{name}"]
        assert clashes == [], package.__name__


def test_the_entry_points_are_where_the_docs_say():
    assert callable(netlab.ping.run) and callable(netlab.ping.session)
    assert callable(netlab.capture.read) and callable(netlab.capture.listen)
    assert callable(netlab.backlog.probe)
    assert callable(netlab.reuseaddr.run)


def test_connections_checks_its_options_as_the_cli_does():
    with pytest.raises(UsageError, match="unknown protocol 'sctp'"):
        netlab.connections("sctp")
    with pytest.raises(UsageError, match="unknown family"):
        netlab.connections(families="ipx")
    with pytest.raises(UsageError, match="invalid port"):
        netlab.connections(port=70000)


def test_connections_takes_one_value_or_several():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        for protocols in ("udp", ["udp"], ("tcp", "udp")):
            found = netlab.connections(protocols, families=4, port=port, src="127.0.0.0/8")
            assert [(c.proto, c.local_port) for c in found] == [("udp", port)]
        assert netlab.connections("tcp", port=port) == []


def test_ping_refuses_unknown_keywords_and_mixed_options():
    with pytest.raises(UsageError, match="unexpected keyword argument 'cuont'"):
        netlab.ping.session("127.0.0.1", cuont=1)
    with pytest.raises(UsageError, match="not both"):
        netlab.ping.session("127.0.0.1", netlab.ping.PingOptions(count=1), count=2)


def test_capture_read_refuses_a_bad_count_and_a_missing_file(tmp_path):
    with pytest.raises(UsageError, match="invalid packet count 0"):
        netlab.capture.read(tmp_path / "x.pcap", count=0)
    with pytest.raises(UsageError, match="cannot read"):
        netlab.capture.read(tmp_path / "missing.pcap")
    with pytest.raises(UsageError, match="invalid duration"):
        netlab.capture.listen("lo", seconds=0)


def test_backlog_probe_refuses_unknown_plan_fields():
    with pytest.raises(UsageError, match="unknown plan field 'backlog'"):
        netlab.backlog.probe(backlog=[5])
    with pytest.raises(UsageError, match="not both"):
        netlab.backlog.probe(netlab.backlog.Plan(), connects=5)


def test_exit_status_reads_as_an_int_enum_does():
    """ExitStatus is an int subclass (enum cost start-up): what a script reads of it is an IntEnum's."""
    from netlab.errors import ExitStatus

    usage = ExitStatus.USAGE
    assert usage == 2 and isinstance(usage, int) and ExitStatus(2) is usage
    assert (repr(usage), str(usage), f"{usage}", usage.name, usage.value) == ("<ExitStatus.USAGE: 2>", "2", "2", "USAGE", 2)
    assert UsageError("x").exit_code is usage
    assert [int(getattr(ExitStatus, name)) for name in ("OK", "NEGATIVE", "USAGE", "PRIVILEGE", "INTERNAL",
                                                          "INTERRUPTED")] == [0, 1, 2, 3, 70, 130]
    with pytest.raises(ValueError, match="5 is not a valid ExitStatus"):
        ExitStatus(5)
