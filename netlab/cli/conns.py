"""`netlab conns`: the socket lister (ss, netstat and lsof -i in one)."""

from __future__ import annotations

import sys
import time
from typing import List, Optional

import typer

from netlab import render
from netlab.records import gc_paused
from netlab.render import Column

HELP = """List sockets with their owning processes, like ss -tuanp.

With no selection: TCP and UDP sockets in all states, numeric, with processes
(ss's -n and -p are accepted and change nothing). Filters by state and port run
in the kernel (sock_diag).
"""

_NETID = {"stream": "u_str", "dgram": "u_dgr", "seqpacket": "u_seq"}
_TIMERS = {1: "on", 2: "keepalive", 3: "timewait", 4: "persist"}


def register(app: typer.Typer) -> None:
    app.command(name="conns", help=HELP, no_args_is_help=False)(conns)


def conns(
    tcp: bool = typer.Option(False, "-t", "--tcp", help="TCP sockets."),
    udp: bool = typer.Option(False, "-u", "--udp", help="UDP sockets."),
    raw: bool = typer.Option(False, "-w", "--raw", help="RAW sockets."),
    unix: bool = typer.Option(False, "-x", "--unix", help="UNIX domain sockets."),
    ipv4: bool = typer.Option(False, "-4", "--ipv4", help="Only IPv4."),
    ipv6: bool = typer.Option(False, "-6", "--ipv6", help="Only IPv6."),
    listening: bool = typer.Option(False, "-l", "--listening", help="Only listening (and unconnected UDP/RAW) sockets."),
    all_states: bool = typer.Option(False, "-a", "--all", help="All states (the default)."),
    state: Optional[List[str]] = typer.Option(None, "--state", metavar="NAME",
                                              help="Only this state (repeatable): established, listening, time-wait, ... or a group: connected, synchronized, bucket, big, all."),
    sport: Optional[str] = typer.Option(None, "--sport", metavar="PORT", help="Local port."),
    dport: Optional[str] = typer.Option(None, "--dport", metavar="PORT", help="Remote port."),
    port: Optional[str] = typer.Option(None, "--port", metavar="PORT", help="Either port."),
    src: Optional[List[str]] = typer.Option(None, "--src", metavar="ADDR[/PREFIX]", help="Local address in this network (repeatable)."),
    dst: Optional[List[str]] = typer.Option(None, "--dst", metavar="ADDR[/PREFIX]", help="Remote address in this network (repeatable)."),
    pid: Optional[str] = typer.Option(None, "--pid", metavar="PID", help="Only sockets held by this process."),
    process: Optional[str] = typer.Option(None, "--process", metavar="NAME", help="Only sockets of processes with this name (shell wildcards allowed)."),
    user: Optional[str] = typer.Option(None, "--user", metavar="NAME", help="Only sockets of this user (name or uid)."),
    extended: bool = typer.Option(False, "-e", "--extended", help="Also uid, inode, cookie, fd, timer, command line."),
    info: bool = typer.Option(False, "-i", "--info", help="TCP internals: rtt, cwnd, retransmits, bytes, delivery rate."),
    summary: bool = typer.Option(False, "-s", "--summary", help="Counts by protocol and state, like ss -s."),
    sort: Optional[str] = typer.Option(None, "--sort", metavar="KEY[,KEY]", help="Sort by keys (e.g. recv_q, local, pid, state); -KEY for descending."),
    watch: Optional[float] = typer.Option(None, "--watch", metavar="SECONDS", help="Redraw every SECONDS until Ctrl-C."),
    iterations: Optional[int] = typer.Option(None, "--iterations", metavar="N", help="With --watch: stop after N redraws."),
    resolve: bool = typer.Option(False, "-r", "--resolve", help="Show host and service names (numeric is the default)."),
    numeric: bool = typer.Option(False, "-n", "--numeric", help="Numeric output (the default; accepted like ss)."),
    processes: bool = typer.Option(False, "-p", "--processes", help="Show processes (the default; accepted like ss)."),
    fmt: str = typer.Option("table", "--format", metavar="FORMAT", help="table, json or csv."),
) -> int:
    from netlab.conns import LISTENING, Query, check_pid, parse_states, parse_user
    from netlab.core.addr import parse_network, parse_port
    from netlab.errors import UsageError

    if fmt not in render.FORMATS:
        raise UsageError(f"unknown format {fmt!r}", "use table, json or csv")
    if watch is not None and watch <= 0:
        raise UsageError(f"invalid --watch interval {watch}", "give a positive number of seconds")
    if iterations is not None and iterations <= 0:
        raise UsageError(f"invalid --iterations {iterations}", "give a positive count")

    protocols = [p for p, on in (("tcp", tcp), ("udp", udp), ("raw", raw), ("unix", unix)) if on]
    if not protocols:
        protocols = ["tcp", "udp", "raw", "unix"] if summary else ["tcp", "udp"]
    families = ["inet", "inet6"]
    if ipv4 and not ipv6:
        families = ["inet"]
    elif ipv6 and not ipv4:
        families = ["inet6"]
    if (ipv4 or ipv6) and not unix:
        protocols = [p for p in protocols if p != "unix"] or protocols

    states = None
    if state:
        states = parse_states(state)
    if listening:
        states = (states or frozenset()) | LISTENING
    query = Query(
        protocols=protocols,
        families=families,
        states=states,
        sport=parse_port(sport, "--sport") if sport is not None else None,
        dport=parse_port(dport, "--dport") if dport is not None else None,
        port=parse_port(port, "--port") if port is not None else None,
        src=[parse_network(s) for s in src or ()],
        dst=[parse_network(d) for d in dst or ()],
        pid=check_pid(pid) if pid is not None else None,
        process=process,
        uid=parse_user(user) if user is not None else None,
        tcp_info=info,
        owners=not summary,
        details=extended,
    )
    if process:
        _check_process_exists(process)

    def once() -> str:
        with gc_paused():
            return _render(query, fmt, summary, extended, info, sort, resolve)

    if watch is None:
        print(once())
        return 0
    return _watch(once, watch, iterations)


