"""`netlab ping`: iputils ping's options and text, fping's multi-host summary, a TCP ping.

Thin: options -> session (netlab.ping.session()) -> printer (netlab.ping.output).
"""

from __future__ import annotations

import signal
import sys
from typing import List, Optional

import typer

from netlab.cli import common
from netlab.cli.types import FileName, Integer, Seconds, Text

# The bounds of netlab.ping.options (a unit test holds them equal); importing that
# module here would load the whole engine for `netlab --help`.
MAX_TIMING = 2**31 // 1000  # -i, -W: iputils keeps them as int milliseconds
MAX_DEADLINE = 2**31 - 1  # -w: iputils keeps it as int seconds
MAX_SIZE = 65527  # -s: an IPv6 payload (IPv4's 65507 is checked with the family)
MAX_PRELOAD = 0x10000  # -l: iputils' MAX_DUP_CHK
MAX_FLOWLABEL = 0xFFFFF  # -F: 20 bits
LIST_WAIT = 1.0  # --alive / -u without -W: seconds to wait for an answer (fping: 0.5 s and 3 retries)

# The same tuple as netlab.ping.output.FORMATS (a unit test holds them equal): importing
# it here would load the whole engine for `netlab --help`.
FORMATS = ("table", "json", "jsonl", "csv")

EXAMPLES = common.examples(
    ("netlab ping -c 3 127.0.0.1", "three probes, then statistics"),
    ("netlab ping -c 2 127.0.0.1 ::1", "fping's summary"),
    ("netlab ping --tcp 22 -c 3 localhost", "TCP connect: no privilege"),
    ("netlab ping -c 5 --format jsonl 127.0.0.1", "a JSON stream"),
)


def register(app: typer.Typer) -> None:
    app.command(name="ping", epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})(ping)


