"""sock_diag beyond the dump: SOCK_DESTROY (ss -K) and the destroy multicast groups (ss -E).

``destroy(sock)`` asks the kernel to close one TCP or UDP socket of a dump,
found again by its id (ports, addresses, interface and cookie) as ss's
kill_inet_sock() does; it needs CAP_NET_ADMIN and a kernel with
CONFIG_INET_DIAG_DESTROY. ``destroy_events()`` yields a record for each inet
socket that the kernel frees, as ss -E shows them (CAP_NET_ADMIN as well).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
from typing import Iterator

from netlab.core import diag
from netlab.core.sockets import Socket
from netlab.core.sockopt import decode_tcp_info

SOCK_DESTROY = 21
NLM_F_ACK = 0x4
NETLINK_ADD_MEMBERSHIP = 1
SOL_NETLINK = 270
# SKNLGRP_*: the groups the kernel announces freed sockets on, per family and protocol
SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET_UDP_DESTROY = 1, 2
SKNLGRP_INET6_TCP_DESTROY, SKNLGRP_INET6_UDP_DESTROY = 3, 4
_GROUPS = {("tcp", "inet"): SKNLGRP_INET_TCP_DESTROY, ("udp", "inet"): SKNLGRP_INET_UDP_DESTROY,
           ("tcp", "inet6"): SKNLGRP_INET6_TCP_DESTROY, ("udp", "inet6"): SKNLGRP_INET6_UDP_DESTROY}


def _packed(family: int, addr: str | None) -> bytes:
    raw = socket.inet_pton(family, addr or ("0.0.0.0" if family == socket.AF_INET else "::"))
    return raw.ljust(16, b"\0")


def destroy(sock: Socket) -> None:
    """Close one TCP or UDP socket of a dump (SOCK_DESTROY). Raises OSError with the kernel's errno:
    EPERM without CAP_NET_ADMIN, EOPNOTSUPP where the kernel cannot, ENOENT if it is gone."""
    family = socket.AF_INET if sock.family == "inet" else socket.AF_INET6
    proto = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP}[sock.proto]
    pad = 0
    ports = struct.pack("!HH", sock.local_port or 0, sock.remote_port or 0)
    addrs = _packed(family, sock.local_addr) + _packed(family, sock.remote_addr)
    cookie = struct.pack("=Q", sock.cookie if sock.cookie is not None else 0xFFFFFFFFFFFFFFFF)
    req = diag._INET_REQ.pack(family, proto, 0, pad, 0xFFFFFFFF, ports, addrs, sock.interface, cookie)
    header = diag._NLMSGHDR.pack(16 + len(req), SOCK_DESTROY, diag.NLM_F_REQUEST | NLM_F_ACK, 1, 0)
    with diag._nl_socket() as nl:
        nl.settimeout(5)
        nl.sendto(header + req, (0, 0))
        data = nl.recv(4096)
    length, mtype = struct.unpack_from("=IH", data)
    if mtype == diag.NLMSG_ERROR and length >= 20:
        code = -struct.unpack_from("=i", data, 16)[0]
        if code:
            raise OSError(code, os.strerror(code))


def destroy_events(protocols=("tcp", "udp"), families=("inet", "inet6"), record=Socket, want_info: bool = True,
                   stop_after: int | None = None, poll_seconds: float = 0.2) -> Iterator[Socket]:
    """Each inet socket the kernel frees from now on, as a record with its last counters (tcp_info).

    Bounded by ``stop_after`` records where given; otherwise until the caller stops
    (KeyboardInterrupt). The netlink socket is polled so that Ctrl-C is seen at once.
    """
    groups = [g for (p, f), g in _GROUPS.items() if p in protocols and f in families]
    nl = diag._nl_socket()
    try:
        for group in groups:
            nl.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
        nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        seen = 0
        while stop_after is None or seen < stop_after:
            ready, _, _ = select.select([nl], [], [], poll_seconds)
            if not ready:
                continue
            try:
                data = nl.recv(1 << 16)
            except OSError as err:
                if err.errno == errno.ENOBUFS:  # a burst overran the buffer: the lost ones are gone
                    continue
                raise
            for rec in _event_records(memoryview(data), record, want_info):
                yield rec
                seen += 1
                if stop_after is not None and seen >= stop_after:
                    return
    finally:
        nl.close()


def _event_records(data: memoryview, record, want_info: bool) -> Iterator[Socket]:
    offset = 0
    while offset + 16 <= len(data):
        length, mtype = struct.unpack_from("=IH", data, offset)
        if length < 16 or offset + length > len(data):
            return
        if mtype == diag.SOCK_DIAG_BY_FAMILY:
            yield _one(data[offset + 16: offset + length], record, want_info)
        offset += (length + 3) & ~3


def _one(msg: memoryview, record, want_info: bool) -> Socket:
    (fam, state, timer, retrans, src, dst, ifindex, cookie,
     expires, rqueue, wqueue, uid, inode) = diag._INET_MSG.unpack_from(msg, 0)
    sport, dport = diag._PORTS.unpack_from(msg, 4)
    family = fam
    alen = 4 if family == socket.AF_INET else 16
    proto = "tcp"
    info = None
    for kind, value in diag._attrs(msg, 72):
        if kind == 10 and len(value) >= 1:  # INET_DIAG_PROTOCOL
            proto = {socket.IPPROTO_TCP: "tcp", socket.IPPROTO_UDP: "udp"}.get(value[0], str(value[0]))
        elif kind == diag.INET_DIAG_INFO and want_info:
            info = decode_tcp_info(bytes(value))
    name = ("CLOSE" if proto == "tcp" else "UNCONN") if state == 7 else diag.TCP_STATES.get(state, str(state))
    rec = record(proto, "inet" if family == socket.AF_INET else "inet6", name,
                 socket.inet_ntop(family, src[:alen]), sport, socket.inet_ntop(family, dst[:alen]), dport,
                 rqueue, wqueue, uid, inode, cookie, ifindex, None, timer, expires,
                 info if proto == "tcp" else None, retrans)
    return rec

