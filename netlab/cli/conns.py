"""`netlab conns`: the socket lister (ss, netstat and lsof -i in one)."""

from __future__ import annotations

import sys
import time
from typing import List, Optional

import typer

from netlab.cli import common
from netlab.cli.types import PID_MAX, Integer, Seconds, Text
from netlab.errors import ExitStatus, UsageError
from netlab.records import gc_paused

HELP = """List sockets with their owning processes, like ss -tuanp.

With no selection: TCP and UDP sockets in all states, numeric, with processes
(ss's -n and -p are accepted and change nothing). After the options, ss's
filter: state NAME, exclude NAME, then src/dst HOST, sport/dport OP :PORT,
dev NAME, autobound, with and/or/not and ( ). It runs in the kernel as
inet_diag bytecode (sock_diag), as with ss.
"""
EXAMPLES = common.examples(
    ("netlab conns -tl", "listening TCP sockets"),
    ("netlab conns state established dport = :443", "to HTTPS servers"),
    ("netlab conns -t --count-by remote_addr", "connections per peer"),
    ("netlab conns -s", "counts by state, like ss -s"),
)


FORMATS = ("table", "json", "jsonl", "csv")

def register(app: typer.Typer) -> None:
    app.command(name="conns", help=HELP, epilog=EXAMPLES, no_args_is_help=False)(conns)


