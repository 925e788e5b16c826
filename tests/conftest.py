"""Shared fixtures (the CLI runner, namespaces, test topologies) and the privileged-test policy.

Tests marked ``privileged`` need root and network namespaces. Without them they
skip; in CI (CI=true) any skipped privileged test makes the run fail, so a
missing privilege or tool can never turn the suite green by skipping.
"""

from __future__ import annotations

import pytest

from netlab import testing
from netlab.core import netns
from tests.helpers.cli import run_netlab
from tests.helpers.env import IN_CI
from tests.helpers.processes import Started


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


@pytest.fixture
def procs():
    """The processes a test starts (tests/helpers/processes.py), killed when it ends.

    Asked for after veth/ns in a test's arguments, so it is torn down first: the
    processes die before their namespaces are deleted.
    """
    started = Started()
    try:
        yield started
    finally:
        started.stop_all()
