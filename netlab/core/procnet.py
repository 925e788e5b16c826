"""The /proc/net fallback for diag.dump(), where netlink sock_diag is missing.

/proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix} list the same sockets with less
detail: no listen backlog (send_q is 0 for LISTEN), no cookie, no tcp_info.
"""

from __future__ import annotations

import socket
import struct
from typing import Iterable

from netlab.core.sockets import TCP_STATES, Socket

_UNIX_TYPES = {1: "stream", 2: "dgram", 5: "seqpacket"}
# /proc/net/unix "St" column: SS_UNCONNECTED 1, SS_CONNECTING 2, SS_CONNECTED 3.
_UNIX_LISTEN_FLAG = 0x10000  # __SO_ACCEPTCON


def _addr(hexaddr: str, family: int) -> tuple[str, int]:
    host, port = hexaddr.split(":")
    raw = bytes.fromhex(host)
    # The kernel prints each 32-bit word in host byte order.
    words = struct.unpack(f"<{len(raw) // 4}I", raw)
    return socket.inet_ntop(family, struct.pack(f">{len(words)}I", *words)), int(port, 16)


def _inet(path: str, proto: str, family: int, mask: int, sport, dport, port, record=Socket) -> list[Socket]:
    fam = "inet" if family == socket.AF_INET else "inet6"
    close_name = "CLOSE" if proto == "tcp" else "UNCONN"
    out = []
    try:
        with open(path) as f:
            next(f)
            lines = f.readlines()
    except OSError:
        return out
    for line in lines:
        cols = line.split()
        state = int(cols[3], 16)
        if not mask & (1 << state):
            continue
        laddr, lport = _addr(cols[1], family)
        raddr, rport = _addr(cols[2], family)
        if sport is not None and lport != sport or dport is not None and rport != dport:
            continue
        if port is not None and port not in (lport, rport):
            continue
        tx, rx = (int(x, 16) for x in cols[4].split(":"))
        name = close_name if state == 7 else TCP_STATES.get(state, str(state))
        out.append(record(proto, fam, name, laddr, lport, raddr, rport, rx, tx, int(cols[7]), int(cols[9])))
    return out


def _unix(mask: int, record=Socket) -> list[Socket]:
    out = []
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            cols = line.split()
            flags, stype, st, inode = int(cols[3], 16), int(cols[4], 16), int(cols[5], 16), int(cols[6])
            if flags & _UNIX_LISTEN_FLAG:
                state = 10
            elif st == 3:
                state = 1
            else:
                state = 7
            if not mask & (1 << state):
                continue
            path = cols[7] if len(cols) > 7 else None
            name = "UNCONN" if state == 7 else TCP_STATES[state]
            out.append(record("unix", "unix", name, path, inode, None, None, 0, 0, None, inode, None, 0,
                              _UNIX_TYPES.get(stype, str(stype))))
    return out


def dump(protocols: Iterable[str], families: Iterable[str], mask: int, sport=None, dport=None, port=None,
         record=Socket) -> list[Socket]:
    """diag.dump()'s records from /proc/net; ``record``: Socket or a subclass."""
    out: list[Socket] = []
    for proto in protocols:
        if proto == "packet":
            continue  # packet sockets come from packet_diag only
        if proto == "unix":
            if (sport, dport, port) == (None, None, None):
                out.extend(_unix(mask, record))
            continue
        for fam in families:
            family = socket.AF_INET if fam == "inet" else socket.AF_INET6
            path = f"/proc/thread-self/net/{proto}{'6' if fam == 'inet6' else ''}"
            out.extend(_inet(path, proto, family, mask, sport, dport, port, record))
    return out
