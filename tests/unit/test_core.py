"""The core on real kernel state of this machine (loopback only)."""

from __future__ import annotations

import os
import socket

import pytest

from netlab.conns import Conn, parse_states, sort_connections, Query, list_connections
from netlab.core import addr, diag, owners, procfs, sockopt
from netlab.errors import UsageError


@pytest.fixture
def loopback_pair():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(3)
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    yield listener, client, server
    for s in (listener, client, server):
        s.close()


def test_dump_sees_our_listener_with_backlog_and_inode(loopback_pair):
    listener, client, _ = loopback_pair
    port = listener.getsockname()[1]
    found = diag.dump(("tcp",), ("inet",), states=["LISTEN"], sport=port)
    assert [(s.state, s.local_port, s.send_q, s.inode) for s in found] == [
        ("LISTEN", port, 3, os.fstat(listener.fileno()).st_ino)]


def test_kernel_port_filters_agree_with_python_filtering(loopback_pair):
    listener, client, server = loopback_pair
    port = listener.getsockname()[1]
    everything = diag.dump(("tcp",), ("inet",))
    for kwargs, keep in (
        ({"sport": port}, lambda s: s.local_port == port),
        ({"dport": port}, lambda s: s.remote_port == port),
        ({"port": port}, lambda s: port in (s.local_port, s.remote_port)),
        ({"sport": client.getsockname()[1], "port": port},
         lambda s: s.local_port == client.getsockname()[1] and port in (s.local_port, s.remote_port)),
    ):
        got = {s.inode for s in diag.dump(("tcp",), ("inet",), **kwargs)}
        want = {s.inode for s in everything if keep(s)}
        assert got == want and want, kwargs


def test_proc_fallback_lists_the_same_tcp_sockets(loopback_pair):
    netlink = {(s.state, s.local_port, s.remote_port, s.inode) for s in diag.dump(("tcp",), ("inet",))}
    proc = {(s.state, s.local_port, s.remote_port, s.inode) for s in diag.dump(("tcp",), ("inet",), use_netlink=False)}
    assert netlink == proc


def test_tcp_info_of_our_listener_gives_queue_and_backlog(loopback_pair):
    listener, _, _ = loopback_pair
    extra = socket.create_connection(listener.getsockname())
    try:
        # the pair's server side was accepted; the extra connection waits in the queue
        assert sockopt.listen_queue(listener) == (1, 3)
    finally:
        extra.close()


def test_owner_map_finds_this_process(loopback_pair):
    listener, _, _ = loopback_pair
    inode = os.fstat(listener.fileno()).st_ino
    owner = owners.socket_owners({inode}).first(inode)
    assert owner.pid == os.getpid() and owner.fd == listener.fileno()


def test_list_connections_joins_owner_and_user(loopback_pair):
    listener, _, _ = loopback_pair
    port = listener.getsockname()[1]
    listing = list_connections(Query(protocols=("tcp",), sport=port, states=parse_states(["listening"])))
    [conn] = listing.conns
    assert (conn.pid, conn.user, conn.recv_q, conn.send_q) == (os.getpid(), "root" if os.geteuid() == 0 else conn.user, 0, 3)
    record = conn.as_dict()
    assert tuple(record) == Conn.BASE_KEYS
    assert record == {key: getattr(conn, key) for key in Conn.BASE_KEYS}


def test_counters_delta_counts_our_connections():
    before = procfs.counters()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    clients = [socket.create_connection(listener.getsockname(), timeout=5) for _ in range(3)]
    delta = procfs.counters().delta(before)
    for s in clients + [listener]:
        s.close()
    assert delta.get("Tcp", "ActiveOpens") >= 3
    assert delta.get("Tcp", "PassiveOpens") >= 3


def test_knobs_are_read():
    values = procfs.knobs()
    assert int(values["net.core.somaxconn"]) > 0
    assert len(values["net.ipv4.ip_local_port_range"].split()) == 2


def test_state_names_and_groups():
    assert parse_states(["established"]) == {"ESTAB"}
    assert parse_states(["LISTEN", "time-wait"]) == {"LISTEN", "TIME-WAIT"}
    assert parse_states(["bucket"]) == {"SYN-RECV", "TIME-WAIT"}
    assert "LISTEN" not in parse_states(["connected"]) and "SYN-SENT" in parse_states(["connected"])
    assert "SYN-SENT" not in parse_states(["synchronized"])
    with pytest.raises(UsageError):
        parse_states(["nonsense"])


def test_port_and_address_parsing():
    assert addr.parse_port("80") == 80 and addr.parse_port("ssh") == 22
    for bad in ("70000", "-1", "nosuchservice"):
        with pytest.raises(UsageError):
            addr.parse_port(bad)
    assert str(addr.parse_network("[::1]")) == "::1/128"
    assert str(addr.parse_network("10.1.2.3/8")) == "10.0.0.0/8"
    with pytest.raises(UsageError):
        addr.parse_network("10.1.2")


@pytest.mark.parametrize("text", ["\u00b2", "\uff11", "\u0663", "8\u00b2", "\uff18\uff10"])
def test_ports_pids_and_uids_are_ascii_digits_only(text):
    """'²' passes str.isdigit() but not int(); '１' passes both (as 1): each is bad input."""
    from netlab.conns import check_pid, parse_user

    assert not addr.is_decimal(text)
    for parse in (addr.parse_port, check_pid, parse_user):
        with pytest.raises(UsageError):
            parse(text)


def test_ascii_digits_still_parse():
    assert addr.is_decimal("0") and addr.is_decimal("65535") and not addr.is_decimal("")
    from netlab.conns import check_pid, parse_user

    assert addr.parse_port(" 443 ") == 443
    assert check_pid(str(os.getpid())) == os.getpid()
    assert parse_user("0") == 0 and parse_user("root") == 0


def test_endpoints_print_as_ss_prints_them():
    assert addr.format_endpoint("10.0.0.1", 80) == "10.0.0.1:80"
    assert addr.format_endpoint("::1", None, "inet6") == "[::1]:*"
    assert addr.format_endpoint("fe80::1", 0, "inet6", "lo") == "[fe80::1]%lo:*"
    assert addr.interface_name(0) is None
    assert addr.interface_name(socket.if_nametoindex("lo")) == "lo"


def test_sort_keys(loopback_pair):
    conns = list_connections(Query(protocols=("tcp",))).conns
    by_port = sort_connections(conns, "local_port")
    assert [c.local_port for c in by_port] == sorted(c.local_port for c in conns)
    assert [c.recv_q for c in sort_connections(conns, "-recv_q")] == sorted((c.recv_q for c in conns), reverse=True)
    with pytest.raises(UsageError):
        sort_connections(conns, "colour")
