"""Turning host arguments into targets: addresses as given, names through the resolver.

Names under .invalid are refused without asking DNS (RFC 6761 section 6.4:
they never resolve, and no query for them should leave the machine).
"""

from __future__ import annotations

import socket
from functools import lru_cache

from netlab.errors import UsageError
from netlab.ping.records import Target

FAMILIES = {4: socket.AF_INET, 6: socket.AF_INET6, None: socket.AF_UNSPEC}
# What inet_aton(3) reads as an IPv4 address ("0", "127.1", "0x7f.1"): iputils tries it
# first and takes such a target as numeric. Checked before inet_aton, which would also
# take "1.2.3.4 anything" (it stops at a blank).
# A pattern, compiled by re on first use: re (~1 ms to import) is off the path of an address.
_INET_ATON = r"(0[xX][0-9a-fA-F]*|[0-9]+)(\.(0[xX][0-9a-fA-F]*|[0-9]+)){0,3}\Z"


def resolve(host: str, family: int | None = None, numeric: bool = False) -> Target:
    """One host argument -> Target; UsageError (exit 2) if it cannot be resolved."""
    want = FAMILIES[family]
    literal = host.strip("[]")
    addr = _ip_literal(literal)
    if addr is not None:
        fam = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
        if getattr(addr, "scope_id", None) and not _known_scope(addr.scope_id):
            # fe80::1%nosuchif: iputils asks the resolver, which knows no such interface
            raise UsageError(f"{host}: Name or service not known", "the part after % names an interface: see ip link")
        if want not in (socket.AF_UNSPEC, fam):
            raise UsageError(f"{host}: Address family for hostname not supported", f"drop -{family}")
        return Target(host=literal, address=str(addr), family=fam, numeric=True)
    if want != socket.AF_INET6 and _inet_aton_form(host):
        try:
            packed = socket.inet_aton(host)
        except OSError:  # a part out of range ("256.1.1.1"): the resolver has the last word
            pass
        else:
            return Target(host=host, address=socket.inet_ntoa(packed), family=socket.AF_INET, numeric=True)
    if host.rstrip(".").lower().endswith(".invalid") or host.rstrip(".").lower() == "invalid":
        raise UsageError(f"{host}: Name or service not known", "names under .invalid never resolve (RFC 6761)")
    try:
        infos = socket.getaddrinfo(host, None, want, socket.SOCK_RAW, 0, socket.AI_CANONNAME)
    except socket.gaierror as err:
        raise UsageError(f"{host}: {err.strerror}", "check the name, or give an address") from None
    except UnicodeError:
        # Python's IDNA encoding refuses the name before any query: a label past 63
        # characters, a name past 253, characters no host name can hold. iputils: the same words.
        raise UsageError(f"{host}: Name or service not known", "not a valid host name") from None
    fam, _, _, canon, sockaddr = infos[0]
    return Target(host=canon or host, address=sockaddr[0], family=fam, numeric=numeric)


class _Literal:
    """An address as ipaddress.ip_address would give it (its version, its str), without importing ipaddress."""

    __slots__ = ("version", "text")

    def __init__(self, version: int, text: str):
        self.version = version
        self.text = text

    def __str__(self) -> str:
        return self.text


def _ip_literal(text: str):
    """text as an IP address (ipaddress's reading), or None if it is not one.

    inet_pton(3) takes exactly the dotted quads ipaddress takes (four decimal parts
    0-255, no leading zeros), and inet_ntop writes an IPv6 address as ipaddress does
    (RFC 5952) except an embedded IPv4 one (::ffff:1.2.3.4). Those, %zones, and what
    inet_pton refuses go to ipaddress (~1 ms to import), the last word.
    """
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    try:
        short = socket.inet_ntop(family, socket.inet_pton(family, text))
    except (OSError, ValueError):  # ValueError: an embedded NUL, or not encodable
        short = None
    if family == socket.AF_INET:
        return None if short is None else _Literal(4, short)
    if short is not None and "." not in short:
        return _Literal(6, short)
    import ipaddress

    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _inet_aton_form(host: str) -> bool:
    import re

    return re.match(_INET_ATON, host) is not None


def _known_scope(scope: str) -> bool:
    """Whether an IPv6 zone (fe80::1%ZONE) names an interface here, by name or by index."""
    if scope.isascii() and scope.isdigit():
        return int(scope) in {index for index, _ in socket.if_nameindex()}
    try:
        socket.if_nametoindex(scope)
    except OSError:  # no such interface (ENODEV), or a name too long to be one
        return False
    return True


@lru_cache(maxsize=1024)
def reverse_name(address: str) -> str:
    """The name iputils prints in "from NAME (ADDR)": reverse lookup, the address if none."""
    try:
        return socket.getnameinfo((address, 0), socket.NI_NAMEREQD)[0]
    except OSError:
        return address

