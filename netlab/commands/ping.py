"""What `netlab ping` does with its options: targets, the session, the printer, the exit status.

The options come parsed and checked, each by its name in the typer declaration
(netlab.cli.ping), from typer or from the fast lane (netlab.cli.fastlane); no
click or typer here. Thin: options -> session (netlab.ping.session()) -> printer
(netlab.ping.output).
"""

from __future__ import annotations

import sys

from netlab.cli import common
from netlab.core import signals  # not `signal`: its enums cost ~2 ms of every start

LIST_WAIT = 1.0  # --alive / -u without -W: seconds to wait for an answer (fping: 0.5 s and 3 retries)

# The same tuple as netlab.ping.output.FORMATS (a unit test holds them equal): importing
# it here would load the whole engine for `netlab --help`.
FORMATS = ("table", "json", "jsonl", "csv")


def ping(
    *, hosts, count, interval, timeout, deadline, size, ttl, quiet, numeric, stamps, outstanding, ipv4, ipv6,
    iface, pattern, tos, pmtu, flood, tcp, audible, adaptive, broadcast, strict_source, so_debug, ident,
    flowlabel, preload, no_loop, mark, dont_route, record_route, ip_timestamp, sndbuf, latency, verbose,
    tcp_syn, graph, generate, host_file, alive, unreachable, report_interval, fping_summary, fmt,
) -> int:
    from netlab.errors import UsageError
    from netlab.ping.options import PingOptions, parse_interface, parse_pattern
    from netlab.ping.output import printer
    from netlab.ping.resolve import resolve
    from netlab.ping import exit_status, session

    common.check_format(fmt, FORMATS)
    if graph and (fmt != "table" or flood):
        raise UsageError("--graph draws the text output's replies", "drop --format or -f with --graph")
    hosts = _hosts(hosts or [], generate, host_file)
    if alive and unreachable:
        raise UsageError("specify only one of --alive and -u", "as fping: one list at a time")
    lists = tuple(name for name, wanted in (("alive", alive), ("unreachable", unreachable)) if wanted)
    if lists and count is None and deadline is None:
        count = 1  # fping -a / -u: one probe each, and an answer in time, unless -c says otherwise
        if timeout is None:
            timeout = LIST_WAIT
    if ipv4 and ipv6:
        raise UsageError("only one of -4 and -6 may be given", "drop one of them")
    family = 4 if ipv4 else 6 if ipv6 else None
    source, interface = parse_interface(iface)
    prespec: tuple = ()
    if (record_route or ip_timestamp) and len(hosts) > 1:
        if ip_timestamp != "tsprespec" or len(hosts) > 5:
            raise UsageError("-R and -T take one host (-T tsprespec: up to 4 hosts to stamp, then the target)",
                             "give one HOST")
        # iputils: the hosts before the target are the ones asked to stamp
        prespec = tuple(resolve(h, 4, True).address for h in hosts[:-1])
        hosts = hosts[-1:]
    # json lists every reply at the end; a flood without -c would pile up ~10^4 of them
    # a second until Ctrl-C, so it keeps only its statistics (jsonl streams them instead).
    opts = PingOptions(
        count=count, interval=interval, timeout=timeout, deadline=deadline, size=size, ttl=ttl,
        tos=tos, pmtudisc=pmtu, interface=interface, source=source,
        pattern=parse_pattern(pattern) if pattern is not None else None, flood=flood, family=family,
        outstanding=outstanding, keep_replies=(fmt == "json" and not (flood and count is None)), stream_timeouts=(fmt == "jsonl"), tcp_port=tcp,
        reply_events=not (flood and fmt == "table"),
        audible=audible, adaptive=adaptive, broadcast=broadcast, strict_source=strict_source, so_debug=so_debug,
        ident=ident, flowlabel=flowlabel, preload=preload, no_loop=no_loop, mark=mark, dont_route=dont_route,
        record_route=record_route, timestamp=ip_timestamp, prespec=prespec, sndbuf=sndbuf, latency=latency,
        verbose=verbose, report_interval=report_interval, tcp_syn=tcp_syn,
    ).validate()
    if graph and len(hosts) > 1:
        raise UsageError("--graph charts one host", "give one HOST, or drop --graph")
    run = session([resolve(h, family, numeric) for h in hosts], opts)
    for warning in getattr(run, "warnings", ()):
        print(f"netlab: {warning}", file=sys.stderr, flush=True)
    try:
        summaries = _show(run, printer(fmt, run, quiet=quiet, numeric=numeric, stamps=stamps, lists=lists,
                                       fping_summary=fping_summary, graph=graph))
    except BrokenPipeError:
        # The reader left (`| head`). click would turn EPIPE into exit 1 before the
        # guard sees it: stop here, quietly, with nothing left to flush into the pipe.
        return common.quiet_pipe()
    finally:
        run.close()
    return exit_status(summaries, opts)


def _hosts(hosts: list, generate: bool, host_file: str | None) -> list:
    """The targets as fping names them: the arguments, -g's block or range, --file's lines."""
    from netlab.errors import UsageError
    from netlab.ping import targets

    if generate:
        if host_file is not None:
            raise UsageError("-g and --file exclude each other", "give one of them")
        return targets.generate(hosts)
    if host_file is not None:
        return hosts + targets.read_file(host_file)
    if not hosts:
        raise UsageError("no host to ping", "give at least one HOST")
    return hosts


def _show(session, printer) -> list:
    """Run the session, every event to the printer; its summaries, printed too."""
    # Ctrl-C ends the run with statistics, SIGQUIT asks for the interim status line; both
    # only set a flag and wake the loop (netlab.ping.control). Installed before the header
    # goes out, so a Ctrl-C right after it still ends with statistics.
    with common.handling({signals.SIGINT: lambda *_: session.stop(),
                          signals.SIGQUIT: lambda *_: session.request_status()}):
        printer.start(session.targets)
        for event in session.run():
            printer.event(event)
    summaries = session.summaries()
    printer.finish(summaries)
    return summaries