def _check_process_exists(pattern: str) -> None:
    import fnmatch
    import os

    from netlab.errors import UsageError

    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if fnmatch.fnmatchcase(f.read().rstrip("\n"), pattern):
                        return
            except OSError:
                continue
    raise UsageError(f"no process named {pattern!r}", "names are as ps -o comm shows them; wildcards allowed")


def _render(query, fmt: str, summary: bool, extended: bool, info: bool, sort: str | None, resolve: bool) -> str:
    from netlab.conns import list_connections, sort_connections, summarize

    listing = list_connections(query)
    for note in listing.notes:
        print(f"netlab: note: {note}", file=sys.stderr)
    if summary:
        rows = summarize(listing.conns, query.protocols)
        if fmt == "json":
            return render.to_json({"total": sum(r.total for r in rows), "protocols": [r.as_dict() for r in rows]})
        return _summary_text(rows, fmt)
    conns = listing.conns
    if sort:
        conns = sort_connections(conns, sort)
    if fmt == "json":
        return render.to_json([c.as_dict(extended, info) for c in conns])
    if fmt == "csv":
        return render.to_csv([c.as_dict(extended, info) for c in conns])
    return render.table(conns, _columns(extended, info), rows=[_row(c, resolve, extended, info) for c in conns])


def _summary_text(rows, fmt: str) -> str:
    states = sorted({s for r in rows for s in r.states})
    records = [{"proto": r.proto, "total": r.total, "inet": r.inet, "inet6": r.inet6, **r.states} for r in rows]
    for rec in records:
        for s in states:
            rec.setdefault(s, 0)
    if fmt == "csv":
        return render.to_csv(records, ["proto", "total", "inet", "inet6", *states])
    columns = [Column("proto", "Proto"), Column("total", "Total", align="right"),
               Column("inet", "IPv4", align="right"), Column("inet6", "IPv6", align="right")]
    columns += [Column(s, s, align="right") for s in states]
    total = sum(r.total for r in rows)
    return f"Total: {total}\n" + render.table(records, columns)


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


_names: dict = {}


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
    if family == "inet6" and host == addr:
        host = f"[{host}]"
    if interface:
        host += f"%{interface}"
    return f"{host}:{_service(port, proto, resolve)}"


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

    A process may name itself "x\ntcp ESTAB ..." and a socket path may hold a
    newline: printed raw, they would forge lines of the table. JSON keeps them.
    """
    return text if text.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in text)


def _row(c, resolve: bool, extended: bool, info: bool) -> tuple[str, ...]:
    """The table cells of one socket, in the order of _columns()."""
    if c.proto == "unix":
        netid = _NETID.get(c.unix_type, "u_" + str(c.unix_type))
        local = f"{_shown(c.local_addr or '*')} {c.inode}"
        remote = f"* {c.peer_inode or 0}"
    elif resolve or c.interface:
        from netlab.conns import interface_name

        netid = c.proto
        local = _endpoint(c.local_addr, c.local_port, c.family, interface_name(c.interface), c.proto, resolve)
        remote = _endpoint(c.remote_addr, c.remote_port, c.family, None, c.proto, resolve)
    elif c.family == "inet6":  # the common cases inline: 30k sockets, 60k endpoints
        netid = c.proto
        local = f"[{c.local_addr}]:{c.local_port or '*'}"
        remote = f"[{c.remote_addr}]:{c.remote_port or '*'}"
    else:
        netid = c.proto
        local = f"{c.local_addr}:{c.local_port or '*'}"
        remote = f"{c.remote_addr}:{c.remote_port or '*'}"
    owner = ""
    if c.pid is not None:
        name = _shown(c.process or "")
        owner = f"{c.pid}/{name}" if not c.other_owners else f"{c.pid}/{name} (+{c.other_owners})"
    row = (netid, c.state, str(c.recv_q), str(c.send_q), local, remote, c.user or "", owner)
    if extended:
        row += (
            "" if c.uid is None else str(c.uid), str(c.inode),
            "" if c.cookie is None else f"{c.cookie:x}",
            f"{_TIMERS[c.timer]},{c.expires_ms}ms" if c.timer in _TIMERS else "",
            _shown(" ".join(c.cmdline)) if c.cmdline else "",
        )
    if info:
        ti = c.tcp_info
        if ti:
            row += (
                f"{ti.get('rtt_us', 0) / 1000:.3f}/{ti.get('rttvar_us', 0) / 1000:.3f}",
                str(ti.get("snd_cwnd", "")),
                f"{ti.get('retrans', 0)}/{ti.get('total_retrans', 0)}",
                str(ti.get("bytes_acked", "")),
                str(ti.get("bytes_received", "")),
                _rate(ti.get("delivery_rate")),
            )
        else:
            row += ("",) * 6
    return row


def _watch(once, interval: float, iterations: int | None) -> int:
    """Redraw until Ctrl-C (exit 0) or the iteration count."""
    tty = sys.stdout.isatty()
    count = 0
    try:
        while True:
            text = once()
            stamp = time.strftime("%H:%M:%S")
            if tty:
                sys.stdout.write("\x1b[H\x1b[2J")
            sys.stdout.write(f"netlab conns, every {interval:g}s, {stamp}\n{text}\n")
            if not tty:
                sys.stdout.write("\n")
            sys.stdout.flush()
            count += 1
            if iterations is not None and count >= iterations:
                return 0
            time.sleep(interval)
    except KeyboardInterrupt:
        return 0
