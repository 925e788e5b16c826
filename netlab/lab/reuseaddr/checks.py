"""The user's input, checked before any socket is made: scenario names, port, address."""

from __future__ import annotations

import ipaddress
from typing import Sequence

from netlab.errors import UsageError
from netlab.lab.reuseaddr.scenarios import SCENARIOS


def parse_scenarios(names: str | Sequence[str] | None) -> list[str]:
    """Validate scenario names (one, several; None or empty: all, in the documented order)."""
    if isinstance(names, str):
        names = [names]
    if not names:
        return list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise UsageError(f"unknown scenario {unknown[0]!r}", "one of: " + ", ".join(SCENARIOS))
    return list(dict.fromkeys(names))


def check_port(port: int | None) -> None:
    if port is not None and not 1 <= port <= 65535:
        raise UsageError(f"invalid port {port}", "ports are 1-65535")


def resolve_address(addr: str | None, ipv6: bool) -> tuple[str, str, str]:
    """(family, bind address, connect address) from --addr and -6.

    Loopback and wildcard addresses only: the experiment's traffic never leaves
    the machine. A wildcard server is reached through loopback.
    """
    family = "inet6" if ipv6 else "inet"
    if addr is None:
        loop = "::1" if ipv6 else "127.0.0.1"
        return family, loop, loop
    try:
        ip = ipaddress.ip_address(addr.strip().strip("[]"))
    except ValueError:
        raise UsageError(f"invalid address {addr!r}", "a loopback address such as 127.0.0.1 or ::1") from None
    if ip.version == 6 and not ipv6:
        family = "inet6"
    elif ip.version == 4 and ipv6:
        raise UsageError(f"-6 with the IPv4 address {addr}", "drop -6, or give an IPv6 address such as ::1")
    if ip.is_unspecified:
        return family, str(ip), "::1" if family == "inet6" else "127.0.0.1"
    if not ip.is_loopback:
        raise UsageError(f"address {addr} is not a loopback address",
                         "the experiment stays on loopback: 127.0.0.0/8, ::1, or the wildcard 0.0.0.0 / ::")
    return family, str(ip), str(ip)
