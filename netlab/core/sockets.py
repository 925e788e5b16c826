"""The socket record and the names of socket states, shared by every socket source.

``Socket`` is what netlab.core.diag (sock_diag) and netlab.core.procnet (the
/proc fallback) both return; the state tables are the kernel's numbers, ss's
names for them (netlab.core.states, re-exported), and ss's state filter names and groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from netlab.core.states import (  # noqa: F401 (re-exported)
    ALL_STATES, DISPLAY_STATES, LISTENING, STATE_FILTERS, STATE_NUMBERS, TCP_STATES)
from netlab.records import fields_dict

@dataclass(slots=True)
class Socket:
    """One socket as the kernel reports it. Field names are the JSON contract."""

    proto: str  # tcp, udp, raw, unix, packet
    family: str  # inet, inet6, unix, packet
    state: str  # ss's names: LISTEN, ESTAB, ..., UNCONN
    local_addr: str | None
    local_port: int | None
    remote_addr: str | None
    remote_port: int | None
    recv_q: int
    send_q: int
    uid: int | None
    inode: int
    cookie: int | None = None
    interface: int = 0  # ifindex a socket is bound to (SO_BINDTODEVICE), 0 if none
    unix_type: str | None = None  # stream, dgram, seqpacket (UNIX sockets); raw, dgram (packet sockets)
    timer: int = 0  # inet_diag timer kind (1 retransmit, 2 keepalive, 3 TIME-WAIT, 4 zero window probe)
    expires_ms: int = 0  # when that timer fires
    tcp_info: dict | None = None
    retrans: int = 0  # retransmits of the running timer (ss -o's third number)
    skmem: dict | None = None  # socket memory, netlab.core.diag.SKMEM_KEYS (ss -m), when asked for
    cgroup_id: int | None = None  # the socket's cgroup v2 id, when asked for
    ethertype: int | None = None  # packet sockets: the protocol they receive (3: all)

    def as_dict(self) -> dict:
        return fields_dict(self)
