"""The socket record and the names of socket states, shared by every socket source.

``Socket`` is what netlab.core.diag (sock_diag) and netlab.core.procnet (the
/proc fallback) both return; the state tables are the kernel's numbers, ss's
names for them (netlab.core.states, re-exported), and ss's state filter names and groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from netlab.core.states import ALL_STATES, TCP_STATES  # noqa: F401 (re-exported)
from netlab.records import fields_dict

STATE_NUMBERS: dict[str, list[int]] = {}
for _num, _name in TCP_STATES.items():
    STATE_NUMBERS.setdefault(_name, []).append(_num)
STATE_NUMBERS["UNCONN"] = [7]
# TCP_BOUND_INACTIVE (13): bound but neither listening nor connected. Dumped only when asked
# for by name; the kernel reports such sockets with state CLOSE.
STATE_NUMBERS["BOUND-INACTIVE"] = [13]

# ss's state filter names (and our display names) -> display state names.
DISPLAY_STATES = frozenset(
    {"ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSE", "UNCONN",
     "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"}
)
STATE_FILTERS: dict[str, frozenset[str]] = {
    "established": frozenset({"ESTAB"}),
    "estab": frozenset({"ESTAB"}),
    "syn-sent": frozenset({"SYN-SENT"}),
    "syn-recv": frozenset({"SYN-RECV"}),
    "fin-wait-1": frozenset({"FIN-WAIT-1"}),
    "fin-wait-2": frozenset({"FIN-WAIT-2"}),
    "time-wait": frozenset({"TIME-WAIT"}),
    "closed": frozenset({"CLOSE", "UNCONN"}),
    "close": frozenset({"CLOSE", "UNCONN"}),
    "unconn": frozenset({"UNCONN"}),
    "close-wait": frozenset({"CLOSE-WAIT"}),
    "last-ack": frozenset({"LAST-ACK"}),
    "listening": frozenset({"LISTEN"}),
    "listen": frozenset({"LISTEN"}),
    "closing": frozenset({"CLOSING"}),
    # ss's groups
    "all": DISPLAY_STATES,
    "connected": DISPLAY_STATES - {"LISTEN", "CLOSE", "UNCONN"},
    "synchronized": DISPLAY_STATES - {"LISTEN", "CLOSE", "UNCONN", "SYN-SENT"},
    "bucket": frozenset({"SYN-RECV", "TIME-WAIT"}),
    "big": DISPLAY_STATES - {"SYN-RECV", "TIME-WAIT"},
}
# What ss -l selects: listening TCP/UNIX sockets and unconnected UDP/RAW ones.
LISTENING = frozenset({"LISTEN", "UNCONN"})


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
