"""The SO_REUSEADDR restart experiment, measured: stop a server, restart it, look.

The classic lab (start a server and a client, Ctrl-C the server, restart it: it
will not start unless the address is reused) in the variants that matter. Each
scenario runs real sockets and a real server process, then reports what the
kernel said: the states of the old sockets on the port just before the restart
(read with sock_diag, netlab.core.diag), the errno of bind() and listen() of the
new socket, and one sentence composed from those measurements.

Where: with root each row runs in its own private network namespace (made and
deleted here), so the port is exactly the one asked (default 8001) and nothing
is left behind. Without root each row takes a free loopback port of its own
and checks that no other socket uses it; a TIME-WAIT made there by the
experiment stays on that port for its 60 s.

Python API::

    from netlab.lab import reuseaddr
    for row in reuseaddr.run(["server-killed"]):
        print(row.bind, row.explanation)
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import signal
import socket
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterator, Sequence

from netlab.core import diag, netns, procfs, sockopt
from netlab.errors import EnvironmentProblem, UsageError
from netlab.lab.serverproc import ServerProcess

DEFAULT_NAMESPACE_PORT = 8001  # the port of the notes' experiment; free in a private namespace
CLIENTS_FOR_REUSEPORT = 32
SETTLE_TIMEOUT_S = 2.0
CONNECT_TIMEOUT_S = 2.0  # loopback answers in microseconds: this is only a bound
# States a closing connection passes through in microseconds on loopback: the
# observation waits until none is left, so a row never catches a transient.
TRANSIENT_STATES = {"FIN-WAIT-1", "CLOSING", "LAST-ACK", "SYN-SENT", "SYN-RECV"}
# TcpExt/Tcp counters that tell how the old connections ended (namespace runs only:
# on the host they count everybody's sockets).
EVIDENCE_COUNTERS = (("TcpExt", "TCPAbortOnData"), ("TcpExt", "TCPAbortOnClose"), ("TcpExt", "TW"),
                     ("Tcp", "OutRsts"))


@dataclass(frozen=True, slots=True)
class Variant:
    """Socket options of the old server's socket and of the restarted one."""

    old_reuseaddr: bool = False
    new_reuseaddr: bool = False
    old_reuseport: bool = False
    new_reuseport: bool = False


_NONE, _NEW, _OLD, _BOTH = Variant(), Variant(new_reuseaddr=True), Variant(old_reuseaddr=True), Variant(True, True)

# scenario -> the option combinations shown for it (one row each).
SCENARIOS: dict[str, tuple[Variant, ...]] = {
    "server-closes-first": (_NONE, _NEW, _OLD, _BOTH),
    "server-killed": (_NONE, _NEW, _BOTH),
    "server-killed-unread": (_NONE,),
    "client-closes-first": (_NONE,),
    "listener-alive": (_NONE, _BOTH),
    "both-reuseaddr": (_BOTH,),
    "reuseport": (Variant(old_reuseport=True, new_reuseport=True), Variant(old_reuseport=True)),
}


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
                "timer_ms": self.timer_ms, "recv_q": self.recv_q}


@dataclass(slots=True)
class Outcome:
    """One row: a scenario with one option combination. Field names are the JSON contract."""

    scenario: str
    old_reuseaddr: bool
    new_reuseaddr: bool
    old_states: list[str]  # "server:TIME-WAIT", "client:CLOSE-WAIT", ... before the restart
    bind: str  # "ok" or an errno name
    listen: str | None  # "ok", an errno name, or None when bind() failed (not tried)
    explanation: str
    old_reuseport: bool = False
    new_reuseport: bool = False
    family: str = "inet"
    addr: str = ""
    port: int = 0
    where: str = ""
    timing_ms: float = 0.0
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- observing


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
            views.append(SockView(side, state_name or s.state, _endpoint(s.local_addr, s.local_port),
                                  _endpoint(s.remote_addr, s.remote_port), s.expires_ms if s.timer else 0,
                                  s.recv_q, s.inode))
    views.sort(key=lambda v: (v.side != "server", v.state, v.local))
    return views


