"""`netlab conns -K` and `--events`: closing the selected sockets, and watching sockets close.

    kill_connections(conns)        -> the ones the kernel closed (SOCK_DESTROY, as ss -K)
    closing_connections(query)     -> each socket the kernel frees from now on (as ss -E)

Both need CAP_NET_ADMIN (root): without it a PrivilegeError says so (exit 3).
"""

from __future__ import annotations

import errno
from typing import Iterator, Sequence

from netlab.conns.engine import Conn, Query, user_name
from netlab.core import diagops, ssfilter
from netlab.core.privilege import CAP_NET_ADMIN, has_cap
from netlab.errors import PrivilegeError

PRIVILEGE_HINT = "run as root, or give netlab CAP_NET_ADMIN"


def check_privilege(what: str) -> None:
    if not has_cap(CAP_NET_ADMIN):
        raise PrivilegeError(f"{what} needs CAP_NET_ADMIN", PRIVILEGE_HINT)


def kill_connections(conns: Sequence[Conn]) -> list[Conn]:
    """Close each TCP/UDP socket (SOCK_DESTROY); the ones closed. Sockets the kernel cannot
    close (EOPNOTSUPP: a listener on some kernels, a request socket) or that went (ENOENT) are
    left out, as ss -K leaves them."""
    closed = []
    for conn in conns:
        if conn.proto not in ("tcp", "udp"):
            continue
        try:
            diagops.destroy(conn)
        except OSError as err:
            if err.errno in (errno.EOPNOTSUPP, errno.ENOENT):
                continue
            if err.errno in (errno.EPERM, errno.EACCES):
                raise PrivilegeError("SOCK_DESTROY was refused", PRIVILEGE_HINT) from None
            raise
        closed.append(conn)
    return closed


def closing_connections(query: Query, stop_after: int | None = None) -> Iterator[Conn]:
    """Each inet socket the kernel frees that the query selects, with its last tcp_info."""
    match = ssfilter.Filter(node=query.condition()).matcher()
    states = query.states
    protocols = [p for p in query.protocols if p in ("tcp", "udp")]
    seen = 0
    try:
        events = diagops.destroy_events(protocols, query.families, record=Conn)
        for conn in events:
            if states is not None and conn.state not in states:
                continue
            if match is not None and not match(conn):
                continue
            if query.uid is not None and conn.uid != query.uid:
                continue
            conn.user = user_name(conn.uid)
            yield conn
            seen += 1
            if stop_after is not None and seen >= stop_after:
                return
    except PermissionError:
        raise PrivilegeError("the sock_diag destroy groups need CAP_NET_ADMIN", PRIVILEGE_HINT) from None
