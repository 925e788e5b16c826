"""Addresses and ports: parsing user input, printing endpoints like ss, interface names.

Everything here raises ``UsageError`` with a clear message on bad input, so
each command validates its arguments the same way.
"""

from __future__ import annotations

import ipaddress
import socket

from netlab.errors import UsageError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_decimal(text: str) -> bool:
    """Whether ``text`` is ASCII digits only: a port, pid or uid a user typed.

    str.isdigit() alone also accepts '²' (which int() refuses) and full-width
    digits such as '１' (which int() reads as 1): neither is a number a user
    means, so both go the way of any other bad input.
    """
    return text.isascii() and text.isdigit()


def parse_port(text: str | int, what: str = "port") -> int:
    """A port number 0..65535 (or a service name such as 'http')."""
    if isinstance(text, int):
        value = text
    else:
        text = text.strip()
        if is_decimal(text):
            value = int(text)
        else:
            try:
                return socket.getservbyname(text)
            except OSError:
                raise UsageError(f"invalid {what} {text!r}", "a number 0-65535 or a service name") from None
    if not 0 <= value <= 65535:
        raise UsageError(f"invalid {what} {value}", "ports are 0-65535")
    return value


def parse_network(text: str) -> Network:
    """ADDR or ADDR/PREFIX, IPv4 or IPv6 (brackets allowed: [::1])."""
    raw = text.strip()
    if raw.startswith("[") and "]" in raw:
        inner, _, rest = raw[1:].partition("]")
        raw = inner + rest
    try:
        return ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise UsageError(f"invalid address {text!r}", "expected ADDR or ADDR/PREFIX, e.g. 10.0.0.0/8 or ::1") from None


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        raise UsageError(f"invalid address {text!r}", "expected an IPv4 or IPv6 address") from None


def format_endpoint(addr: str, port: int | str | None, family: str = "inet", interface: str | None = None) -> str:
    """``addr:port`` as ss prints it: IPv6 in brackets, '*' for no port, ``%interface`` after the host."""
    host = f"[{addr}]" if family == "inet6" and addr != "*" else addr
    if interface:
        host += f"%{interface}"
    return f"{host}:{port or '*'}"


def interface_name(index: int) -> str | None:
    """The name of the interface with this index; None for 0 (no interface), the number if it is gone."""
    if not index:
        return None
    try:
        return socket.if_indextoname(index)
    except OSError:
        return str(index)
