"""`netlab reuseaddr-demo`: the SO_REUSEADDR restart experiment (engine: netlab.lab.reuseaddr)."""

from __future__ import annotations

import sys

import typer

from netlab import output
from netlab.cli import common
from netlab.cli.types import Integer, Text
from netlab.errors import ExitStatus

# jsonl: one line per row as it is measured, the others once every row is in.
FORMATS = ("table", "json", "jsonl", "csv")

HELP = """Stop a server, restart it, and show what the kernel says.

Each scenario runs real sockets and a real server process, then prints the
states of the old sockets on the port just before the restart (from sock_diag),
the errno of the new socket's bind() and listen(), and one sentence drawn from
those measurements. As root every row runs in its own private network
namespace (port 8001 unless --port); otherwise on a free loopback port.

\b
Scenarios: server-closes-first, server-killed, server-killed-unread,
           client-closes-first, listener-alive, both-reuseaddr, reuseport.
"""

EXAMPLES = common.examples(
    ("netlab reuseaddr-demo", "every scenario"),
    ("netlab reuseaddr-demo -s server-killed", "one of them"),
    ("netlab reuseaddr-demo --wait-timewait", "and TIME-WAIT's length"),
)


def register(app: typer.Typer) -> None:
    app.command(name="reuseaddr-demo", help=HELP, epilog=EXAMPLES, no_args_is_help=False)(reuseaddr_demo)


def reuseaddr_demo(
    scenario: list[str] = typer.Option(None, "--scenario", "-s", click_type=Text(), metavar="NAME",
                                       help="Run this scenario (repeatable; default: all)."),
    wait_timewait: bool = typer.Option(False, "--wait-timewait",
                                       help="Also measure how long TIME-WAIT lasts and what tcp_fin_timeout "
                                            "changes (about 60 s)."),
    port: int = typer.Option(None, "--port", "-p", click_type=Integer(1, 65535), metavar="PORT",
                             help="Server port (namespace default 8001; on loopback the first free one "
                                  "from PORT)."),
    addr: str = typer.Option(None, "--addr", "-a", click_type=Text(), metavar="ADDR",
                             help="Server address: loopback (127.0.0.1, ::1) or wildcard (0.0.0.0, ::)."),
    ipv6: bool = typer.Option(False, "-6", "--ipv6", help="IPv6 (default address ::1)."),
    fmt: str = common.format_option(FORMATS, "-f", help="table (default), json, jsonl (a line per row as it "
                                                        "finishes) or csv."),
) -> ExitStatus:
    from netlab.core import netns
    from netlab.lab import reuseaddr
    from netlab.lab.reuseaddr import text, timewait

    common.check_format(fmt, FORMATS)
    names = reuseaddr.parse_scenarios(scenario)
    reuseaddr.check_port(port)  # bad input fails before any socket is made
    reuseaddr.resolve_address(addr, ipv6)
    isolate = netns.available()
    if not isolate:
        print("netlab: note: not root: rows run on free loopback ports"
              + (", and tcp_fin_timeout is only read" if wait_timewait else ""), file=sys.stderr)
    rows = []
    for row in reuseaddr.stream(names, port=port, addr=addr, ipv6=ipv6, isolate=isolate):
        rows.append(row)
        _streamed([row], fmt)
    status = ExitStatus.OK
    if wait_timewait:
        if sys.stderr.isatty():
            print("netlab: measuring TIME-WAIT lifetime, about 60 s (Ctrl-C stops it)", file=sys.stderr)
        try:
            measured = timewait.measure(port=port, addr=addr, ipv6=ipv6, isolate=isolate)
            rows += measured
            _streamed(measured, fmt)
        except KeyboardInterrupt:
            status = ExitStatus.INTERRUPTED  # the rows measured so far are still printed
    if fmt != "jsonl":
        records = [row.as_dict() for row in rows]
        print(text.table(records) if fmt == "table" else output.render(records, fmt, text.COLUMNS, text.CSV_KEYS))
    return status


def _streamed(rows: list, fmt: str) -> None:
    """jsonl: these rows now, one line each; the other formats wait for every row."""
    if fmt == "jsonl":
        for row in rows:
            common.emit(output.to_jsonl_line(row.as_dict()))
