"""How long TIME-WAIT lasts, and what tcp_fin_timeout really changes: measured.

In each probe a server closes two connections first: the client of the first
reads EOF and closes (the server's socket goes to TIME-WAIT), the client of
the second stays open (the server's orphaned socket waits in FIN-WAIT-2).
sock_diag is polled until both server sockets are gone (bounded), which gives
each state's lifetime; then a plain bind() (no SO_REUSEADDR) shows the port is
free again.

With root the probes run side by side in private namespaces, one with the
namespace's own tcp_fin_timeout and one with it set low (the sysctl is per
namespace: the host's is never touched), so one minute shows both. Without
root one probe runs on loopback with the host's value, which is only read.

The rows are ``engine.Outcome`` records (scenario "time-wait-lifetime").
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass, field
from typing import Iterator

from netlab.core import netns, procfs
from netlab.errors import EnvironmentProblem
from netlab.lab.reuseaddr.actions import reset_close, restart
from netlab.lab.reuseaddr.checks import resolve_address
from netlab.lab.reuseaddr.engine import Outcome
from netlab.lab.reuseaddr.observe import observe, settle
from netlab.lab.reuseaddr.ports import free_port
from netlab.lab.reuseaddr.site import DEFAULT_NAMESPACE_PORT, Site

SCENARIO = "time-wait-lifetime"
SHORT_FIN_TIMEOUT = 5
DEADLINE_S = 70.0  # TIME-WAIT is 60 s on Linux; a little margin, never unbounded
POLL_S = 0.05  # the lifetimes are read to 50 ms; the kernel's timer wheel is coarser at 60 s
FIN_TIMEOUT_KEY = "net.ipv4.tcp_fin_timeout"
IO_TIMEOUT_S = 2.0  # loopback answers in microseconds: this is only a bound


@dataclass
class Probe:
    """One server with a TIME-WAIT and a FIN-WAIT-2 socket, watched until both are gone."""

    site: Site
    ns: netns.Namespace | None
    fin_timeout: int
    fin_timeout_set: bool
    started: float = 0.0
    first_states: list[str] = field(default_factory=list)
    first_timer_ms: int = 0
    lifetimes_ms: dict[str, float | None] = field(default_factory=lambda: {"TIME-WAIT": None, "FIN-WAIT-2": None})
    bind: str = "not tried"
    listen: str | None = None
    idle_client: socket.socket | None = None
    remotes: dict[str, str] = field(default_factory=dict)  # state -> the client endpoint of that server socket

    @contextlib.contextmanager
    def inside(self) -> Iterator[None]:
        if self.ns is None:
            yield
        else:
            with self.ns.inside():
                yield

    @property
    def done(self) -> bool:
        return all(v is not None for v in self.lifetimes_ms.values())


def _start(probe: Probe) -> None:
    """Make the two server-side closes and note the states right after."""
    site = probe.site
    with probe.inside():
        clients, served = _two_connections(site)
        probe.remotes = {"TIME-WAIT": _name(clients[0]), "FIN-WAIT-2": _name(clients[1])}
        probe.started = time.monotonic()
        for conn in served:
            conn.close()  # the server closes first
        try:
            clients[0].settimeout(IO_TIMEOUT_S)
            clients[0].recv(1)  # EOF
        except OSError as err:  # a timeout included
            clients[1].close()
            raise _probe_failed(site, "the client did not read the server's close", err) from None
        finally:
            clients[0].close()
        probe.idle_client = clients[1]  # stays open: the server's socket waits in FIN-WAIT-2
        views, _, _ = settle(site, lambda vs: {"TIME-WAIT", "FIN-WAIT-2"} <= {x.state for x in vs})
    probe.first_states = [x.label for x in views]
    probe.first_timer_ms = max((x.timer_ms for x in views if x.state == "TIME-WAIT"), default=0)


def _two_connections(site: Site) -> tuple[list[socket.socket], list[socket.socket]]:
    """A listener on the site's port and two connections to it: (clients, server sides)."""
    clients: list[socket.socket] = []
    served: list[socket.socket] = []
    listener = socket.socket(site.af, socket.SOCK_STREAM)
    try:
        listener.settimeout(IO_TIMEOUT_S)
        listener.bind((site.bind_addr, site.port))
        listener.listen(8)
        for _ in range(2):
            clients.append(socket.create_connection((site.connect_addr, site.port), timeout=IO_TIMEOUT_S))
            served.append(listener.accept()[0])
    except OSError as err:  # a timeout included: the port was free, so this is the machine
        for sock in clients + served:
            sock.close()
        raise _probe_failed(site, "the probe's connections could not be made", err) from None
    finally:
        listener.close()
    return clients, served


def _probe_failed(site: Site, what: str, err: OSError) -> EnvironmentProblem:
    return EnvironmentProblem(f"TIME-WAIT probe on port {site.port}: {what}: {err.strerror or 'timed out'}",
                              "the machine may be too busy; try again")


