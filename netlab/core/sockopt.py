"""getsockopt/setsockopt helpers and TCP_INFO decoding.

``decode_tcp_info`` reads the kernel's struct tcp_info (linux/tcp.h); it serves
both sock_diag (the INET_DIAG_INFO attribute of any socket) and our own sockets
(``tcp_info(sock)``). Fields a kernel is too old to fill are left out.
"""

from __future__ import annotations

import socket
import struct

# (name, struct format, offset) in struct tcp_info, as in include/uapi/linux/tcp.h.
_TCP_INFO_FIELDS = (
    ("state", "B", 0),
    ("ca_state", "B", 1),
    ("retransmits", "B", 2),
    ("probes", "B", 3),
    ("backoff", "B", 4),
    ("options", "B", 5),
    ("rto_us", "I", 8),
    ("ato_us", "I", 12),
    ("snd_mss", "I", 16),
    ("rcv_mss", "I", 20),
    ("unacked", "I", 24),
    ("sacked", "I", 28),
    ("lost", "I", 32),
    ("retrans", "I", 36),
    ("last_data_sent_ms", "I", 44),
    ("last_data_recv_ms", "I", 52),
    ("last_ack_recv_ms", "I", 56),
    ("pmtu", "I", 60),
    ("rcv_ssthresh", "I", 64),
    ("rtt_us", "I", 68),
    ("rttvar_us", "I", 72),
    ("snd_ssthresh", "I", 76),
    ("snd_cwnd", "I", 80),
    ("advmss", "I", 84),
    ("reordering", "I", 88),
    ("rcv_rtt_us", "I", 92),
    ("rcv_space", "I", 96),
    ("total_retrans", "I", 100),
    ("pacing_rate", "Q", 104),
    ("bytes_acked", "Q", 120),
    ("bytes_received", "Q", 128),
    ("segs_out", "I", 136),
    ("segs_in", "I", 140),
    ("notsent_bytes", "I", 144),
    ("min_rtt_us", "I", 148),
    ("data_segs_in", "I", 152),
    ("data_segs_out", "I", 156),
    ("delivery_rate", "Q", 160),
    ("busy_time_us", "Q", 168),
    ("delivered", "I", 192),
    ("bytes_sent", "Q", 200),
    ("bytes_retrans", "Q", 208),
    ("snd_wnd", "I", 228),
)

TCP_INFO_SIZE = 232


def decode_tcp_info(data: bytes) -> dict[str, int]:
    """struct tcp_info -> {"rtt_us": ..., "snd_cwnd": ..., ...} (rates in bytes/s)."""
    info = {}
    size = len(data)
    for name, fmt, offset in _TCP_INFO_FIELDS:
        if offset + struct.calcsize(fmt) <= size:
            info[name] = struct.unpack_from("=" + fmt, data, offset)[0]
    if size > 6:
        info["snd_wscale"] = data[6] & 0x0F
        info["rcv_wscale"] = data[6] >> 4
    return info


def tcp_info(sock: socket.socket) -> dict[str, int]:
    """TCP_INFO of one of our own sockets.

    For a listener the kernel puts the accept-queue length in ``unacked`` and the
    backlog in ``sacked``: ``listen_queue(sock)`` reads them.
    """
    return decode_tcp_info(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE))


def listen_queue(sock: socket.socket) -> tuple[int, int]:
    """(accept-queue length, effective backlog) of our own listening socket."""
    info = tcp_info(sock)
    return info["unacked"], info["sacked"]


def set_reuseaddr(sock: socket.socket, on: bool = True) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, int(on))


def set_reuseport(sock: socket.socket, on: bool = True) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, int(on))


def set_linger_reset(sock: socket.socket) -> None:
    """SO_LINGER with timeout 0: close() sends an RST instead of a FIN (no TIME-WAIT)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
