"""What the kernel's routing says about a target, asked without sending anything.

A UDP socket connect()ed to the target sends no packet, but makes the kernel
pick the route: its local address is the source ping would use, and IP_MTU
(IPV6_MTU) is the path MTU the kernel knows.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Iterator

from netlab.ping.records import Target

IP_MTU = 14
IPV6_MTU = 24


@contextlib.contextmanager
def _routed_udp(target: Target, interface: str | None = None) -> Iterator[socket.socket]:
    probe = socket.socket(target.family, socket.SOCK_DGRAM)
    try:
        if interface:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        if target.family == socket.AF_INET6:  # the 4-tuple keeps a link-local %scope
            probe.connect(socket.getaddrinfo(target.address, 9, socket.AF_INET6, socket.SOCK_DGRAM, 0,
                                             socket.AI_NUMERICHOST)[0][4])
        else:
            probe.connect((target.address, 9))
        yield probe
    finally:
        probe.close()


def route_source(target: Target, interface: str | None = None) -> str | None:
    """The source address the kernel would use to reach target (None: no route)."""
    try:
        with _routed_udp(target, interface) as probe:
            return probe.getsockname()[0]
    except OSError:
        return None


def path_mtu(target: Target) -> int:
    """The path MTU towards target as the kernel knows it (0 if there is no route)."""
    try:
        with _routed_udp(target) as probe:
            if target.family == socket.AF_INET6:
                return probe.getsockopt(socket.IPPROTO_IPV6, IPV6_MTU)
            return probe.getsockopt(socket.IPPROTO_IP, IP_MTU)
    except OSError:
        return 0
