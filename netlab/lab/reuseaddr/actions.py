"""What the experiment's programs do: the restarted server's calls, the client, the old server process."""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
from dataclasses import dataclass

from netlab.core import procfs, sockopt
from netlab.errors import EnvironmentProblem
from netlab.lab.counters import delta as counters_delta
from netlab.lab.reuseaddr.observe import endpoint
from netlab.lab.reuseaddr.scenarios import Variant
from netlab.lab.reuseaddr.site import Site
from netlab.lab.serverproc import ServerProcess

CONNECT_TIMEOUT_S = 2.0  # loopback answers in microseconds: this is only a bound

# TcpExt/Tcp counters that tell how the old connections ended (namespace runs only:
# on the host they count everybody's sockets).
EVIDENCE_COUNTERS = (("TcpExt", "TCPAbortOnData"), ("TcpExt", "TCPAbortOnClose"), ("TcpExt", "TW"),
                     ("Tcp", "OutRsts"))


def errno_name(err: OSError) -> str:
    return errno.errorcode.get(err.errno, str(err.errno))


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
        listen = try_listen(sock) if do_listen else None
        if keep and listen in ("ok", None):
            kept, sock = sock, None
            return Restart("ok", listen, kept)
        return Restart("ok", listen)
    finally:
        if sock is not None:
            sock.close()


def try_listen(sock: socket.socket, backlog: int = 128) -> str:
    try:
        sock.listen(backlog)
        return "ok"
    except OSError as err:
        return errno_name(err)


def connect(site: Site) -> socket.socket:
    client = socket.socket(site.af, socket.SOCK_STREAM)
    client.settimeout(CONNECT_TIMEOUT_S)
    try:
        client.connect((site.connect_addr, site.port))
    except OSError as err:  # a timeout included: the server listens, so this is the machine, not the input
        client.close()
        raise EnvironmentProblem(f"the experiment's client could not connect to "
                                 f"{endpoint(site.connect_addr, site.port)}: "
                                 f"{err.strerror or 'timed out'}", "the machine may be too busy; try again") from None
    return client



def client_reads(client: socket.socket, timeout: float = 1.0) -> str:
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


def ended(sent: signal.Signals, status: int) -> str:
    """How the server process ended: the signal sent, and its wait status (negative: killed by that signal)."""
    if status < 0:
        return f"was killed by {signal.Signals(-status).name}"
    return f"got {sent.name}{' (Ctrl-C)' if sent == signal.SIGINT else ''} and exited with status {status}"


def old_server(site: Site, v: Variant, **kwargs) -> ServerProcess:
    return ServerProcess(site.family, site.bind_addr, site.port, reuseaddr=v.old_reuseaddr,
                         reuseport=v.old_reuseport, **kwargs)


def counters_before(site: Site):
    return procfs.counters() if site.where == "namespace" else None


def counter_delta(site: Site, before) -> dict:
    if before is None:
        return {}
    return counters_delta(procfs.counters(), before, EVIDENCE_COUNTERS, nonzero=True)
