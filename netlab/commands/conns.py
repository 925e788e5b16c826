"""What `netlab conns` does with its options: the selection, the listing, --watch, --events.

The options come parsed and checked, each by its name in the typer declaration
(netlab.cli.conns), from typer or from the fast lane (netlab.cli.fastlane); no
click or typer here.
"""

from __future__ import annotations

import sys
import time

from netlab.cli import common
from netlab.errors import ExitStatus, UsageError

FORMATS = ("table", "json", "jsonl", "csv")


def conns(
    *, expression, tcp, udp, raw, unix, packet, ipv4, ipv6, listening, all_states, state, sport, dport, port,
    src, dst, pid, process, user, extended, info, summary, count_by, top, timers, memory, cgroup, kill,
    events, no_header, sort, watch, iterations, resolve, numeric, processes, fmt,
) -> ExitStatus:
    protocols, families = _protocols_and_families(tcp, udp, raw, unix, packet, ipv4, ipv6, summary)
    plain = fmt in ("table", "json", "jsonl") and not any(
        (raw, unix, packet, listening, extended, info, summary, timers, memory, cgroup, kill, events, resolve))
    selection = None
    if expression:
        from netlab.core.ssfilter import parse

        selection = parse(expression)
    if plain and all(value is None for value in (state, sport, dport, port, src, dst, pid, process, user, count_by,
                                                  top, sort, watch, iterations)):
        # ss -tanp's listing, the commonest, and the same with a filter the kernel runs alone:
        # printed in C from the dump (a table, json or jsonl), none of the records' code imported
        answer = _plain_table(protocols, families, selection, no_header, fmt)
        if answer is not None:  # None: something this path leaves to the records
            text, notes = answer
            for note in notes:
                print(f"netlab: note: {note}", file=sys.stderr)
            _emit(fmt, text)
            return ExitStatus.OK

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

    states = None
    if state:
        states = parse_states(state)
    if selection is not None and selection.states is not None:
        states = (states or frozenset()) | selection.states
    if listening:
        states = (states or frozenset()) | LISTENING
    protocols, families = _narrowed(protocols, families, selection)
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

    from netlab.records import gc_paused

    def once(stamp: float | None = None, header: bool = True) -> str:
        with gc_paused():
            return _render(query, fmt, summary, extended, info, sort, resolve, stamp, header and not no_header,
                           listening, count_by, top, (timers, memory, cgroup), kill)

    if watch is None:
        _emit(fmt, once())
        return ExitStatus.OK
    return _watch(once, fmt, watch, iterations)


def _protocols_and_families(tcp, udp, raw, unix, packet, ipv4, ipv6, summary) -> tuple[list[str], list[str]]:
    """The protocols (-t -u -w -x -0; none: TCP and UDP, and RAW and UNIX for -s) and families (-4 -6)."""
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
    return protocols, families


def _narrowed(protocols: list[str], families: list[str], selection) -> tuple[list[str], list[str]]:
    """The protocols and families once the filter's inet:, inet6: or unix: addresses narrowed them, as in ss."""
    if selection is None or selection.families is None:
        return protocols, families
    if "unix" in selection.families:
        return ["unix"], families
    return protocols, [f for f in families if f in selection.families] or list(selection.families)


def _plain_table(protocols: list[str], families: list[str], selection, no_header: bool, fmt: str = "table"):
    """The plain table and its notes (netlab.conns.plain.table), the filter's states and bytecode run by
    the kernel; None where the records' path must list: a condition Python evaluates (a UNIX pattern,
    autobound, a /0 prefix: netlab.core.ssfilter.Filter.kernel_alone), or what plain.table() refuses."""
    from netlab.conns import plain as plain_listing
    from netlab.core.states import ALL_STATES, states_mask

    states, bytecode = ALL_STATES, b""
    if selection is not None:
        if selection.node is not None:
            if not selection.kernel_alone():
                return None
            from netlab.core.bytecode import compile_filter

            bytecode = compile_filter(selection.node)
        if selection.states is not None:
            states = states_mask(selection.states)
        protocols, families = _narrowed(protocols, families, selection)
    return plain_listing.table(tuple(protocols), tuple(families), header=not no_header, states=states,
                               bytecode=bytecode, fmt=fmt)


def _emit(fmt: str, text: str | bytes) -> None:
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
