"""`netlab backlog`: parse options, run netlab.lab.backlog (or its watch mode), print what lab/backlog/text.py makes."""

from __future__ import annotations

import sys
import time
from typing import Any, Optional

import typer

from netlab import output
from netlab.cli import common
from netlab.cli.types import PID_MAX, Integer, IntegerList, Seconds
from netlab.errors import ExitStatus, NegativeResult, UsageError

PROBE_FORMATS = ("table", "json", "csv")
WATCH_FORMATS = ("table", "json", "jsonl", "csv")
# The bounds of netlab.lab.backlog.plan (a unit test holds them equal), which --help need not import.
MAX_BACKLOG = 65535
MAX_CONNECTS = 20000
MAX_ACCEPT_DELAY_S = 6.0
MAX_TIMELINE_CLIENTS = 64


EXAMPLES = common.examples(
    ("netlab backlog", "listen() and somaxconn"),
    ("netlab backlog --syn-queue", "also the SYN queue"),
    ("netlab backlog --watch 1 -p 8080", "a real listener's accept queue"),
)


def register(app: typer.Typer) -> None:
    app.command(name="backlog", epilog=EXAMPLES, no_args_is_help=False)(backlog)


def backlog(
    # The LIST options are Any: their type (IntegerList) turns the text into a list of ints.
    backlogs: Optional[Any] = typer.Option(None, "-b", "--backlog", click_type=IntegerList(0, MAX_BACKLOG), metavar="LIST",
                                           help="Backlogs for listen() to probe [default: 0,1,5,16,128]."),
    somaxconns: Optional[Any] = typer.Option(None, "-s", "--somaxconn", click_type=IntegerList(0, MAX_BACKLOG), metavar="LIST",
                                             help="Values of net.core.somaxconn, set in a private namespace "
                                                  "[default: 4096,8 with privilege, else the current one]."),
    connects: Optional[int] = typer.Option(None, "-c", "--connects", click_type=Integer(1, MAX_CONNECTS), metavar="N",
                                           help="Non-blocking connects per point [default: 200]."),
    syn_queue: bool = typer.Option(False, "--syn-queue", help="Also fill the SYN queue with half-open handshakes."),
    syncookies: Optional[Any] = typer.Option(None, "--syncookies", click_type=IntegerList(0, 2), metavar="LIST",
                                             help="Values of tcp_syncookies for --syn-queue [default: 0,1]."),
    max_syn_backlog: Optional[Any] = typer.Option(None, "--max-syn-backlog", click_type=IntegerList(1, MAX_BACKLOG), metavar="LIST",
                                                  help="Values of tcp_max_syn_backlog for --syn-queue "
                                                       "[default: the namespace's own, and 16]."),
    abort_on_overflow: bool = typer.Option(False, "--abort-on-overflow",
                                           help="Also show tcp_abort_on_overflow 0 against 1."),
    timeline: bool = typer.Option(False, "--timeline", help="Also run a listener that accepts late."),
    accept_delay: Optional[float] = typer.Option(None, "--accept-delay", click_type=Seconds(0, MAX_ACCEPT_DELAY_S), metavar="SECONDS",
                                                 help="When the --timeline listener starts accepting [default: 1.5]."),
    timeline_clients: Optional[int] = typer.Option(None, "--timeline-clients", click_type=Integer(1, MAX_TIMELINE_CLIENTS), metavar="N",
                                                   help="Clients of the --timeline run [default: 6]."),
    watch: Optional[float] = typer.Option(None, "-w", "--watch", click_type=Seconds(0.05, 3600), metavar="SECONDS",
                                          help="Watch the LISTEN sockets of this network namespace instead, "
                                               "one sample every SECONDS (0.05-3600) until Ctrl-C."),
    port: Optional[int] = typer.Option(None, "-p", "--port", click_type=Integer(0, 65535), metavar="PORT", help="With --watch: only this local port."),
    pid: Optional[int] = typer.Option(None, "--pid", click_type=Integer(1, PID_MAX), metavar="PID", help="With --watch: only this process's listeners."),
    iterations: Optional[int] = typer.Option(None, "-n", "--iterations", click_type=Integer(1), metavar="N",
                                             help="With --watch: stop after N samples [default: until Ctrl-C]."),
    fmt: str = common.format_option(PROBE_FORMATS, "-f",
                                    help="table (default), json or csv; --watch: table, json, jsonl or csv."),
) -> ExitStatus:
    """Measure what listen(backlog) and somaxconn do on this kernel, or watch real listeners' accept queues."""
    # --watch keeps the interval bounds its -i had (0.05-3600 s), not conns's wider ones.
    watch, iterations = common.check_watch(watch, iterations)
    if watch is not None:
        probe_opts = {"--backlog": backlogs, "--somaxconn": somaxconns, "--connects": connects,
                      "--syn-queue": syn_queue or None, "--syncookies": syncookies,
                      "--max-syn-backlog": max_syn_backlog, "--abort-on-overflow": abort_on_overflow or None,
                      "--timeline": timeline or None, "--accept-delay": accept_delay,
                      "--timeline-clients": timeline_clients}
        given = [name for name, value in probe_opts.items() if value is not None]
        if given:
            raise UsageError(f"{given[0]} does not apply to --watch", "--watch takes --port, --pid, --iterations")
        return _watch(port, pid, watch, iterations, fmt)
    given = [name for name, value in {"--port": port, "--pid": pid}.items() if value is not None]
    if given:
        raise UsageError(f"{given[0]} needs --watch", "add --watch SECONDS")
    return _probe(backlogs, somaxconns, connects, syn_queue, syncookies, max_syn_backlog, abort_on_overflow,
                  timeline, accept_delay, timeline_clients, fmt)


