"""Shared fixtures: the netlab CLI runner, namespaces, and the privileged-test policy.

Tests marked ``privileged`` need root and network namespaces. Without them they
skip; in CI (CI=true) any skipped privileged test makes the run fail, so a
missing privilege or tool can never turn the suite green by skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netlab import testing
from netlab.core import netns

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# ../shared beside the checkout (as CI places it) holds tcpdump's conformance data.
SHARED = Path(os.environ.get("NETLAB_SHARED", ROOT.parent / "shared"))
CONFORMANCE = SHARED / "conformance"


def require_conformance() -> Path:
    """The conformance folder; skip without it, but in CI its absence is a failure."""
    if not (CONFORMANCE / "tcpdump" / "manifest.tsv").exists():
        if IN_CI:
            pytest.fail(f"conformance data missing at {CONFORMANCE} (CI places shared/ beside the clone)")
        pytest.skip(f"no conformance data at {CONFORMANCE}")
    return CONFORMANCE

_privileged_skips: list[str] = []


def pytest_collection_modifyitems(config, items):
    if netns.available():
        return
    skip = pytest.mark.skip(reason="needs root and network namespaces")
    for item in items:
        if "privileged" in item.keywords:
            item.add_marker(skip)


def pytest_runtest_logreport(report):
    if report.skipped and "privileged" in report.keywords:
        _privileged_skips.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if IN_CI and _privileged_skips:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"CI: {len(_privileged_skips)} privileged test(s) skipped; in CI that is a failure:"]
        lines += [f"  {nodeid}" for nodeid in _privileged_skips]
        if reporter:
            for line in lines:
                reporter.write_line(line, red=True)
        session.exitstatus = 1


def require_tool(name: str) -> str:
    """The path of an external tool the test compares with; skip (fail in CI) if absent."""
    path = shutil.which(name)
    if path is None:
        why = f"{name} is not installed (scripts/install.sh --test installs it)"
        if IN_CI:
            pytest.fail(f"CI: {why}")
        pytest.skip(why)
    return path


def listed_commands(help_text: str) -> list[str]:
    """The command names in the "Commands:" section of `netlab --help`, in order."""
    lines = help_text.splitlines()
    if "Commands:" not in lines:
        return []
    names = []
    for line in lines[lines.index("Commands:") + 1:]:
        if not line.startswith("  "):
            break
        names.append(line.split()[0])
    return names


def netlab_argv(*args: str, ns: netns.Namespace | None = None) -> list[str]:
    argv = [sys.executable, "-m", "netlab", *args]
    if ns is not None:
        argv = ["ip", "netns", "exec", ns.name, *argv]
    return argv


def run_netlab(*args: str, ns: netns.Namespace | None = None, timeout: float = 60, env: dict | None = None,
               input: str | None = None) -> subprocess.CompletedProcess:
    """Run the netlab CLI as a user would (a new process), optionally inside a namespace."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.pop("NETLAB_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run(netlab_argv(*args, ns=ns), capture_output=True, text=True, timeout=timeout,
                          env=full_env, input=input)


@pytest.fixture
def netlab():
    return run_netlab


@pytest.fixture
def ns():
    with netns.namespace() as space:
        yield space


@pytest.fixture
def veth():
    with testing.veth_pair() as link:
        yield link


@pytest.fixture
def routed():
    with testing.routed_path() as path:
        yield path
