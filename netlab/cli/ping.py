"""`netlab ping`: iputils ping's options and text, fping's multi-host summary, a TCP ping.

Its options, for typer; what it does with them is netlab.commands.ping.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from netlab.cli import common
from netlab.cli.types import FileName, Integer, Seconds, Text
from netlab.commands import ping as body
from netlab.commands.ping import FORMATS

# The bounds of netlab.ping.options (a unit test holds them equal); importing that
# module here would load the whole engine for `netlab --help`.
MAX_TIMING = 2**31 // 1000  # -i, -W: iputils keeps them as int milliseconds
MAX_DEADLINE = 2**31 - 1  # -w: iputils keeps it as int seconds
MAX_SIZE = 65527  # -s: an IPv6 payload (IPv4's 65507 is checked with the family)
MAX_PRELOAD = 0x10000  # -l: iputils' MAX_DUP_CHK
MAX_FLOWLABEL = 0xFFFFF  # -F: 20 bits

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
    options = dict(locals())  # every option by its name: the body takes them all
    del options["version"]  # -V is answered by its callback, before any of them
    return body.ping(**options)


def _version(wanted: bool) -> None:
    """-V: the version line, at once (before HOST is asked for), as ping -V."""
    if wanted:
        from netlab import __version__

        print(f"netlab ping from netlab {__version__}")
        raise typer.Exit(0)