def conns(
    expression: Optional[List[str]] = typer.Argument(
        None, click_type=Text(), metavar="[FILTER]...",
        help="ss's filter: [state NAME]... [exclude NAME]... then conditions such as "
             "'( dport = :443 or sport = :443 )', dst 10.0.0.0/8, sport gt :1024, dev eth0, with and/or/not."),
    tcp: bool = typer.Option(False, "-t", "--tcp", help="TCP sockets."),
    udp: bool = typer.Option(False, "-u", "--udp", help="UDP sockets."),
    raw: bool = typer.Option(False, "-w", "--raw", help="RAW sockets."),
    unix: bool = typer.Option(False, "-x", "--unix", help="UNIX domain sockets."),
    packet: bool = typer.Option(False, "-0", "--packet", help="PACKET sockets (AF_PACKET: capture tools, DHCP clients)."),
    ipv4: bool = typer.Option(False, "-4", "--ipv4", help="Only IPv4."),
    ipv6: bool = typer.Option(False, "-6", "--ipv6", help="Only IPv6."),
    listening: bool = typer.Option(False, "-l", "--listening", help="Only listening (and unconnected UDP/RAW) sockets."),
    all_states: bool = typer.Option(False, "-a", "--all", help="All states (the default)."),
    state: Optional[List[str]] = typer.Option(None, "--state", click_type=Text(), metavar="NAME",
                                              help="Only this state (repeatable): established, listening, time-wait, ... or a group: connected, synchronized, bucket, big, all."),
    sport: Optional[List[str]] = typer.Option(None, "--sport", click_type=Text(), metavar="PORT", help="Local port (repeatable: any of them)."),
    dport: Optional[List[str]] = typer.Option(None, "--dport", click_type=Text(), metavar="PORT", help="Remote port (repeatable: any of them)."),
    port: Optional[List[str]] = typer.Option(None, "--port", click_type=Text(), metavar="PORT", help="Either port (repeatable: any of them)."),
    src: Optional[List[str]] = typer.Option(None, "--src", click_type=Text(), metavar="ADDR[/PREFIX]", help="Local address in this network (repeatable)."),
    dst: Optional[List[str]] = typer.Option(None, "--dst", click_type=Text(), metavar="ADDR[/PREFIX]", help="Remote address in this network (repeatable)."),
    pid: Optional[int] = typer.Option(None, "--pid", click_type=Integer(1, PID_MAX), metavar="PID", help="Only sockets held by this process."),
    process: Optional[str] = typer.Option(None, "--process", click_type=Text(), metavar="NAME", help="Only sockets of processes with this name (shell wildcards allowed)."),
    user: Optional[str] = typer.Option(None, "--user", click_type=Text(), metavar="NAME", help="Only sockets of this user (name or uid)."),
    extended: bool = typer.Option(False, "-e", "--extended", help="Also uid, inode, cookie, fd, timer, command line."),
    info: bool = typer.Option(False, "-i", "--info", help="TCP internals: rtt, cwnd, retransmits, bytes, delivery rate."),
    summary: bool = typer.Option(False, "-s", "--summary", help="Counts by protocol and state, like ss -s."),
    count_by: Optional[str] = typer.Option(None, "--count-by", click_type=Text("a key, such as remote_addr"), metavar="KEY",
                                           help="Count sockets by KEY instead of listing them: remote_addr, remote_net/24, "
                                                "local_port, remote_port, local_addr, state, proto, process, user."),
    top: Optional[int] = typer.Option(None, "--top", click_type=Integer(1), metavar="N", help="With --count-by: the N largest counts."),
    timers: bool = typer.Option(False, "-o", "--options", help="Timers, as ss -o prints them: timer:(keepalive,119min,0)."),
    memory: bool = typer.Option(False, "-m", "--memory", help="Socket memory, as ss -m: skmem:(r0,rb131072,...)."),
    cgroup: bool = typer.Option(False, "--cgroup", help="The cgroup v2 path of each inet socket, as ss --cgroup."),
    kill: bool = typer.Option(False, "-K", "--kill", help="Close the selected TCP/UDP sockets (SOCK_DESTROY, as ss -K) and list them. "
                                                       "Root only; refused without a filter."),
    events: bool = typer.Option(False, "-E", "--events", help="A line per socket the kernel closes, with its last counters, "
                                                           "until Ctrl-C (or --iterations N), as ss -E. Root only."),
    no_header: bool = typer.Option(False, "-H", "--no-header", help="No header line (table and csv), as ss -H."),
    sort: Optional[str] = typer.Option(None, "--sort", click_type=Text("sort keys, such as recv_q or -pid"), metavar="KEY[,KEY]", help="Sort by keys (e.g. recv_q, local, pid, state); -KEY for descending."),
    # -n is ss's --numeric here, so --iterations has no short spelling.
    watch: Optional[float] = typer.Option(None, "--watch", click_type=Seconds(0.01, 86400), metavar="SECONDS", help="Redraw every SECONDS until Ctrl-C (or --iterations N)."),
    iterations: Optional[int] = typer.Option(None, "--iterations", click_type=Integer(1), metavar="N",
                                             help="With --watch: stop after N redraws; with --events: after N sockets."),
    resolve: bool = typer.Option(False, "-r", "--resolve", help="Show host and service names (numeric is the default)."),
    numeric: bool = typer.Option(False, "-n", "--numeric", help="Numeric output (the default; accepted like ss)."),
    processes: bool = typer.Option(False, "-p", "--processes", help="Show processes (the default; accepted like ss)."),
    fmt: str = common.format_option(FORMATS),
) -> ExitStatus:
    from netlab.conns import LISTENING, Query, check_pid, check_process, parse_states, parse_user
    from netlab.core.addr import parse_network

    common.check_format(fmt, FORMATS)
    if events:
        _check_events(fmt, watch, kill, summary, count_by)
    else:
        common.check_watch(watch, iterations)
    if top is not None and count_by is None:
        raise UsageError("--top needs --count-by", "add --count-by KEY, e.g. --count-by remote_addr --top 10")
    if count_by is not None:
        from netlab.conns.count import key_function

        key_function(count_by)  # a bad key is refused before the dump
        if summary:
            raise UsageError("--count-by and -s count differently", "use one of them")

    protocols = [p for p, on in (("tcp", tcp), ("udp", udp), ("raw", raw), ("unix", unix), ("packet", packet)) if on]
    if not protocols:
        protocols = ["tcp", "udp", "raw", "unix"] if summary else ["tcp", "udp"]
    families = ["inet", "inet6"]
    if ipv4 and not ipv6:
        families = ["inet"]
    elif ipv6 and not ipv4:
        families = ["inet6"]
    if (ipv4 or ipv6) and not unix:
        protocols = [p for p in protocols if p not in ("unix", "packet")] or protocols

    selection = None
    if expression:
        from netlab.core.ssfilter import parse

        selection = parse(expression)
    states = None
    if state:
        states = parse_states(state)
    if selection is not None and selection.states is not None:
        states = (states or frozenset()) | selection.states
    if listening:
        states = (states or frozenset()) | LISTENING
    if selection is not None and selection.families is not None:
        # inet:, inet6: or unix: in an address narrows the families, as in ss
        if "unix" in selection.families:
            protocols = ["unix"]
        else:
            families = [f for f in families if f in selection.families] or list(selection.families)
    condition = selection.node if selection is not None else None
    if sport or dport or port:
        condition = _port_condition(sport, dport, port, condition)
    query = Query(
        protocols=protocols,
        families=families,
        states=states,
        filter=condition,
        src=[parse_network(s) for s in src or ()],
        dst=[parse_network(d) for d in dst or ()],
        pid=check_pid(pid) if pid is not None else None,
        process=process,
        uid=parse_user(user) if user is not None else None,
        tcp_info=info,
        memory=memory,
        cgroup=cgroup,
        owners=not summary,
        details=extended,
    )
    if process:
        check_process(process)
    if kill:
        from netlab.conns.actions import check_privilege

        if condition is None and states is None and pid is None and not process and user is None:
            raise UsageError("-K closes every socket it selects and nothing is selected",
                             "give a filter, e.g. netlab conns -K dport = :8080")
        if watch is not None or summary or count_by is not None:
            raise UsageError("-K lists what it closed: not with --watch, -s or --count-by", "use -K alone")
        check_privilege("-K")
    if events:
        return _events(query, fmt, iterations, no_header)

    def once(stamp: float | None = None, header: bool = True) -> str:
        with gc_paused():
            return _render(query, fmt, summary, extended, info, sort, resolve, stamp, header and not no_header,
                           listening, count_by, top, (timers, memory, cgroup), kill)

    if watch is None:
        _emit(fmt, once())
        return ExitStatus.OK
    return _watch(once, fmt, watch, iterations)


