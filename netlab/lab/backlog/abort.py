"""tcp_abort_on_overflow: the RST a completed handshake gets when the accept queue is full.

The sysctl acts where the kernel turns a finished handshake into a connection
(tcp_check_req): if the accept queue is full at that moment, it either drops
the final ACK and keeps the request (0, the default: the client believes it is
connected and retransmits) or answers with an RST (1: the client sees
ECONNRESET). A SYN that meets a full accept queue is dropped before that, in
both cases. On loopback the final ACK follows the SYN at once, so we hold the
handshakes of some "late" clients open with TCP_DEFER_ACCEPT: the server keeps
a bare final ACK as SYN-RECV and completes the connection only when the first
data byte arrives, which we send once the accept queue has been filled.

Sequence for backlog b, one private namespace per point:
  1. late clients (at most b, so the SYN queue can hold them) connect: they are
     ESTAB, the server holds them as SYN-RECV;
  2. b + 1 filler clients connect and send a byte: they fill the accept queue;
  3. the late clients send a byte: their handshakes complete against a full queue;
  4. the remaining connects are plain: their SYNs meet a full accept queue.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import time

from netlab.core import procfs
from netlab.lab.backlog import probes
from netlab.lab.counters import delta as counters_delta

DEFER_ACCEPT_S = 30  # longer than the point: the server never completes a bare ACK by itself
REPLY_WAIT_S = 0.02  # loopback answers at once; this bounds the wait for the RSTs to be read


def _was_reset(sock: socket.socket) -> bool:
    try:
        sock.recv(1)
    except ConnectionResetError:
        return True
    except OSError as err:
        return err.errno == errno.ECONNRESET
    return False


def abort_point(backlog: int, somaxconn: int | None, abort: int, connects: int) -> probes.ProbePoint:
    started = time.perf_counter()
    sysctls = {probes.SOMAXCONN: somaxconn, probes.ABORT_ON_OVERFLOW: abort}
    with probes.place(True, sysctls) as where, contextlib.ExitStack() as stack:
        listener = probes.open_listener(backlog, defer_accept=DEFER_ACCEPT_S)
        stack.callback(listener.close)
        port = listener.getsockname()[1]
        effective = probes.look(port).effective_backlog
        fillers_n = min(connects, effective + 1)
        late_n = min(effective, connects - fillers_n)
        plain_n = connects - fillers_n - late_n
        late: list[socket.socket] = []
        others: list[socket.socket] = []
        stack.callback(probes.close_quietly, late)
        stack.callback(probes.close_quietly, others)
        before = procfs.counters()
        for _ in range(late_n):
            late.append(probes.connect_nonblocking(port))
        for _ in range(fillers_n):
            sock = probes.connect_nonblocking(port)
            others.append(sock)
            with contextlib.suppress(OSError):  # a filler that did not connect shows up as SYN-SENT
                sock.send(b"f")
        for sock in late:
            with contextlib.suppress(OSError):
                sock.send(b"l")
        for _ in range(plain_n):
            others.append(probes.connect_nonblocking(port))
        time.sleep(REPLY_WAIT_S)
        resets = sum(_was_reset(sock) for sock in late)
        state = probes.settle(port)
        counters = counters_delta(procfs.counters(), before, probes.COUNTERS)
        point = probes.make_point("abort_on_overflow", where, backlog, connects, state, counters,
                                 late_acks=late_n, resets=resets)
    return probes.finish(point, started)