def settle(site: Site, done: Callable[[list[SockView]], bool] = lambda views: True,
           timeout: float = SETTLE_TIMEOUT_S) -> tuple[list[SockView], float, bool]:
    """Poll (bounded) until no socket is in a passing state and ``done`` holds.

    Returns the last observation, the ms it took, and whether it settled.
    """
    start = time.monotonic()
    while True:
        views = observe(site)
        if not any(v.state in TRANSIENT_STATES for v in views) and done(views):
            return views, _ms_since(start), True
        if time.monotonic() - start > timeout:
            return views, _ms_since(start), False
        time.sleep(0.002)


def _endpoint(addr: str | None, port: int | None) -> str:
    if addr and ":" in addr:
        return f"[{addr}]:{port}"
    return f"{addr}:{port}"


def _ms_since(start: float) -> float:
    return round((time.monotonic() - start) * 1000, 1)


def errno_name(err: OSError) -> str:
    return errno.errorcode.get(err.errno, str(err.errno))


# ---------------------------------------------------------------- acting


@dataclass(slots=True)
class Restart:
    bind: str
    listen: str | None
    sock: socket.socket | None = None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def restart(site: Site, reuseaddr: bool, reuseport: bool = False, keep: bool = False,
            do_listen: bool = True) -> Restart:
    """What a restarted server does: socket(), options, bind(), listen(); errno names back.

    ``keep``: hand the socket back when all went well (the caller closes it).
    """
    sock = socket.socket(site.af, socket.SOCK_STREAM)
    try:
        sockopt.set_reuseaddr(sock, reuseaddr)
        sockopt.set_reuseport(sock, reuseport)
        try:
            sock.bind((site.bind_addr, site.port))
        except OSError as err:
            return Restart(errno_name(err), None)
        listen = _listen(sock) if do_listen else None
        if keep and listen in ("ok", None):
            kept, sock = sock, None
            return Restart("ok", listen, kept)
        return Restart("ok", listen)
    finally:
        if sock is not None:
            sock.close()


def _listen(sock: socket.socket, backlog: int = 128) -> str:
    try:
        sock.listen(backlog)
        return "ok"
    except OSError as err:
        return errno_name(err)


def _connect(site: Site) -> socket.socket:
    client = socket.socket(site.af, socket.SOCK_STREAM)
    client.settimeout(CONNECT_TIMEOUT_S)
    try:
        client.connect((site.connect_addr, site.port))
    except OSError as err:  # a timeout included: the server listens, so this is the machine, not the input
        client.close()
        raise EnvironmentProblem(f"the experiment's client could not connect to "
                                 f"{_endpoint(site.connect_addr, site.port)}: "
                                 f"{err.strerror or 'timed out'}", "the machine may be too busy; try again") from None
    return client



def _client_reads(client: socket.socket, timeout: float = 1.0) -> str:
    """What the client's recv() gives now: EOF, data, an errno name, or nothing (timeout)."""
    client.settimeout(timeout)
    try:
        data = client.recv(4096)
    except socket.timeout:
        return "nothing"
    except OSError as err:
        return errno_name(err)
    return "EOF" if not data else f"{len(data)} bytes"


def reset_close(sock: socket.socket) -> None:
    """Close with RST so a finished experiment leaves no TIME-WAIT of its own making."""
    with contextlib.suppress(OSError):
        sockopt.set_linger_reset(sock)
    sock.close()


def _ended(sent: signal.Signals, status: int) -> str:
    """How the server process ended: the signal sent, and its wait status (negative: killed by that signal)."""
    if status < 0:
        return f"was killed by {signal.Signals(-status).name}"
    return f"got {sent.name}{' (Ctrl-C)' if sent == signal.SIGINT else ''} and exited with status {status}"


def _server(site: Site, v: Variant, **kwargs) -> ServerProcess:
    return ServerProcess(site.family, site.bind_addr, site.port, reuseaddr=v.old_reuseaddr,
                         reuseport=v.old_reuseport, **kwargs)


