"""One function per scenario: run it on real sockets and return the Evidence for its sentence."""

from __future__ import annotations

import os
import signal
import socket
from dataclasses import dataclass, field
from typing import Callable

from netlab.core import sockopt
from netlab.lab.reuseaddr.actions import (Restart, client_reads, connect, counter_delta, counters_before, ended,
                                          old_server, reset_close, restart, try_listen)
from netlab.lab.reuseaddr.observe import SockView, observe, settle
from netlab.lab.reuseaddr.scenarios import Variant
from netlab.lab.reuseaddr.site import Site
from netlab.lab.serverproc import ServerProcess

CLIENTS_FOR_REUSEPORT = 32


@dataclass(slots=True)
class Evidence:
    """What happened and what was seen, from which the sentence is composed."""

    story: str  # the steps performed and the client's observations, in order
    views: list[SockView]
    restart: Restart
    details: dict = field(default_factory=dict)


def server_closes_first(site: Site, v: Variant) -> Evidence:
    """Ctrl-C the server with a client connected; the client reads EOF and closes."""
    with old_server(site, v) as server:
        server.start()
        client = connect(site)
        server.wait_accepted(1)
        before = counters_before(site)
        sent = signal.SIGINT
        status = server.signal(sent)
        seen = client_reads(client)
        client.close()
        views, settle_ms, settled = settle(site, lambda vs: any(x.side == "server" for x in vs))
        result = restart(site, v.new_reuseaddr)
    story = f"the server {ended(sent, status)}, then its client read {seen} and closed"
    return Evidence(story, views, result, {"settle_ms": settle_ms, "settled": settled, "client_read": seen,
                                           "counters": counter_delta(site, before)})


def server_killed(site: Site, v: Variant) -> Evidence:
    """SIGKILL the server while its client is connected and idle."""
    with old_server(site, v) as server:
        server.start()
        client = connect(site)
        try:
            server.wait_accepted(1)
            before = counters_before(site)
            sent = signal.SIGKILL
            status = server.signal(sent)
            views, settle_ms, settled = settle(site, lambda vs: any(x.side == "server" for x in vs))
            result = restart(site, v.new_reuseaddr)
            counters = counter_delta(site, before)
        finally:
            reset_close(client)
    story = f"the server {ended(sent, status)} while its client stayed connected and idle"
    return Evidence(story, views, result, {"settle_ms": settle_ms, "settled": settled, "counters": counters})


def server_killed_unread(site: Site, v: Variant) -> Evidence:
    """SIGKILL the server while data it never read waits in its receive queue."""
    payload = b"GET / HTTP/1.0\r\n\r\n"
    with old_server(site, v) as server:
        server.start()
        client = connect(site)
        try:
            server.wait_accepted(1)
            client.sendall(payload)
            queued, _, _ = settle(site, lambda vs: any(x.side == "server" and x.recv_q for x in vs))
            unread = max((x.recv_q for x in queued if x.side == "server"), default=0)
            before = counters_before(site)
            sent = signal.SIGKILL
            status = server.signal(sent)
            seen = client_reads(client)
            views, settle_ms, settled = settle(site)
            result = restart(site, v.new_reuseaddr)
            counters = counter_delta(site, before)
        finally:
            reset_close(client)
    story = (f"the server {ended(sent, status)} with {unread} unread bytes in its receive queue, "
             f"and its client's recv() got {seen}")
    return Evidence(story, views, result, {"settle_ms": settle_ms, "settled": settled, "unread_bytes": unread,
                                           "client_read": seen, "counters": counters})


def client_closes_first(site: Site, v: Variant) -> Evidence:
    """The client closes first, the server closes its side on EOF, then gets Ctrl-C."""
    with old_server(site, v, read=True) as server:
        server.start()
        client = connect(site)
        server.wait_accepted(1)
        before = counters_before(site)
        client.close()
        # The server reads EOF and closes: wait until only its listener is left.
        settle(site, lambda vs: [x.state for x in vs if x.side == "server"] == ["LISTEN"])
        sent = signal.SIGINT
        status = server.signal(sent)
        views, settle_ms, settled = settle(site, lambda vs: not any(x.side == "server" for x in vs))
        result = restart(site, v.new_reuseaddr)
    story = f"the client closed first, then the server closed its side on EOF and {ended(sent, status)}"
    return Evidence(story, views, result, {"settle_ms": settle_ms, "settled": settled,
                                           "counters": counter_delta(site, before)})


def listener_alive(site: Site, v: Variant) -> Evidence:
    """A second server starts while the first one still listens."""
    with old_server(site, v) as server:
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
            first_listen = try_listen(first)
            first_state = [x.state for x in observe(site) if x.inode == os.fstat(first.fileno()).st_ino]
            if second.sock is not None:
                second.listen = try_listen(second.sock)
        finally:
            second.close()
    finally:
        first.close()
    story = "two sockets bound the port one after the other, then both called listen()"
    return Evidence(story, views, second, {"old_listen": first_listen,
                                           "old_state_at_new_listen": first_state[0] if first_state else None})


def reuseport(site: Site, v: Variant) -> Evidence:
    """A second listener joins a running one with SO_REUSEPORT; count where connections land."""
    with old_server(site, v, accept=False) as server:
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
            clients.append(connect(site))
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
