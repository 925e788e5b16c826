"""One probe point of `netlab backlog`: a listener that never accepts, and what its queues hold.

A probe point runs in a *place* (netlab.lab.place): a private network namespace made for that
point alone when we may make one (somaxconn, syncookies, tcp_max_syn_backlog
and tcp_abort_on_overflow are per namespace, so they are set there and never on
the host; its TcpExt counters see only our traffic), otherwise the current
namespace on loopback with its sysctls as they are.

Every figure is read back from the kernel: the effective backlog and the
accept-queue length from sock_diag (what ss shows as Send-Q / Recv-Q of a
LISTEN socket), the SYN-RECV / ESTAB / SYN-SENT counts from a sock_diag dump
filtered by port in the kernel, the counters from /proc/thread-self/net.
"""

from __future__ import annotations

import contextlib
import errno
import resource
import socket
import time
from dataclasses import dataclass

from netlab.core import diag, procfs, sockopt
from netlab.errors import EnvironmentProblem, UsageError
from netlab.lab import place as lab_place
from netlab.lab import settle as lab_settle
from netlab.lab.counters import delta as counters_delta
from netlab.lab.place import Place
from netlab.records import fields_dict

LOOPBACK = "127.0.0.1"

# The counters a probe point reports: (snmp group, name). ListenOverflows and
# ListenDrops count SYNs (or final ACKs) that met a full accept queue;
# TCPReqQFullDoCookies / TCPReqQFullDrop count SYNs that met a full SYN queue
# with and without syncookies; EmbryonicRsts and OutRsts show the RSTs of
# tcp_abort_on_overflow.
COUNTERS = (
    ("TcpExt", "ListenOverflows"),
    ("TcpExt", "ListenDrops"),
    ("TcpExt", "TCPReqQFullDoCookies"),
    ("TcpExt", "TCPReqQFullDrop"),
    ("TcpExt", "SyncookiesSent"),
    ("TcpExt", "EmbryonicRsts"),
    ("Tcp", "OutRsts"),
)
COUNTER_NAMES = tuple(name for _, name in COUNTERS)

SOMAXCONN = "net.core.somaxconn"
SYNCOOKIES = "net.ipv4.tcp_syncookies"
MAX_SYN_BACKLOG = "net.ipv4.tcp_max_syn_backlog"
ABORT_ON_OVERFLOW = "net.ipv4.tcp_abort_on_overflow"
PLACE_KNOBS = (SOMAXCONN, SYNCOOKIES, MAX_SYN_BACKLOG, ABORT_ON_OVERFLOW)

SETTLE_LIMIT_S = 0.1  # loopback handshakes finish inside connect(); this only guards against stragglers
FD_MARGIN = 64


@dataclass(slots=True)
class ProbePoint:
    """What one listener's queues held after a burst of connects. Field names are the JSON contract."""

    mode: str  # connect, syn_queue, abort_on_overflow
    backlog: int  # what listen() was given
    somaxconn: int  # net.core.somaxconn where the listener lived (read back)
    effective_backlog: int  # the listener's backlog as the kernel reports it (sock_diag)
    connects: int  # real client connects fired
    established: int  # clients that reached ESTAB
    syn_sent: int  # clients left in SYN-SENT (their SYN was dropped)
    accept_queue: int  # connections waiting in the accept queue (sock_diag)
    syn_recv: int  # SYN-RECV entries of the listener: the SYN queue
    counters: dict  # counter deltas over the point, by the kernel's name in snake_case (listen_overflows)
    syncookies: int
    max_syn_backlog: int
    abort_on_overflow: int
    half_open_syns: int = 0  # syn-queue: crafted SYNs whose SYN-ACKs vanish
    late_acks: int = 0  # abort-on-overflow: handshakes completed after the accept queue filled
    resets: int = 0  # clients whose connection was reset (ECONNRESET)
    isolation: str = "namespace"  # namespace (private, made for this point) or host (current namespace)
    elapsed_ms: float = 0.0

    def as_dict(self) -> dict:
        return fields_dict(self)


@dataclass(slots=True)
class QueueState:
    """One look at a listener's port: the listener record and the TCP states on both ends."""

    effective_backlog: int
    accept_queue: int
    syn_recv: int
    established: int  # client side
    syn_sent: int  # client side

    def key(self) -> tuple:
        return (self.accept_queue, self.syn_recv, self.established, self.syn_sent)


# ---------------------------------------------------------------- places


def place(private: bool, sysctls: dict[str, int | None]) -> contextlib.AbstractContextManager[Place]:
    """The place of one probe point (netlab.lab.place), with the point's sysctls set and all PLACE_KNOBS read back."""
    return lab_place.place(private, sysctls, read=PLACE_KNOBS)


