"""Where a row runs: a place (netlab.lab.place) and the server's address and port in it.

In a private namespace the asked port (8001 by default) is free; on the host a
free loopback port is searched (ports).
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from typing import Iterator

from netlab.lab.place import place
from netlab.lab.reuseaddr.ports import free_port

DEFAULT_NAMESPACE_PORT = 8001  # the port of the notes' experiment; free in a private namespace


@dataclass(frozen=True, slots=True)
class Site:
    """Where a row runs: the server's address and port, the client's target."""

    family: str  # inet or inet6
    bind_addr: str
    connect_addr: str
    port: int
    where: str  # "namespace" or "loopback"

    @property
    def af(self) -> int:
        return socket.AF_INET if self.family == "inet" else socket.AF_INET6

    @property
    def endpoint(self) -> str:
        return f"[{self.bind_addr}]:{self.port}" if self.family == "inet6" else f"{self.bind_addr}:{self.port}"


@contextlib.contextmanager
def site_for_row(family: str, bind_addr: str, connect_addr: str, port: int | None,
                 isolate: bool) -> Iterator[Site]:
    """A private namespace for one row (deleted afterwards), or a free loopback port."""
    with place(isolate) as where:
        if where.private:
            yield Site(family, bind_addr, connect_addr, port or DEFAULT_NAMESPACE_PORT, "namespace")
        else:
            yield Site(family, bind_addr, connect_addr, free_port(family, bind_addr, port), "loopback")
