"""The namespace helper: made, used, always deleted (also on exceptions)."""

from __future__ import annotations

import os
import socket

import pytest

from netlab.core import netns, procfs

pytestmark = pytest.mark.privileged


def test_namespace_is_deleted_on_exception():
    name = None
    with pytest.raises(RuntimeError):
        with netns.namespace() as ns:
            name = ns.name
            assert os.path.exists(ns.path)
            raise RuntimeError("boom")
    assert name and not os.path.exists(os.path.join(netns.NETNS_RUN_DIR, name))


def test_sysctl_in_namespace_leaves_host_alone():
    host = procfs.sysctl("net.core.somaxconn")
    with netns.namespace() as ns:
        assert ns.sysctl("net.core.somaxconn", 8) == "8"
        with ns.inside():
            assert procfs.sysctl("net.core.somaxconn") == "8"
    assert procfs.sysctl("net.core.somaxconn") == host


def test_socket_made_inside_lives_in_the_namespace():
    with netns.namespace() as ns:
        with ns.inside():
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(1)
        port = s.getsockname()[1]
        try:
            inside = ns.exec(["ss", "-Htln", f"sport = :{port}"]).stdout
            outside = os.popen(f"ss -Htln 'sport = :{port}'").read()
            assert str(port) in inside and str(port) not in outside
        finally:
            s.close()


def test_veth_pair_and_routed_path_carry_traffic():
    with netns.veth_pair() as link:
        assert link.a.exec(["ping", "-c1", "-W2", link.b4], check=False).returncode == 0
        assert link.a.exec(["ping", "-c1", "-W2", link.b6], check=False).returncode == 0
    with netns.routed_path() as path:
        assert path.client.exec(["ping", "-c1", "-W2", "10.77.2.1"], check=False).returncode == 0
        assert path.client.exec(["ping", "-c1", "-W2", "fd77:2::1"], check=False).returncode == 0


def test_processes_started_inside_are_ended():
    with netns.namespace() as ns:
        proc = ns.popen(["sleep", "30"])
    assert proc.poll() is not None