# ---------------------------------------------------------------- sockets


def check_fd_budget(clients: int) -> None:
    """Every client is a descriptor: make sure the burst fits the open-files limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = clients + FD_MARGIN
    if need <= soft:
        return
    if hard == resource.RLIM_INFINITY or need <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        return
    raise UsageError(f"{clients} connects need {need} open files, the limit is {hard}", "use fewer --connects or raise ulimit -n")


def open_listener(backlog: int, addr: str = LOOPBACK, defer_accept: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((addr, 0))
        if defer_accept:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, defer_accept)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def connect_nonblocking(port: int, addr: str = LOOPBACK) -> socket.socket:
    """A client whose connect() never waits: EINPROGRESS is the normal answer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    code = sock.connect_ex((addr, port))
    if code not in (0, errno.EINPROGRESS):
        sock.close()
        raise EnvironmentProblem(f"connect to {addr}:{port} failed: {errno.errorcode.get(code, code)}",
                                 "out of local ports? use fewer --connects")
    return sock


def close_quietly(socks) -> None:
    """Close clients with an RST (SO_LINGER 0) so no TIME-WAIT is left behind on loopback."""
    for sock in socks:
        with contextlib.suppress(OSError):
            sockopt.set_linger_reset(sock)
        sock.close()


def look(port: int, addr: str = LOOPBACK) -> QueueState:
    """Count the states on both ends of a listener's port (two kernel-filtered dumps).

    The address check keeps out strangers that merely share the port number
    (a connection to some remote host's port, when we run in the host namespace).
    """
    server = [s for s in diag.dump(protocols=("tcp",), families=("inet",), sport=port) if s.local_addr == addr]
    clients = [s for s in diag.dump(protocols=("tcp",), families=("inet",), dport=port) if s.remote_addr == addr]
    listener = next((s for s in server if s.state == "LISTEN"), None)
    if listener is None:
        raise EnvironmentProblem(f"sock_diag does not show our listener on port {port}", "is netlink sock_diag available?")
    return QueueState(
        effective_backlog=listener.send_q,
        accept_queue=listener.recv_q,
        syn_recv=sum(1 for s in server if s.state == "SYN-RECV"),
        established=sum(1 for s in clients if s.state == "ESTAB"),
        syn_sent=sum(1 for s in clients if s.state == "SYN-SENT"),
    )


def settle(port: int, limit: float = SETTLE_LIMIT_S) -> QueueState:
    """Look until two looks agree (bounded): the kernel has finished with the burst."""
    return lab_settle.settle(lambda: look(port), _same, limit).value


def _same(previous: QueueState | None, state: QueueState) -> bool:
    return previous is not None and previous.key() == state.key()


# ---------------------------------------------------------------- the connect probe


def connect_point(backlog: int, connects: int, somaxconn: int | None, private: bool) -> ProbePoint:
    """listen(backlog) without accept(), fire ``connects`` non-blocking connects, count what stuck."""
    started = time.perf_counter()
    with place(private, {SOMAXCONN: somaxconn}) as where, contextlib.ExitStack() as stack:
        listener = open_listener(backlog)
        stack.callback(listener.close)
        port = listener.getsockname()[1]
        clients: list[socket.socket] = []
        stack.callback(close_quietly, clients)  # runs before the listener closes
        before = procfs.counters()
        for _ in range(connects):
            clients.append(connect_nonblocking(port))
        state = settle(port)
        counters = counters_delta(procfs.counters(), before, COUNTERS)
        point = make_point("connect", where, backlog, connects, state, counters)
    return finish(point, started)


def finish(point: ProbePoint, started: float) -> ProbePoint:
    """Stamp the wall time of the whole point, namespace made and deleted included."""
    point.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return point


def make_point(mode: str, where: Place, backlog: int, connects: int, state: QueueState, counters: dict,
           **extra) -> ProbePoint:
    return ProbePoint(
        mode=mode,
        backlog=backlog,
        somaxconn=where.knobs[SOMAXCONN],
        effective_backlog=state.effective_backlog,
        connects=connects,
        established=state.established,
        syn_sent=state.syn_sent,
        accept_queue=state.accept_queue,
        syn_recv=state.syn_recv,
        counters=counters,
        syncookies=where.knobs[SYNCOOKIES],
        max_syn_backlog=where.knobs[MAX_SYN_BACKLOG],
        abort_on_overflow=where.knobs[ABORT_ON_OVERFLOW],
        isolation=where.isolation,
        **extra,
    )
