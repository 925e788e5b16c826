"""Port search: a port that no socket uses at all, for rows run on the host's loopback."""

from __future__ import annotations

import socket

from netlab.core import diag
from netlab.errors import UsageError


def free_port(family: str, addr: str, start: int | None, tries: int = 200) -> int:
    """A port no socket uses at all (any state, any address): the kernel's pick, or the first from ``start``."""
    af = socket.AF_INET if family == "inet" else socket.AF_INET6
    candidates = [0] * 20 if start is None else range(start, min(start + tries, 65536))
    for candidate in candidates:
        probe = socket.socket(af, socket.SOCK_STREAM)
        try:
            probe.bind((addr, candidate))
            port = probe.getsockname()[1]
        except OSError:
            continue
        finally:
            probe.close()
        if not diag.dump(protocols=("tcp",), families=("inet", "inet6"), port=port):
            return port
    raise UsageError(f"no free port found{'' if start is None else f' from {start}'}",
                     "pick another --port, or omit it")
