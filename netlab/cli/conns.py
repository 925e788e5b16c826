"""`netlab conns`: the socket lister (ss, netstat and lsof -i in one): its options, for typer.

What it does with them is netlab.commands.conns."""

from __future__ import annotations

from typing import List, Optional

import typer

from netlab.cli import common
from netlab.cli.types import PID_MAX, Integer, Seconds, Text
from netlab.commands import conns as body
from netlab.commands.conns import FORMATS
from netlab.errors import ExitStatus

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
    options = dict(locals())  # every option by its name: the body takes them all
    return body.conns(**options)
