"""`netlab exporter`: parse options, start netlab.exporter's HTTP server."""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from netlab.cli import common
from netlab.cli.types import FileName, Text
from netlab.errors import ExitStatus

EXAMPLES = common.examples(
    ("netlab exporter", "serve /metrics on 127.0.0.1:10077"),
    ("netlab exporter --process nginx", "also nginx's sockets by state"),
    ("netlab exporter -c probes.toml", "and /probe, for the targets it allows"),
    ("netlab exporter --once", "one scrape on stdout"),
)


def register(app: typer.Typer) -> None:
    app.command(name="exporter", epilog=EXAMPLES, no_args_is_help=False)(exporter)


def exporter(
    listen: str = typer.Option("127.0.0.1:10077", "-l", "--listen", click_type=Text("an address and port"), metavar="ADDR:PORT", show_default=False,
                               help="Where to serve HTTP [default: 127.0.0.1:10077]; "
                                    "0.0.0.0:10077 or [::]:10077 serves every address."),
    config: Optional[str] = typer.Option(None, "-c", "--config", click_type=FileName(), metavar="FILE",
                                         help="TOML file with [probe] allow = [...] and [modules.NAME] for /probe "
                                              "[default: none, /probe refuses every target]."),
    processes: Optional[List[str]] = typer.Option(None, "-P", "--process", click_type=Text("a process name"), metavar="NAME",
                                                  help="Also count the sockets of processes with this name "
                                                       "(wildcards allowed; repeatable)."),
    pid_label: bool = typer.Option(False, "--pid-label",
                                   help="Add a pid label to the listener series (one series per process)."),
    once: bool = typer.Option(False, "--once", help="Print one scrape of /metrics on stdout and exit (no server)."),
) -> ExitStatus:
    """Serve Prometheus metrics: listeners' accept queues, socket states, TCP counters, probes."""
    from netlab.exporter import config as config_file
    from netlab.exporter import server
    from netlab.exporter.metrics import Options

    address, port = server.parse_listen(listen)
    settings = config_file.load(config) if config is not None else config_file.Config()
    exporter = server.Exporter(settings, Options(pid_label=pid_label, processes=tuple(processes or ())))
    if once:
        from prometheus_client import generate_latest

        sys.stdout.write(generate_latest(exporter.registry).decode())
        return ExitStatus.OK
    http = server.make_server(address, port, exporter)
    host, bound = http.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"netlab exporter: serving http://{shown}:{bound}/metrics", flush=True)
    sys.stdout.flush()
    return ExitStatus(server.serve(http))
