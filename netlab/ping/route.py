"""What the kernel's routing says about a target, asked without sending anything.

A UDP socket connect()ed to the target sends no packet, but makes the kernel
pick the route: its local address is the source ping would use, and IP_MTU
(IPV6_MTU) is the path MTU the kernel knows.
"""

from __future__ import annotations

import socket

from netlab.ping.records import Target

IP_MTU = 14
IPV6_MTU = 24


def v6_sockaddr(address: str, port: int) -> tuple:
    """The 4-tuple sockaddr of an IPv6 address; a link-local %scope becomes its scope id.

    The address goes as bytes: a str host passes through the idna codec, which imports re (~1 ms).
    """
    return socket.getaddrinfo(address.encode(), port, socket.AF_INET6, socket.SOCK_DGRAM, 0,
                              socket.AI_NUMERICHOST)[0][4]


def _routed_udp(target: Target, interface: str | None = None) -> socket.socket:
    """A UDP socket connect()ed to target, for a `with` block (it closes the socket).

    Not a contextlib.contextmanager: contextlib is ~0.5 ms of the start-up of `netlab ping`.
    """
    probe = socket.socket(target.family, socket.SOCK_DGRAM)
    try:
        if interface:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        if target.family == socket.AF_INET6:  # the 4-tuple keeps a link-local %scope
            probe.connect(v6_sockaddr(target.address, 9))
        else:
            probe.connect((target.address, 9))
    except BaseException:
        probe.close()
        raise
    return probe


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


BROADCAST_QUESTION = "Do you want to ping broadcast? Then -b. If not, check your local firewall rules"


def probe_route(target: Target, interface: str | None = None, broadcast: bool = False,
                mark: int | None = None) -> tuple[str, bool]:
    """iputils' first step: connect a UDP socket to the target (nothing is sent) and
    take the source address the kernel picks. No route is a usage error at once,
    with iputils' words ("connect: Network is unreachable", exit 2), where the
    probes would only fail one by one; a broadcast address needs -b (EACCES).
    Returns the source and whether the target is a broadcast address."""
    from netlab.errors import UsageError

    probe = socket.socket(target.family, socket.SOCK_DGRAM)
    try:
        if interface:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        if mark:
            probe.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
        if target.family == socket.AF_INET6:
            where = v6_sockaddr(target.address, 1025)
        else:
            where = (target.address, 1025)
        try:
            probe.connect(where)
        except PermissionError:
            if target.family == socket.AF_INET6 or not broadcast:
                raise UsageError(BROADCAST_QUESTION, "add -b to ping a broadcast address") from None
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            probe.connect(where)
            return probe.getsockname()[0], True
        return probe.getsockname()[0], False
    except OSError as err:
        raise UsageError(f"connect: {err.strerror}", f"no route to {target.address}: see ip route") from None
    finally:
        probe.close()


SO_MARK = 36