def _counters(site: Site):
    return procfs.counters() if site.where == "namespace" else None


def _counter_delta(site: Site, before) -> dict:
    if before is None:
        return {}
    delta = procfs.counters().delta(before)
    return {name: delta.get(group, name) for group, name in EVIDENCE_COUNTERS if delta.get(group, name)}


# ---------------------------------------------------------------- scenarios


@dataclass(slots=True)
class Evidence:
    """What happened and what was seen, from which the sentence is composed."""

    story: str  # the steps performed and the client's observations, in order
    views: list[SockView]
    restart: Restart
    details: dict = field(default_factory=dict)


def server_closes_first(site: Site, v: Variant) -> Evidence:
    """Ctrl-C the server with a client connected; the client reads EOF and closes."""
    with _server(site, v) as server:
        server.start()
        client = _connect(site)
        server.wait_accepted(1)
        before = _counters(site)
        sent = signal.SIGINT
        status = server.signal(sent)
        seen = _client_reads(client)
        client.close()
        views, settle_ms, settled = settle(site, lambda vs: any(x.side == "server" for x in vs))
        result = restart(site, v.new_reuseaddr)
    story = f"the server {_ended(sent, status)}, then its client read {seen} and closed"
    return Evidence(story, views, result, {"settle_ms": settle_ms, "settled": settled, "client_read": seen,
                                           "counters": _counter_delta(site, before)})


def server_killed(site: Site, v: Variant) -> Evidence:
    """SIGKILL the server while its client is connected and idle."""
    with _server(site, v) as server:
        server.start()
        client = _connect(site)
        try:
            server.wait_accepted(1)
            before = _counters(site)
            sent = signal.SIGKILL
            status = server.signal(sent)
            views, settle_ms, settled = settle(site, lambda vs: any(x.side == "server" for x in vs))
            result = restart(site, v.new_reuseaddr)
            counters = _counter_delta(site, before)
        finally:
            reset_close(client)
    story = f"the server {_ended(sent, status)} while its client stayed connected and idle"
    return Evidence(story, views, result, {"settle_ms": settle_ms, "settled": settled, "counters": counters})


def server_killed_unread(site: Site, v: Variant) -> Evidence:
    """SIGKILL the server while data it never read waits in its receive queue."""
    payload = b"GET / HTTP/1.0\r\n\r\n"
    with _server(site, v) as server:
        server.start()
        client = _connect(site)
        try:
            server.wait_accepted(1)
            client.sendall(payload)
            queued, _, _ = settle(site, lambda vs: any(x.side == "server" and x.recv_q for x in vs))
            unread = max((x.recv_q for x in queued if x.side == "server"), default=0)
            before = _counters(site)
            sent = signal.SIGKILL
            status = server.signal(sent)
            seen = _client_reads(client)
            views, settle_ms, settled = settle(site)
            result = restart(site, v.new_reuseaddr)
            counters = _counter_delta(site, before)
        finally:
            reset_close(client)
    story = (f"the server {_ended(sent, status)} with {unread} unread bytes in its receive queue, "
             f"and its client's recv() got {seen}")
    return Evidence(story, views, result, {"settle_ms": settle_ms, "settled": settled, "unread_bytes": unread,
                                           "client_read": seen, "counters": counters})


def client_closes_first(site: Site, v: Variant) -> Evidence:
    """The client closes first, the server closes its side on EOF, then gets Ctrl-C."""
    with _server(site, v, read=True) as server:
        server.start()
        client = _connect(site)
        server.wait_accepted(1)
        before = _counters(site)
        client.close()
        # The server reads EOF and closes: wait until only its listener is left.
        settle(site, lambda vs: [x.state for x in vs if x.side == "server"] == ["LISTEN"])
        sent = signal.SIGINT
        status = server.signal(sent)
        views, settle_ms, settled = settle(site, lambda vs: not any(x.side == "server" for x in vs))
        result = restart(site, v.new_reuseaddr)
    story = f"the client closed first, then the server closed its side on EOF and {_ended(sent, status)}"
    return Evidence(story, views, result, {"settle_ms": settle_ms, "settled": settled,
                                           "counters": _counter_delta(site, before)})


