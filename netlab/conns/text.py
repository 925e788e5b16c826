"""What `netlab conns` prints: a listing or its summary as a table (like ss), json or csv.

Only formatting lives here: the records come from netlab.conns.engine (and
.summary); the CLI picks the format and prints the text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from netlab import output
from netlab.conns.engine import Conn
from netlab.core.addr import format_endpoint, interface_name
from netlab.output import Column

if TYPE_CHECKING:  # a listing's text needs no summary code
    from netlab.conns.summary import ProtoSummary

_NETID = {"stream": "u_str", "dgram": "u_dgr", "seqpacket": "u_seq"}
_TIMERS = {1: "on", 2: "keepalive", 3: "timewait", 4: "persist"}


def listing_text(conns: Sequence[Conn], fmt: str, extended: bool = False, info: bool = False,
                 resolve: bool = False) -> str:
    """The sockets in ``fmt`` (table, json or csv); -e adds ``extended`` keys, -i ``info``."""
    if fmt == "json":
        return output.to_json([c.as_dict(extended, info) for c in conns])
    if fmt == "csv":
        return output.to_csv([c.as_dict(extended, info) for c in conns])
    return output.table(conns, _columns(extended, info), rows=[_row(c, resolve, extended, info) for c in conns])


def summary_text(rows: Sequence[ProtoSummary], fmt: str) -> str:
    """The counts of netlab.conns.summarize() in ``fmt`` (table, json or csv)."""
    if fmt == "json":
        return output.to_json({"total": sum(r.total for r in rows), "protocols": [r.as_dict() for r in rows]})
    states = sorted({s for r in rows for s in r.states})
    records = [{"proto": r.proto, "total": r.total, "inet": r.inet, "inet6": r.inet6, **r.states} for r in rows]
    for rec in records:
        for s in states:
            rec.setdefault(s, 0)
    if fmt == "csv":
        return output.to_csv(records, ["proto", "total", "inet", "inet6", *states])
    columns = [Column("proto", "Proto"), Column("total", "Total", align="right"),
               Column("inet", "IPv4", align="right"), Column("inet6", "IPv6", align="right")]
    columns += [Column(s, s, align="right") for s in states]
    total = sum(r.total for r in rows)
    return f"Total: {total}\n" + output.table(records, columns)


def _columns(extended: bool, info: bool) -> list[Column]:
    cols = [
        Column("netid", "Netid"),
        Column("state", "State"),
        Column("recv_q", "Recv-Q", align="right"),
        Column("send_q", "Send-Q", align="right"),
        Column("local", "Local Address:Port"),
        Column("remote", "Peer Address:Port"),
        Column("user", "User"),
        Column("owner", "PID/Program"),
    ]
    if extended:
        cols += [Column("uid", "UID", align="right"), Column("inode", "Inode", align="right"),
                 Column("cookie", "Cookie"), Column("timer", "Timer"), Column("cmdline", "Command")]
    if info:
        cols += [Column("rtt", "RTT/var ms"), Column("cwnd", "Cwnd", align="right"),
                 Column("retrans", "Retrans"), Column("acked", "Bytes acked", align="right"),
                 Column("received", "Bytes recv", align="right"), Column("rate", "Delivery")]
    return cols


_names: dict = {}  # host and service names already looked up (-r)


def _host(addr: str, resolve: bool) -> str:
    if not resolve or addr in ("0.0.0.0", "::", "*"):
        return addr
    if addr not in _names:
        import socket

        try:
            _names[addr] = socket.getnameinfo((addr, 0), socket.NI_NAMEREQD)[0]
        except OSError:
            _names[addr] = addr
    return _names[addr]


def _service(port, proto: str, resolve: bool) -> str:
    if port in (None, 0):
        return "*"
    if not resolve or proto not in ("tcp", "udp"):
        return str(port)
    key = (port, proto)
    if key not in _names:
        import socket

        try:
            _names[key] = socket.getservbyport(port, proto)
        except OSError:
            _names[key] = str(port)
    return _names[key]


def _endpoint(addr, port, family: str, interface: str | None, proto: str, resolve: bool) -> str:
    host = _host(addr, resolve)
    if host != addr:
        family = "inet"  # a host name takes no brackets
    return format_endpoint(host, _service(port, proto, resolve), family, interface)


def _rate(bps: int | None) -> str:
    if bps is None:
        return ""
    bits = bps * 8
    for unit, scale in (("Gbps", 1e9), ("Mbps", 1e6), ("Kbps", 1e3)):
        if bits >= scale:
            return f"{bits / scale:.1f}{unit}"
    return f"{bits}bps"


def _shown(text: str) -> str:
    """Text as a table cell shows it: what is not printable as '?', as ps does.

    A process may name itself "x\\ntcp ESTAB ..." and a socket path may hold a
    newline: printed raw, they would forge lines of the table. JSON keeps them.
    """
    return text if text.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in text)


def _row(c: Conn, resolve: bool, extended: bool, info: bool) -> tuple[str, ...]:
    """The table cells of one socket, in the order of _columns()."""
    if c.proto == "unix":
        netid = _NETID.get(c.unix_type, "u_" + str(c.unix_type))
        local = f"{_shown(c.local_addr or '*')} {c.inode}"
        remote = f"* {c.peer_inode or 0}"
    elif resolve or c.interface:
        netid = c.proto
        local = _endpoint(c.local_addr, c.local_port, c.family, interface_name(c.interface), c.proto, resolve)
        remote = _endpoint(c.remote_addr, c.remote_port, c.family, None, c.proto, resolve)
    else:  # the common case, without name lookups
        netid = c.proto
        local = format_endpoint(c.local_addr, c.local_port, c.family)
        remote = format_endpoint(c.remote_addr, c.remote_port, c.family)
    owner = ""
    if c.pid is not None:
        name = _shown(c.process or "")
        owner = f"{c.pid}/{name}" if not c.other_owners else f"{c.pid}/{name} (+{c.other_owners})"
    row = (netid, c.state, str(c.recv_q), str(c.send_q), local, remote, c.user or "", owner)
    if extended:
        row += _extended_cells(c)
    if info:
        row += _info_cells(c.tcp_info)
    return row


def _extended_cells(c: Conn) -> tuple[str, ...]:
    return (
        "" if c.uid is None else str(c.uid), str(c.inode),
        "" if c.cookie is None else f"{c.cookie:x}",
        f"{_TIMERS[c.timer]},{c.expires_ms}ms" if c.timer in _TIMERS else "",
        _shown(" ".join(c.cmdline)) if c.cmdline else "",
    )


def _info_cells(ti: dict | None) -> tuple[str, ...]:
    if not ti:
        return ("",) * 6
    return (
        f"{ti.get('rtt_us', 0) / 1000:.3f}/{ti.get('rttvar_us', 0) / 1000:.3f}",
        str(ti.get("snd_cwnd", "")),
        f"{ti.get('retrans', 0)}/{ti.get('total_retrans', 0)}",
        str(ti.get("bytes_acked", "")),
        str(ti.get("bytes_received", "")),
        _rate(ti.get("delivery_rate")),
    )
