"""Fixtures of the conformance tests: the namespace recordings, made once per run."""

from __future__ import annotations

import os

import pytest

from tests.helpers import recordings
from tests.helpers.env import require_tool


@pytest.fixture(scope="session")
def recorded(tmp_path_factory):
    """name -> pcap of real traffic recorded by tcpdump in private namespaces."""
    require_tool("tcpdump")
    directory = tmp_path_factory.mktemp("recordings")
    os.chmod(directory, 0o777)  # tcpdump drops root and writes as its own user
    return recordings.make_all(str(directory))