def listener_alive(site: Site, v: Variant) -> Evidence:
    """A second server starts while the first one still listens."""
    with _server(site, v) as server:
        server.start()
        views = observe(site)
        result = restart(site, v.new_reuseaddr)
        story = _still_running(server)
    return Evidence(story, views, result, {"old_pid": server.pid})


def both_reuseaddr(site: Site, v: Variant) -> Evidence:
    """Two sockets with SO_REUSEADDR bind the same address before either listens."""
    first = socket.socket(site.af, socket.SOCK_STREAM)
    try:
        sockopt.set_reuseaddr(first, v.old_reuseaddr)
        first.bind((site.bind_addr, site.port))
        views = observe(site)
        second = restart(site, v.new_reuseaddr, keep=True, do_listen=False)
        try:
            first_listen = _listen(first)
            first_state = [x.state for x in observe(site) if x.inode == os.fstat(first.fileno()).st_ino]
            if second.sock is not None:
                second.listen = _listen(second.sock)
        finally:
            second.close()
    finally:
        first.close()
    story = "two sockets bound the port one after the other, then both called listen()"
    return Evidence(story, views, second, {"old_listen": first_listen,
                                           "old_state_at_new_listen": first_state[0] if first_state else None})


def reuseport(site: Site, v: Variant) -> Evidence:
    """A second listener joins a running one with SO_REUSEPORT; count where connections land."""
    with _server(site, v, accept=False) as server:
        server.start()
        views = observe(site)
        result = restart(site, v.new_reuseaddr, v.new_reuseport, keep=True)
        details: dict = {}
        try:
            if result.sock is not None:
                details["spread"] = _spread(site, result.sock)
        finally:
            result.close()
        story = _still_running(server)
    return Evidence(story, views, result, details)


def _still_running(server: ServerProcess) -> str:
    """Checked, not assumed: the old server process is alive at the restart."""
    alive = server.proc is not None and server.proc.poll() is None
    return f"the old server (pid {server.pid}) {'still ran' if alive else 'had exited'}"


def _spread(site: Site, new: socket.socket) -> dict:
    """Connect N clients, then read each listener's accept-queue length from sock_diag."""
    clients = []
    try:
        for _ in range(CLIENTS_FOR_REUSEPORT):
            clients.append(_connect(site))
        new_inode = os.fstat(new.fileno()).st_ino
        counts = {"old": 0, "new": 0}
        for view in observe(site):
            if view.state == "LISTEN":
                counts["new" if view.inode == new_inode else "old"] += view.recv_q
        return {"connections": len(clients), **counts}
    finally:
        for client in clients:
            reset_close(client)


RUNNERS: dict[str, Callable[[Site, Variant], Evidence]] = {
    "server-closes-first": server_closes_first,
    "server-killed": server_killed,
    "server-killed-unread": server_killed_unread,
    "client-closes-first": client_closes_first,
    "listener-alive": listener_alive,
    "both-reuseaddr": both_reuseaddr,
    "reuseport": reuseport,
}


# ---------------------------------------------------------------- the sentence


def _flags_phrase(old: bool, new: bool) -> str:
    return {(True, True): "on both the old and the new socket", (False, True): "on the new socket only",
            (True, False): "on the old socket only", (False, False): "on neither socket"}[(old, new)]


def _result_phrase(bind: str, listen: str | None) -> str:
    if bind != "ok":
        return f"bind() failed with {bind}"
    if listen is None:
        return "bind() succeeded"
    if listen == "ok":
        return "bind() and listen() succeeded"
    return f"bind() succeeded but listen() failed with {listen}"


