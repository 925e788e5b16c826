"""Test topologies and helpers that the tests and the benchmarks share; not part of the CLI.

The namespace mechanism is netlab.core.netns; here are the fixed topologies
made with it (a veth pair, a routed path, with 10.77.x / fd77:: addresses that
live only inside the namespaces) and a parser of tcpdump's closing counts.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator

from netlab.core import netns


@contextlib.contextmanager
def veth_pair() -> Iterator[netns.Link]:
    """Two namespaces joined by veth: a is 10.77.0.1 / fd77::1, b is 10.77.0.2 / fd77::2."""
    with contextlib.ExitStack() as stack:
        a = stack.enter_context(netns.namespace())
        b = stack.enter_context(netns.namespace())
        yield netns.add_veth(a, b, "veth0", "veth0", "10.77.0.1", "10.77.0.2", "fd77::1", "fd77::2")


@dataclass
class RoutedPath:
    """client -- router -- server, with the router forwarding IPv4 and IPv6."""

    client: netns.Namespace
    router: netns.Namespace
    server: netns.Namespace
    client_link: netns.Link  # a = client, b = router
    server_link: netns.Link  # a = router, b = server


@contextlib.contextmanager
def routed_path() -> Iterator[RoutedPath]:
    """Three namespaces: client 10.77.1.1 -> router (10.77.1.254 / 10.77.2.254) -> server 10.77.2.1.

    IPv6: client fd77:1::1, router fd77:1::fe / fd77:2::fe, server fd77:2::1.
    """
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(netns.namespace())
        router = stack.enter_context(netns.namespace())
        server = stack.enter_context(netns.namespace())
        left = netns.add_veth(client, router, "veth0", "veth-c", "10.77.1.1", "10.77.1.254", "fd77:1::1", "fd77:1::fe")
        right = netns.add_veth(router, server, "veth-s", "veth0", "10.77.2.254", "10.77.2.1", "fd77:2::fe", "fd77:2::1")
        router.sysctl("net.ipv4.ip_forward", 1)
        router.sysctl("net.ipv6.conf.all.forwarding", 1)
        client.ip("route", "add", "default", "via", "10.77.1.254")
        client.ip("-6", "route", "add", "default", "via", "fd77:1::fe")
        server.ip("route", "add", "default", "via", "10.77.2.254")
        server.ip("-6", "route", "add", "default", "via", "fd77:2::fe")
        yield RoutedPath(client, router, server, left, right)


def parse_end_counts(stderr: str) -> dict[str, int]:
    """The closing lines tcpdump (and netlab) print, as {"captured": n, "received by filter": n, ...}."""
    found = {}
    for line in stderr.splitlines():
        for what in ("captured", "received by filter", "dropped by kernel"):
            if line.endswith(what) and line.split()[0].isdigit():
                found[what] = int(line.split()[0])
    return found