# ---------------------------------------------------------------- probe mode


def _probe(backlogs, somaxconns, connects, syn_queue, syncookies, max_syn_backlog, abort_on_overflow,
           timeline, accept_delay, timeline_clients, fmt) -> ExitStatus:
    common.check_format(fmt, PROBE_FORMATS)
    from netlab.lab import backlog as engine
    from netlab.lab.backlog import text

    if (accept_delay is not None or timeline_clients is not None) and not timeline:
        raise UsageError("--accept-delay and --timeline-clients shape the timeline", "add --timeline")
    given = {
        "backlogs": backlogs,
        "somaxconns": somaxconns,
        "connects": connects,
        "syncookies": syncookies,
        "max_syn_backlogs": max_syn_backlog,
        "accept_delay": accept_delay,
        "timeline_clients": timeline_clients,
    }
    # Options left out take the engine's defaults (engine.Plan documents them).
    plan = engine.Plan(syn_queue=syn_queue, abort_on_overflow=abort_on_overflow, timeline=timeline,
                       **{key: value for key, value in given.items() if value is not None})
    report = engine.probe(plan, progress=_progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    if fmt == "json":
        print(output.to_json(report.as_dict()))
    elif fmt == "csv":
        print(text.probe_csv(report))
    else:
        print(text.probe_text(report))
    return ExitStatus.INTERRUPTED if report.interrupted else ExitStatus.OK


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rnetlab backlog: point {done}/{total}")
    sys.stderr.flush()


# ---------------------------------------------------------------- watch mode


def _watch(port, pid, interval, iterations, fmt) -> ExitStatus:
    common.check_format(fmt, WATCH_FORMATS, "for --watch")
    from netlab.lab.backlog import text
    from netlab.lab.backlog.watch import process_gone, watch

    samples = []
    clear = fmt == "table" and sys.stdout.isatty()
    started = time.monotonic()
    try:
        for sample in watch(port=port, pid=pid, interval=interval, iterations=iterations):
            samples.append(sample)
            if fmt == "jsonl":
                print(output.to_jsonl_line(sample.as_dict()), flush=True)
            elif fmt == "csv":
                print(text.watch_csv(sample, header=len(samples) == 1), flush=True)
            elif fmt == "table":
                shown = text.watch_text(sample)
                print(("\x1b[H\x1b[2J" + shown) if clear else (shown + "\n"), flush=True)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a watch ends: the summary follows, exit 0
    if fmt == "json":
        print(output.to_json([s.as_dict() for s in samples]))
    elif fmt == "table" and samples:
        print(text.watch_summary(samples, time.monotonic() - started))
    if pid is not None and process_gone(pid):
        raise NegativeResult(f"process {pid} exited during the watch", f"{len(samples)} samples shown")
    if samples and not any(s.listeners for s in samples):
        what = f"port {port}" if port is not None else (f"process {pid}" if pid is not None else "this namespace")
        raise NegativeResult(f"no LISTEN socket for {what}", "is the server running?")
    return ExitStatus.OK