def explain(site: Site, v: Variant, ev: Evidence) -> str:
    """One sentence from the measured values: what held the port, the options, what the kernel said."""
    holders = [x for x in ev.views if x.side == "server"]
    clients = [x for x in ev.views if x.side == "client"]
    if holders:
        states = " and ".join(sorted({x.state for x in holders}))
        noun = "socket" if len(holders) == 1 else "sockets"
        held = f"the old {states} {noun} held {site.endpoint}"
        left = max((x.timer_ms for x in holders if x.state != "LISTEN"), default=0)
        if left:
            held += f" with {left / 1000:.1f} s left on its timer"
    else:
        held = f"no socket was left on {site.endpoint}"
        if clients:
            held += " (only the client's " + " and ".join(sorted({x.state for x in clients}))
            held += f" on its own port {clients[0].local.rsplit(':', 1)[1]})"
    if v.old_reuseport or v.new_reuseport:
        option = "SO_REUSEPORT " + _flags_phrase(v.old_reuseport, v.new_reuseport)
    else:
        option = "SO_REUSEADDR " + _flags_phrase(v.old_reuseaddr, v.new_reuseaddr)
    result = _result_phrase(ev.restart.bind, ev.restart.listen)
    succeeded = ev.restart.bind == "ok" and ev.restart.listen in ("ok", None)
    if not holders:
        tail = f"so with {option} {result}"
    elif succeeded:
        tail = f"but with {option} {result}"
    else:
        tail = f"and with {option} {result}"
    if ev.restart.listen not in ("ok", None) and ev.details.get("old_state_at_new_listen"):
        tail += f" because the old socket was {ev.details['old_state_at_new_listen']} by then"
    spread = ev.details.get("spread")
    if spread:
        tail += (f"; the kernel spread {spread['connections']} connections {spread['old']} (old) / "
                 f"{spread['new']} (new)")
    return f"{ev.story[0].upper()}{ev.story[1:]}; {held}, {tail}."


# ---------------------------------------------------------------- running


def parse_scenarios(names: Sequence[str] | None) -> list[str]:
    """Validate scenario names (None or empty: all, in the documented order)."""
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


@contextlib.contextmanager
def site_for_row(family: str, bind_addr: str, connect_addr: str, port: int | None,
                 isolate: bool) -> Iterator[Site]:
    """A private namespace for one row (deleted afterwards), or a free loopback port."""
    if isolate:
        with netns.namespace() as ns, ns.inside():
            yield Site(family, bind_addr, connect_addr, port or DEFAULT_NAMESPACE_PORT, "namespace")
    else:
        yield Site(family, bind_addr, connect_addr, free_port(family, bind_addr, port), "loopback")


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


def run_row(scenario: str, v: Variant, family: str, bind_addr: str, connect_addr: str, port: int | None,
            isolate: bool) -> Outcome:
    start = time.monotonic()
    with site_for_row(family, bind_addr, connect_addr, port, isolate) as site:
        ev = RUNNERS[scenario](site, v)
        sentence = explain(site, v, ev)
    details = {k: val for k, val in ev.details.items() if val not in ({}, None)}
    details["old_sockets"] = [x.as_dict() for x in ev.views]
    return Outcome(scenario, v.old_reuseaddr, v.new_reuseaddr, [x.label for x in ev.views], ev.restart.bind,
                   ev.restart.listen, sentence, v.old_reuseport, v.new_reuseport, family, bind_addr, site.port,
                   site.where, _ms_since(start), details)


def run(scenarios: Sequence[str] | None = None, port: int | None = None, addr: str | None = None,
        ipv6: bool = False, isolate: bool | None = None) -> list[Outcome]:
    """Run the scenarios (all by default), one row per option combination.

    ``isolate``: one private namespace per row (default: when privileged).
    """
    names = parse_scenarios(scenarios)
    family, bind_addr, connect_addr = resolve_address(addr, ipv6)
    if isolate is None:
        isolate = netns.available()
    check_port(port)
    return [run_row(name, v, family, bind_addr, connect_addr, port, isolate)
            for name in names for v in SCENARIOS[name]]
