"""Sorting a listing of `netlab conns` by named keys (--sort)."""

from __future__ import annotations

import ipaddress

from netlab.conns.engine import Conn
from netlab.errors import UsageError


def _addr_key(addr: str | None) -> tuple:
    if not addr:
        return (2, b"")
    try:
        ip = ipaddress.ip_address(addr)
        return (ip.version, ip.packed)
    except ValueError:
        return (3, addr.encode())


SORT_KEYS = {
    "proto": lambda c: c.proto,
    "family": lambda c: c.family,
    "state": lambda c: c.state,
    "recv_q": lambda c: c.recv_q,
    "send_q": lambda c: c.send_q,
    "local": lambda c: (_addr_key(c.local_addr), c.local_port or 0),
    "remote": lambda c: (_addr_key(c.remote_addr), c.remote_port or 0),
    "local_addr": lambda c: _addr_key(c.local_addr),
    "remote_addr": lambda c: _addr_key(c.remote_addr),
    "local_port": lambda c: c.local_port or 0,
    "remote_port": lambda c: c.remote_port or 0,
    "uid": lambda c: -1 if c.uid is None else c.uid,
    "inode": lambda c: c.inode,
    "pid": lambda c: -1 if c.pid is None else c.pid,
    "process": lambda c: c.process or "",
    "user": lambda c: c.user or "",
    "rtt": lambda c: (c.tcp_info or {}).get("rtt_us", -1),
}
_SORT_ALIASES = {"recv-q": "recv_q", "send-q": "send_q", "sport": "local_port", "dport": "remote_port",
                 "src": "local", "dst": "remote", "peer": "remote"}


def sort_connections(conns: list[Conn], spec: str) -> list[Conn]:
    """Sort by a comma-separated list of keys; '-key' sorts that key descending."""
    keys = [k.strip() for k in spec.split(",") if k.strip()]
    if not keys:
        raise UsageError("empty --sort", "keys: " + ", ".join(SORT_KEYS))
    for key in reversed(keys):  # stable sorts, last key first
        descending = key.startswith("-")
        name = _SORT_ALIASES.get(key.lstrip("-").lower(), key.lstrip("-").lower())
        if name not in SORT_KEYS:
            raise UsageError(f"unknown sort key {key!r}", "keys: " + ", ".join(SORT_KEYS))
        conns = sorted(conns, key=SORT_KEYS[name], reverse=descending)
    return conns


