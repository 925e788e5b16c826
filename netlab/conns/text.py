"""What `netlab conns` prints: a listing or its summary as a table (like ss), json or csv.

Only formatting lives here: the records come from netlab.conns.engine (and
.summary); the CLI picks the format and prints the text.
"""

from __future__ import annotations

from collections.abc import Sequence  # not typing: a share of start-up

from netlab import output
from netlab.conns import plain
from netlab.conns.engine import TIMER_NAMES, Conn, PackedConns
from netlab.core.addr import format_endpoint, interface_name
from netlab.output import Column

TYPE_CHECKING = False  # typing.TYPE_CHECKING, by name (type checkers know it)
if TYPE_CHECKING:  # a listing's text needs no summary code
    from netlab.conns.summary import ProtoSummary

_NETID = {"stream": "u_str", "dgram": "u_dgr", "seqpacket": "u_seq"}
_TIMERS = {k: v for k, v in TIMER_NAMES.items() if k}  # no timer: an empty cell, as ss


def listing_text(conns: Sequence[Conn], fmt: str, extended: bool = False, info: bool = False,
                 resolve: bool = False, unix: bool = False, time: float | None = None,
                 header: bool = True, listening: bool = False, timers: bool = False, memory: bool = False,
                 cgroup: bool = False, packet: bool = False) -> str:
    """The sockets in ``fmt`` (table, json, jsonl or csv); -e adds ``extended`` keys, -i ``info``.

    csv has a fixed column list for the options (``unix``: the UNIX sockets' keys
    too), never one that depends on the sockets found. ``time`` (a --watch
    redraw) leads every jsonl line and csv row; ``header=False`` leaves out the
    csv header of a redraw after the first.
    """
    if fmt == "table":
        columns = _columns(extended, info)
        if isinstance(conns, PackedConns) and not (extended or info or resolve or listening or timers or memory
                                                   or cgroup):
            # the same table made in C from the dump and the walk, without a record per socket
            text = plain.inet_table(conns.packed, conns.walk)
            if text is not None:
                return _headless(text, header)
        rows = [_row(c, resolve, extended, info) for c in conns]
        if listening:  # -l: how full each listener's accept queue is
            columns.insert(4, Column("fill", "Accept%", align="right"))
            rows = [(*row[:4], _fill_cell(c), *row[4:]) for row, c in zip(rows, conns)]
        if timers or memory or cgroup:  # ss's -o, -m and --cgroup words, in ss's order
            columns.append(Column("ss", "Details"))
            rows = [(*row, _ss_details(c, timers, memory, cgroup)) for row, c in zip(rows, conns)]
        return _headless(output.table(conns, columns, rows=rows), header)
    flags = (extended, info, timers, memory, cgroup)
    if fmt in ("json", "jsonl") and isinstance(conns, PackedConns) and time is None and not (
            any(flags) or listening):
        # the same JSON written in C from the dump and the walk, without a record or dict per socket
        data = plain.inet_json(conns.packed, conns.walk, lines=fmt == "jsonl") if len(conns) else None
        if data is not None:
            return data.decode()
    if fmt == "json":
        return output.to_json([_record(c, flags, listening) for c in conns])
    stamp = {} if time is None else {"time": time}
    records = [{**stamp, **_record(c, flags, listening)} for c in conns]
    if fmt == "jsonl":
        return "\n".join(output.to_jsonl_line(r) for r in records)
    keys = listing_keys(extended, info, unix, listening, timers, memory, cgroup, packet)
    return _csv(records, [*stamp, *dict.fromkeys(keys)], header)


_SS_TIMERS = {0: "off", 1: "on", 2: "keepalive", 3: "timewait", 4: "persist", 5: "delack"}


def ss_ms_timer(ms: int) -> str:
    """A timer's time left as ss -o prints it (print_ms_timer): 119min, 58sec, 1.204sec, 200ms."""
    secs, msecs = divmod(ms, 1000)
    minutes, secs = divmod(secs, 60)
    out = ""
    if minutes:
        msecs = 0
        out = f"{minutes}min"
        if minutes > 9:
            secs = 0
    if secs:
        if secs > 9:
            msecs = 0
        out += f"{secs}{'.' if msecs else 'sec'}"
    if msecs:
        out += f"{msecs:03d}{'sec' if secs else 'ms'}"
    return out


