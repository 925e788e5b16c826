"""Counting sockets by one key: `netlab conns --count-by KEY [--top N]`.

What `ss -tan | awk '{print $5}' | sort | uniq -c | sort -rn | head` does, without
the text surgery: the key is a field of the record, not a column of text.

    remote_addr, local_addr, remote_port, local_port, state, proto, process, user
    remote_net/P, local_net/P   the address's network: IPv4 /P (P up to 32), IPv6 /P (up to 128)
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Callable, Sequence

from netlab.errors import UsageError

FIELDS = ("remote_addr", "local_addr", "remote_port", "local_port", "state", "proto", "process", "user")
NETS = ("remote_net", "local_net")
HINT = "keys: " + ", ".join(FIELDS) + ", remote_net/PREFIX, local_net/PREFIX (e.g. remote_net/24)"


@dataclass(frozen=True)
class CountRow:
    count_by: str
    value: str | int | None
    count: int

    def as_dict(self) -> dict:
        return {"count_by": self.count_by, "value": self.value, "count": self.count}


def key_function(spec: str) -> tuple[str, Callable]:
    """The canonical name of a --count-by key and the function that reads it from a record."""
    name = spec.strip().lower()
    if name in FIELDS:
        return name, lambda c, attr=name: getattr(c, attr)
    base, sep, prefix = name.partition("/")
    if base in NETS and sep and prefix.isascii() and prefix.isdigit() and len(prefix) <= 3 and int(prefix) <= 128:
        bits = int(prefix)
        attr = "remote_addr" if base == "remote_net" else "local_addr"
        cache: dict = {}

        def network(c) -> str | None:
            addr = getattr(c, attr)
            if addr is None or c.proto == "unix":
                return None
            if addr not in cache:
                ip = ipaddress.ip_address(addr.split("%")[0])
                if ip.version == 6 and ip.ipv4_mapped is not None:
                    ip = ip.ipv4_mapped  # a v4-mapped peer counts with its IPv4 network
                cache[addr] = str(ipaddress.ip_network(f"{ip}/{min(bits, ip.max_prefixlen)}", strict=False))
            return cache[addr]
        return f"{base}/{bits}", network
    raise UsageError(f"unknown --count-by key {spec!r}", HINT)


def count_by(conns: Sequence, spec: str, top: int | None = None) -> list[CountRow]:
    """Counts per value, most first (ties: by value); ``top``: only the first N."""
    name, read = key_function(spec)
    counts: dict = {}
    for c in conns:
        value = read(c)
        counts[value] = counts.get(value, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, _natural(kv[0])))
    if top is not None:
        ordered = ordered[:top]
    return [CountRow(name, value, n) for value, n in ordered]


def _natural(value) -> tuple:
    """Ports in number order (9 before 10), names and addresses as text."""
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))