def _emit(fmt: str, text: str) -> None:
    """A table always prints (its header); jsonl and csv without rows print nothing, not a blank line."""
    if text or fmt in ("table", "json"):
        common.emit(text)


def _render(query, fmt: str, summary: bool, extended: bool, info: bool, sort: str | None, resolve: bool,
            stamp: float | None, header: bool, listening: bool = False, count_by: str | None = None,
            top: int | None = None, ss_words: tuple = (False, False, False), kill: bool = False) -> str:
    from netlab.conns import list_connections
    from netlab.conns import text

    listing = list_connections(query)
    for note in listing.notes:
        print(f"netlab: note: {note}", file=sys.stderr)
    if summary:
        from netlab.conns.summary import summarize

        return text.summary_text(summarize(listing.conns, query.protocols), fmt, stamp, header)
    conns = listing.conns
    if kill:
        from netlab.conns.actions import kill_connections

        conns = kill_connections(conns)
    if count_by is not None:
        from netlab.conns.count import count_by as count

        return text.count_text(count(conns, count_by, top), fmt, stamp, header)
    if sort:
        from netlab.conns.sort import sort_connections

        conns = sort_connections(conns, sort)
    return text.listing_text(conns, fmt, extended, info, resolve, unix="unix" in query.protocols, time=stamp,
                             header=header, listening=listening, timers=ss_words[0], memory=ss_words[1],
                             cgroup=ss_words[2], packet="packet" in query.protocols)


def _watch(once, fmt: str, interval: float, iterations: int | None) -> ExitStatus:
    """Redraw until Ctrl-C (exit 0) or the iteration count.

    A table redraws under a banner line; json writes one array per redraw (a
    stream that jq reads); jsonl and csv carry the redraw's ``time`` in every
    line, csv under one header for the whole run.
    """
    try:
        for n in common.every(interval, iterations):
            if fmt == "table":
                common.redraw(f"netlab conns, every {interval:g}s, {time.strftime('%H:%M:%S')}", once())
            elif fmt == "json":
                common.emit(once())
            else:
                _emit(fmt, once(time.time(), header=n == 0))
    except KeyboardInterrupt:
        pass
    return ExitStatus.OK



def _check_events(fmt: str, watch, kill: bool, summary: bool, count_by) -> None:
    if fmt == "json":
        raise UsageError("--events is a stream: --format json cannot end it", "use --format jsonl (or table, csv)")
    if watch is not None or kill or summary or count_by is not None:
        raise UsageError("--events streams closing sockets: not with --watch, -K, -s or --count-by",
                         "use --events alone, with a filter")


def _events(query, fmt: str, iterations: int | None, no_header: bool) -> ExitStatus:
    """A line per closing socket (tcp_info: its last counters) until Ctrl-C or ``iterations`` of them."""
    from netlab.conns import text
    from netlab.conns.actions import check_privilege, closing_connections

    check_privilege("--events")
    stream = closing_connections(query, stop_after=iterations)
    first = True
    try:
        for conn in stream:
            if fmt == "table":
                line = text.event_line(conn)
                if first and not no_header:
                    line = "Time            " + text.EVENT_HEADER + "\n" + line
            else:
                line = text.listing_text([conn], fmt, info=True, time=time.time(), header=first and not no_header)
            common.emit(line)
            first = False
    except KeyboardInterrupt:
        pass
    finally:
        stream.close()
    return ExitStatus.OK


def _port_condition(sport, dport, port, condition):
    """--sport/--dport/--port as filter nodes: a repeated option is any of its values (or),
    different options all hold (and), and so does the filter expression."""
    from netlab.core.addr import parse_port
    from netlab.core.ssfilter import HostCond, Or, combine

    nodes = [combine([HostCond(side, port=parse_port(p, name)) for p in values or ()], Or)
             for side, name, values in (("s", "--sport", sport), ("d", "--dport", dport))]
    nodes.append(combine([Or(HostCond("s", port=n), HostCond("d", port=n))
                          for n in (parse_port(p, "--port") for p in port or ())], Or))
    return combine([*nodes, condition])
