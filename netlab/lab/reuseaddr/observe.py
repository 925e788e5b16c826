"""What the kernel shows on the experiment's port (sock_diag), and waiting until it settles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from netlab.core import diag
from netlab.lab import settle as lab_settle
from netlab.lab.reuseaddr.site import Site

SETTLE_TIMEOUT_S = 2.0
# States a closing connection passes through in microseconds on loopback: the
# observation waits until none is left, so a row never catches a transient.
TRANSIENT_STATES = {"FIN-WAIT-1", "CLOSING", "LAST-ACK", "SYN-SENT", "SYN-RECV"}


@dataclass(slots=True)
class SockView:
    """One socket on the experiment's port, as sock_diag showed it."""

    side: str  # server (local port is the server's) or client
    state: str
    local: str
    remote: str
    timer_ms: int  # time left on its timer (TIME-WAIT, FIN-WAIT-2), 0 if none
    recv_q: int
    inode: int

    @property
    def label(self) -> str:
        return f"{self.side}:{self.state}"

    def as_dict(self) -> dict:
        return {"side": self.side, "state": self.state, "local": self.local, "remote": self.remote,
                "timer_ms": float(self.timer_ms), "recv_q": self.recv_q}


def observe(site: Site) -> list[SockView]:
    """The sockets of this experiment on the port, server side first.

    Filtered by port in the kernel, then by our own addresses, so a socket of
    another process that happens to share the port number is never counted.
    """
    ours = {site.bind_addr, site.connect_addr}
    views = []
    dumps = ((None, diag.dump(protocols=("tcp",), families=(site.family,), port=site.port)),
             ("BOUND-INACTIVE", diag.dump(protocols=("tcp",), families=(site.family,), states=["BOUND-INACTIVE"],
                                          sport=site.port)))
    for state_name, sockets in dumps:
        for s in sockets:
            if s.local_port == site.port and s.local_addr in ours:
                side = "server"
            elif s.remote_port == site.port and s.remote_addr == site.connect_addr:
                side = "client"
            else:
                continue
            views.append(SockView(side, state_name or s.state, endpoint(s.local_addr, s.local_port),
                                  endpoint(s.remote_addr, s.remote_port), s.expires_ms if s.timer else 0,
                                  s.recv_q, s.inode))
    views.sort(key=lambda v: (v.side != "server", v.state, v.local))
    return views


def settle(site: Site, done: Callable[[list[SockView]], bool] = lambda views: True,
           timeout: float = SETTLE_TIMEOUT_S) -> tuple[list[SockView], float, bool]:
    """Poll (bounded) until no socket is in a passing state and ``done`` holds.

    Returns the last observation, the ms it took, and whether it settled.
    """
    result = lab_settle.settle(lambda: observe(site),
                               lambda _previous, views: not any(v.state in TRANSIENT_STATES for v in views)
                               and done(views), timeout)
    return result.value, result.ms, result.settled


def endpoint(addr: str | None, port: int | None) -> str:
    if addr and ":" in addr:
        return f"[{addr}]:{port}"
    return f"{addr}:{port}"
