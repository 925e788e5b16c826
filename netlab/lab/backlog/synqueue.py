"""The SYN queue made visible: half-open handshakes inside a private namespace.

On loopback a real client's handshake completes inside connect(), so the SYN
queue is never seen. Here we write SYNs ourselves on a raw socket, from source
addresses 10.77.66.x that the namespace routes over lo. The listener answers
each with a SYN-ACK; the SYN-ACK loops back with a destination that is not
local and the namespace does not forward, so it is discarded and nobody ever
sends the final ACK: each SYN leaves one SYN-RECV entry (a request socket) in
the listener's SYN queue for as long as the namespace lives.

Why not a blackhole route: the kernel routes the SYN-ACK before it creates the
request socket, and a blackhole (or unreachable) route fails that lookup, so
the SYN would be dropped without ever entering the queue. Only the raw socket
is needed at run time, no packet library and no nftables.

After the half-open SYNs, real clients connect: with syncookies they get in
through cookies (the SYN queue is full, the accept queue is not); without,
their SYNs are dropped (TCPReqQFullDrop): the SYN flood in miniature.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time

from netlab.core import procfs
from netlab.core.inet import checksum
from netlab.lab.backlog import probes
from netlab.lab.counters import delta as counters_delta

UNANSWERED_NET = "10.77.66.0/24"  # sources whose SYN-ACKs go nowhere (routed over lo, never delivered)
_IP = struct.Struct("!BBHHHBBH4s4s")
_TCP = struct.Struct("!HHIIBBHHH")
FIRST_SOURCE_PORT = 20000


def syn_packet(src: str, dst: str, sport: int, dport: int, seq: int) -> bytes:
    """An IPv4 packet carrying a bare TCP SYN (no options: MSS falls back to 536)."""
    src_b, dst_b = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = _TCP.pack(sport, dport, seq, 0, 5 << 4, 0x02, 65535, 0, 0)
    pseudo = src_b + dst_b + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    # The kernel fills in the IP checksum and the id of an IP_HDRINCL packet.
    ip = _IP.pack(0x45, 0, _IP.size + len(tcp), 0, 0, 64, socket.IPPROTO_TCP, 0, src_b, dst_b)
    return ip + tcp


def source(i: int) -> tuple[str, int]:
    """The i-th half-open client: 254 addresses times many ports."""
    return f"10.77.66.{1 + i % 254}", FIRST_SOURCE_PORT + i // 254


def send_half_open(port: int, count: int, dst: str = probes.LOOPBACK) -> None:
    """Write ``count`` SYNs to dst:port from unanswered sources (IPPROTO_RAW implies IP_HDRINCL)."""
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        for i in range(count):
            src, sport = source(i)
            raw.sendto(syn_packet(src, dst, sport, port, 0x1000 * (i + 1)), (dst, 0))


def syn_queue_point(backlog: int, somaxconn: int | None, syncookies: int, max_syn_backlog: int | None,
                    half_open: int, connects: int) -> probes.ProbePoint:
    """Fill the SYN queue with ``half_open`` SYNs, then fire ``connects`` real connects."""
    started = time.perf_counter()
    sysctls = {probes.SOMAXCONN: somaxconn, probes.SYNCOOKIES: syncookies, probes.MAX_SYN_BACKLOG: max_syn_backlog}
    with probes.place(True, sysctls) as where, contextlib.ExitStack() as stack:
        where.ns.ip("route", "add", UNANSWERED_NET, "dev", "lo")
        listener = probes.open_listener(backlog)
        stack.callback(listener.close)
        port = listener.getsockname()[1]
        clients: list[socket.socket] = []
        stack.callback(probes.close_quietly, clients)
        before = procfs.counters()
        send_half_open(port, half_open)
        probes.settle(port)
        for _ in range(connects):
            clients.append(probes.connect_nonblocking(port))
        state = probes.settle(port)
        counters = counters_delta(procfs.counters(), before, probes.COUNTERS)
        point = probes.make_point("syn_queue", where, backlog, connects, state, counters, half_open_syns=half_open)
    return probes.finish(point, started)