def ss_skmem(m: dict | None) -> str:
    """skmem:(r..,rb..,t..,tb..,f..,w..,o..,bl..,d..) as ss -m prints it."""
    if not m:
        return ""
    labels = ("r", "rb", "t", "tb", "f", "w", "o", "bl", "d")
    from netlab.core.diag import SKMEM_KEYS

    parts = [f"{label}{m[key]}" for label, key in zip(labels, SKMEM_KEYS) if key in m]
    return "skmem:(" + ",".join(parts) + ")"


def _ss_details(c: Conn, timers: bool, memory: bool, cgroup: bool) -> str:
    words = []
    if timers and c.timer:
        words.append(f"timer:({_SS_TIMERS.get(c.timer, 'unknown')},{ss_ms_timer(c.expires_ms)},{c.retrans})")
    if memory and c.skmem:
        words.append(ss_skmem(c.skmem))
    if cgroup and c.cgroup_id is not None:
        from netlab.core.cgroups import cgroup_path

        words.append(f"cgroup:{_shown(cgroup_path(c.cgroup_id))}")
    return " ".join(words)


def accept_fill_pct(c: Conn) -> float | None:
    """A TCP listener's accept queue, in percent of what it holds (backlog + 1: the kernel's test is >)."""
    if c.proto != "tcp" or c.state != "LISTEN":
        return None
    return round(100.0 * c.recv_q / (c.send_q + 1), 1)


def _fill_cell(c: Conn) -> str:
    pct = accept_fill_pct(c)
    return "" if pct is None else f"{pct:g}%"


def _record(c: Conn, flags: tuple, listening: bool) -> dict:
    d = c.as_dict(*flags)
    if listening:
        d["accept_fill_pct"] = accept_fill_pct(c)
    return d


def _headless(text: str, header: bool) -> str:
    """The table without its header line (-H, as ss -H)."""
    return text if header else text.partition("\n")[2]


def count_text(rows, fmt: str, time: float | None = None, header: bool = True) -> str:
    """--count-by's rows (netlab.conns.count) in ``fmt``: the count, then the value."""
    if fmt == "json":
        return output.to_json([r.as_dict() for r in rows])
    stamp = {} if time is None else {"time": time}
    records = [{**stamp, **r.as_dict()} for r in rows]
    if fmt == "jsonl":
        return "\n".join(output.to_jsonl_line(r) for r in records)
    if fmt == "csv":
        return _csv(records, [*stamp, "count_by", "value", "count"], header)
    name = rows[0].count_by if rows else "value"
    cells = [(str(r.count), "-" if r.value is None else _shown(str(r.value))) for r in rows]
    columns = [Column("count", "Count", align="right"), Column("value", name.replace("_", " ").title())]
    return _headless(output.table(rows, columns, rows=cells), header)


def listing_keys(extended: bool, info: bool, unix: bool, listening: bool = False, timers: bool = False,
                 memory: bool = False, cgroup: bool = False, packet: bool = False) -> list[str]:
    """The csv columns of a listing with these options."""
    keys = list(Conn.BASE_KEYS)
    if unix:
        keys += Conn.UNIX_KEYS
    if packet:
        keys += Conn.PACKET_KEYS
    if extended:
        keys += Conn.EXTENDED_KEYS
    if info:
        keys += Conn.INFO_KEYS
    if timers:
        keys += [k for k in Conn.TIMER_KEYS if k not in keys]
    if memory:
        keys += Conn.MEMORY_KEYS
    if cgroup:
        keys += Conn.CGROUP_KEYS
    if listening:
        keys.append("accept_fill_pct")  # last, as in the JSON objects
    return keys