def _name(sock: socket.socket) -> str:
    addr, port = sock.getsockname()[:2]
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def _poll(probe: Probe) -> None:
    with probe.inside():
        views = observe(probe.site)
        present = {(x.state, x.remote) for x in views if x.side == "server"}
        for state, remote in probe.remotes.items():
            # A FIN-WAIT-2 socket whose peer finally closes would turn into TIME-WAIT:
            # follow each socket by its peer, not by its state name.
            if probe.lifetimes_ms[state] is None and not any(r == remote for _, r in present):
                probe.lifetimes_ms[state] = round((time.monotonic() - probe.started) * 1000, 1)
        if probe.done and probe.bind == "not tried":
            attempt = restart(probe.site, reuseaddr=False)
            probe.bind, probe.listen = attempt.bind, attempt.listen


def _finish(probe: Probe) -> None:
    if probe.idle_client is not None:
        with probe.inside():
            reset_close(probe.idle_client)
        probe.idle_client = None


def _seconds(ms: float | None) -> str:
    return f"{ms / 1000:.1f} s" if ms is not None else f"more than {DEADLINE_S:.0f} s"


def _sentence(probe: Probe) -> str:
    tw, fw2 = probe.lifetimes_ms["TIME-WAIT"], probe.lifetimes_ms["FIN-WAIT-2"]
    if probe.fin_timeout_set:
        setting = "set in this namespace"
    else:
        setting = "the namespace's default" if probe.ns is not None else "the host's, only read"
    text = (f"With tcp_fin_timeout={probe.fin_timeout} ({setting}) the server's TIME-WAIT socket lasted "
            f"{_seconds(tw)} and its orphaned FIN-WAIT-2 socket {_seconds(fw2)}")
    if tw is not None and fw2 is not None and _near(fw2, probe.fin_timeout) and not _near(tw, probe.fin_timeout):
        text += ": tcp_fin_timeout bounded FIN-WAIT-2, not TIME-WAIT"
    if probe.bind != "not tried":
        outcome = "succeeded" if probe.bind == "ok" else f"failed with {probe.bind}"
        text += f"; a plain bind() without SO_REUSEADDR then {outcome}"
    return text + "."


def _near(ms: float, seconds: int) -> bool:
    """Within the kernel's timer slack (long timers may fire up to 1/8 late) of ``seconds``."""
    return seconds * 1000 - 100 <= ms <= seconds * 1125 + 200


def _outcome(probe: Probe) -> Outcome:
    site = probe.site
    return Outcome(
        SCENARIO, False, False, probe.first_states, probe.bind, probe.listen, _sentence(probe),
        family=site.family, addr=site.bind_addr, port=site.port, where=site.where,
        timing_ms=round((time.monotonic() - probe.started) * 1000, 1),
        details={"tcp_fin_timeout": probe.fin_timeout, "tcp_fin_timeout_set": probe.fin_timeout_set,
                 "time_wait_ms": probe.lifetimes_ms["TIME-WAIT"], "fin_wait2_ms": probe.lifetimes_ms["FIN-WAIT-2"],
                 "time_wait_timer_at_start_ms": float(probe.first_timer_ms), "deadline_ms": DEADLINE_S * 1000.0},
    )


def measure(port: int | None = None, addr: str | None = None, ipv6: bool = False,
            isolate: bool | None = None, short_fin_timeout: int = SHORT_FIN_TIMEOUT) -> list[Outcome]:
    """Measure TIME-WAIT and FIN-WAIT-2 lifetimes (about 60 s, at most DEADLINE_S)."""
    family, bind_addr, connect_addr = resolve_address(addr, ipv6)
    if isolate is None:
        isolate = netns.available()
    with contextlib.ExitStack() as stack:
        probes: list[Probe] = []
        if isolate:
            for wanted in (None, short_fin_timeout):
                ns = stack.enter_context(netns.namespace())
                value = int(ns.sysctl(FIN_TIMEOUT_KEY, wanted))
                site = Site(family, bind_addr, connect_addr, port or DEFAULT_NAMESPACE_PORT, "namespace")
                probes.append(Probe(site, ns, value, wanted is not None))
        else:
            site = Site(family, bind_addr, connect_addr, free_port(family, bind_addr, port), "loopback")
            probes.append(Probe(site, None, int(procfs.sysctl(FIN_TIMEOUT_KEY)), False))
        try:
            for probe in probes:
                _start(probe)
            deadline = time.monotonic() + DEADLINE_S
            while time.monotonic() < deadline and not all(p.done for p in probes):
                for probe in probes:
                    _poll(probe)
                time.sleep(POLL_S)
            for probe in probes:
                _poll(probe)
        finally:
            for probe in probes:
                _finish(probe)
        return [_outcome(p) for p in probes]