def ping(
    # Hidden from the Arguments section, where typer would add an escaped "\\[required]";
    # the usage line and the text above say what HOST is.
    hosts: Optional[List[str]] = typer.Argument(None, click_type=Text(), metavar="HOST...", hidden=True),
    count: Optional[int] = typer.Option(None, "-c", "--count", click_type=Integer(1), help="Stop after COUNT probes (with -w: COUNT replies)."),
    interval: Optional[float] = typer.Option(None, "-i", "--interval", click_type=Seconds(0, MAX_TIMING), help="Seconds between probes (default 1; below 0.002 needs root)."),
    timeout: Optional[float] = typer.Option(None, "-W", "--timeout", click_type=Seconds(0, MAX_TIMING), help="Seconds to wait for a reply when none came yet (default 10)."),
    deadline: Optional[float] = typer.Option(None, "-w", "--deadline", click_type=Seconds(0, MAX_DEADLINE), help="Stop after this many seconds, whatever happened (0: no deadline, as in iputils)."),
    size: int = typer.Option(56, "-s", "--size", click_type=Integer(0, MAX_SIZE), show_default=False, help="Data bytes per probe (default 56: 64 with the ICMP header)."),
    ttl: Optional[int] = typer.Option(None, "-t", "--ttl", click_type=Integer(1, 255), help="IP time to live / IPv6 hop limit."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only the header and the statistics."),
    numeric: bool = typer.Option(False, "-n", "--numeric", help="No reverse lookups: print addresses."),
    stamps: bool = typer.Option(False, "-D", "--timestamps", help="Prefix lines with [UNIX time]."),
    outstanding: bool = typer.Option(False, "-O", "--report-outstanding", help="Report a probe still unanswered when the next leaves."),
    ipv4: bool = typer.Option(False, "-4", help="IPv4 only."),
    ipv6: bool = typer.Option(False, "-6", help="IPv6 only."),
    iface: Optional[str] = typer.Option(None, "-I", "--interface", click_type=Text("an interface name or a local address"), help="Source interface name or address."),
    pattern: Optional[str] = typer.Option(None, "-p", "--pattern", click_type=Text(), help="Fill the data with these hex bytes (up to 16)."),
    tos: Optional[int] = typer.Option(None, "-Q", "--tos", click_type=Integer(0, 255, hex=True), help="IPv4 TOS / IPv6 traffic class (0-255, or 0x..)."),
    pmtu: Optional[str] = typer.Option(None, "-M", "--pmtudisc", click_type=Text(), help="Path MTU discovery: do (set DF), dont, want, probe."),
    flood: bool = typer.Option(False, "-f", "--flood", help="Flood: next probe as soon as the reply is in (root only)."),
    tcp: Optional[int] = typer.Option(None, "--tcp", click_type=Integer(1, 65535), metavar="PORT", help="TCP connect ping to PORT: needs no privilege."),
    audible: bool = typer.Option(False, "-a", "--audible", help="Ring the terminal bell with every reply."),
    adaptive: bool = typer.Option(False, "-A", "--adaptive", help="Adaptive interval: the next probe after the smoothed RTT (2 ms at least without root)."),
    broadcast: bool = typer.Option(False, "-b", "--broadcast", help="Allow pinging a broadcast address (IPv4)."),
    strict_source: bool = typer.Option(False, "-B", "--strict-source", help="Bind to the source address the route gives and keep it."),
    so_debug: bool = typer.Option(False, "-d", "--so-debug", help="Set SO_DEBUG on the socket (the kernel ignores it)."),
    ident: Optional[int] = typer.Option(None, "-e", "--ident", click_type=Integer(0, 65535), help="ICMP identifier (0 needs a raw socket: root)."),
    flowlabel: Optional[int] = typer.Option(None, "-F", "--flowlabel", click_type=Integer(0, MAX_FLOWLABEL, hex=True), help="IPv6 flow label (20 bits, decimal or 0x hex)."),
    preload: int = typer.Option(1, "-l", "--preload", click_type=Integer(1, MAX_PRELOAD), show_default=False, help="Send this many probes at once first (more than 3 needs root)."),
    no_loop: bool = typer.Option(False, "-L", "--no-loop", help="No loopback of multicast probes."),
    mark: Optional[int] = typer.Option(None, "-m", "--mark", click_type=Integer(0, 2**32 - 1, hex=True), help="Mark the probes (SO_MARK, for policy routing and nftables)."),
    dont_route: bool = typer.Option(False, "-r", "--bypass-route", help="Bypass the routing table: hosts on a local link only (SO_DONTROUTE)."),
    record_route: bool = typer.Option(False, "-R", "--record-route", help="IPv4 record route: print the route of each reply."),
    ip_timestamp: Optional[str] = typer.Option(None, "-T", "--ip-timestamp", click_type=Text("tsonly, tsandaddr or tsprespec"), help="IPv4 timestamp option: tsonly, tsandaddr, or tsprespec (hosts before the last stamp)."),
    sndbuf: Optional[int] = typer.Option(None, "-S", "--sndbuf", click_type=Integer(1), help="Socket send buffer in bytes."),
    latency: bool = typer.Option(False, "-U", "--user-latency", help="Time from this process's send to its receive (not the kernel's stamps)."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Verbose: the identifier in each reply line."),
    tcp_syn: bool = typer.Option(False, "--syn", help="With --tcp: a half-open probe, a raw SYN and the SYN-ACK or RST read back, as hping3 -S; the application never sees a connection (root only)."),
    graph: bool = typer.Option(False, "--graph", help="Draw the RTTs as a chart instead of a line per reply: live on a terminal, once at the end elsewhere (one host)."),
    generate: bool = typer.Option(False, "-g", "--generate", help="fping's -g: HOST is a CIDR block (without its network and broadcast addresses), or a start and an end address."),
    host_file: Optional[str] = typer.Option(None, "--file", click_type=FileName("input"), metavar="FILE", help="fping's -f: read hosts from FILE, one per line (- for stdin; # comments)."),
    alive: bool = typer.Option(False, "--alive", help="fping's -a: print only the hosts that answered, one per line."),
    unreachable: bool = typer.Option(False, "-u", "--unreachable", help="fping's -u: print only the hosts that did not answer, one per line."),
    report_interval: Optional[float] = typer.Option(None, "--summary-interval", click_type=Seconds(0.001, MAX_TIMING), metavar="SECONDS", help="fping's -Q: every SECONDS, each host's counts since the last report, on stderr."),
    fping_summary: bool = typer.Option(False, "--fping-summary", help="End with fping's per-host lines (host : xmt/rcv/%loss = ...) instead of the statistics or table."),
    version: bool = typer.Option(False, "-V", "--version", is_eager=True, callback=lambda v: _version(v), expose_value=False, help="Print the version and exit."),
    fmt: str = common.format_option(FORMATS, help="table (ping's text, the default), json (one object per host; a flood without -c lists no replies), "
                                                    "jsonl (a stream), csv (one row per host)."),
) -> int:
    """Ping hosts like iputils ping (one host) or fping (several), over ICMP or TCP.

    Each HOST is a name or an address, IPv4 or IPv6.
    """
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


def _version(wanted: bool) -> None:
    """-V: the version line, at once (before HOST is asked for), as ping -V."""
    if wanted:
        from netlab import __version__

        print(f"netlab ping from netlab {__version__}")
        raise typer.Exit(0)


def _show(session, printer) -> list:
    """Run the session, every event to the printer; its summaries, printed too."""
    # Ctrl-C ends the run with statistics, SIGQUIT asks for the interim status line; both
    # only set a flag and wake the loop (netlab.ping.control). Installed before the header
    # goes out, so a Ctrl-C right after it still ends with statistics.
    with common.handling({signal.SIGINT: lambda *_: session.stop(),
                          signal.SIGQUIT: lambda *_: session.request_status()}):
        printer.start(session.targets)
        for event in session.run():
            printer.event(event)
    summaries = session.summaries()
    printer.finish(summaries)
    return summaries