# Every state a summary can count, in the kernel's order: the csv columns of `conns -s`
SUMMARY_STATES = ("ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSE",
                  "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "UNCONN")


def summary_text(rows: Sequence[ProtoSummary], fmt: str, time: float | None = None, header: bool = True) -> str:
    """The counts of netlab.conns.summarize() in ``fmt`` (table, json, jsonl or csv)."""
    if fmt == "json":
        return output.to_json({"total": sum(r.total for r in rows), "protocols": [r.as_dict() for r in rows]})
    stamp = {} if time is None else {"time": time}
    if fmt == "jsonl":
        return "\n".join(output.to_jsonl_line({**stamp, **r.as_dict()}) for r in rows)
    if fmt == "csv":
        records = [{**stamp, "proto": r.proto, "total": r.total, "inet": r.inet, "inet6": r.inet6,
                    **{s: r.states.get(s, 0) for s in SUMMARY_STATES}} for r in rows]
        return _csv(records, [*stamp, "proto", "total", "inet", "inet6", *SUMMARY_STATES], header)
    states = sorted({s for r in rows for s in r.states})
    records = [{"proto": r.proto, "total": r.total, "inet": r.inet, "inet6": r.inet6, **r.states} for r in rows]
    for rec in records:
        for s in states:
            rec.setdefault(s, 0)
    columns = [Column("proto", "Proto"), Column("total", "Total", align="right"),
               Column("inet", "IPv4", align="right"), Column("inet6", "IPv6", align="right")]
    columns += [Column(s, s, align="right") for s in states]
    total = sum(r.total for r in rows)
    return f"Total: {total}\n" + output.table(records, columns)


def _csv(records: list[dict], keys: list[str], header: bool) -> str:
    text = output.to_csv(records, keys)
    if header:
        return text
    return text.partition("\n")[2]  # a later --watch redraw: its rows under the first header


_PLAIN_KEYS = ("netid", "state", "recv_q", "send_q", "local", "remote", "user", "owner")


def _columns(extended: bool, info: bool) -> list[Column]:
    # the plain table's columns, whose headers the C table prints too (netlab.conns.plain)
    cols = [Column(key, header, align="right" if right else "left")
            for key, header, right in zip(_PLAIN_KEYS, plain.HEADERS, plain.RIGHT)]
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


_shown = plain.shown  # what is not printable as '?' (a name must not forge lines of the table)


def _row(c: Conn, resolve: bool, extended: bool, info: bool) -> tuple[str, ...]:
    """The table cells of one socket, in the order of _columns()."""
    if c.proto == "unix":
        netid = _NETID.get(c.unix_type, "u_" + str(c.unix_type))
        local = f"{_shown(c.local_addr or '*')} {c.inode}"
        remote = f"* {c.peer_inode or 0}"
    elif c.proto == "packet":  # as ss -0: p_raw/p_dgr, PROTOCOL:INTERFACE
        netid = "p_raw" if c.unix_type == "raw" else "p_dgr"
        local = f"{c.local_addr}:{interface_name(c.interface) or '*'}"
        remote = "*"
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


EVENT_HEADER = "Netid State      Local Address:Port      Peer Address:Port       Details"


def event_line(c: Conn) -> str:
    """One closing socket as a line: when, what, and its last counters (ss -E shows the socket alone)."""
    import time as clock

    local = format_endpoint(c.local_addr, c.local_port, c.family)
    remote = format_endpoint(c.remote_addr, c.remote_port, c.family)
    ti = c.tcp_info or {}
    counters = ""
    if ti:
        counters = (f"bytes_acked:{ti.get('bytes_acked', 0)} bytes_received:{ti.get('bytes_received', 0)} "
                    f"segs_out:{ti.get('segs_out', 0)} segs_in:{ti.get('segs_in', 0)} "
                    f"retrans:{ti.get('retrans', 0)}/{ti.get('total_retrans', 0)} "
                    f"rtt:{ti.get('rtt_us', 0) / 1000:g}/{ti.get('rttvar_us', 0) / 1000:g}")
    stamp = clock.strftime("%H:%M:%S", clock.localtime()) + f".{int(clock.time() * 1000) % 1000:03d}"
    return f"{stamp:<16}{c.proto:<6}{c.state:<11}{local:<24}{remote:<24}{counters}".rstrip()
