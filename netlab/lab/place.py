"""Where an experiment runs: a private network namespace made for it, or the current one.

Shared by the lab's experiments (a backlog probe point, a reuseaddr row). In a
private namespace the per-namespace sysctls (somaxconn, syncookies, ...) may be
set without touching the host, its TcpExt counters see only the experiment's
traffic, and a fixed port is free; in the current namespace the sysctls are
only read.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from netlab.core import netns, procfs


@dataclass(slots=True)
class Place:
    """A private namespace (ns set) or the current one (ns None), with the sysctls read there."""

    ns: netns.Namespace | None
    knobs: dict[str, int] = field(default_factory=dict)

    @property
    def private(self) -> bool:
        return self.ns is not None

    @property
    def isolation(self) -> str:
        return "namespace" if self.ns is not None else "host"


def read_knobs(keys: Iterable[str]) -> dict[str, int]:
    return {key: int(procfs.sysctl(key)) for key in keys}


@contextlib.contextmanager
def place(private: bool, sysctls: dict[str, int | None] | None = None, read: Iterable[str] = ()) -> Iterator[Place]:
    """Enter a place: with ``private``, a new namespace with ``sysctls`` set (None values left as they are).

    The thread stays inside the namespace for the block: sockets made there
    live there, and counters and sock_diag read there. The namespace is deleted
    when the block ends. ``read``: the sysctls to read back once inside.
    """
    if not private:
        yield Place(None, read_knobs(read))
        return
    with netns.namespace() as ns:
        for key, value in (sysctls or {}).items():
            if value is not None:
                ns.sysctl(key, value)
        with ns.inside():
            yield Place(ns, read_knobs(read))
