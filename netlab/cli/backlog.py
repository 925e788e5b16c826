"""`netlab backlog`: parse options, run netlab.lab.backlog (or its watch mode), render."""

from __future__ import annotations

import sys
import textwrap
import time
from typing import Optional

import typer

from netlab import render
from netlab.errors import EXIT_INTERRUPTED, NegativeResult, UsageError

PROBE_FORMATS = ("table", "json", "csv")
WATCH_FORMATS = ("table", "json", "jsonl")


def _int_list(text: str | None, what: str) -> list[int] | None:
    if text is None:
        return None
    values = []
    for part in text.split(","):
        part = part.strip()
        try:
            values.append(int(part))
        except ValueError:
            raise UsageError(f"invalid {what} {part!r}", f"a comma-separated list of integers, e.g. --{what} 0,5,128") from None
    return values


def register(app: typer.Typer) -> None:
    @app.command(name="backlog", no_args_is_help=False)
    def backlog(
        backlogs: Optional[str] = typer.Option(None, "-b", "--backlog", metavar="LIST",
                                               help="Backlogs for listen() to probe [default: 0,1,5,16,128]."),
        somaxconns: Optional[str] = typer.Option(None, "-s", "--somaxconn", metavar="LIST",
                                                 help="Values of net.core.somaxconn, set in a private namespace "
                                                      "[default: 4096,8 with privilege, else the current one]."),
        connects: Optional[int] = typer.Option(None, "-c", "--connects", metavar="N",
                                               help="Non-blocking connects per point [default: 200]."),
        syn_queue: bool = typer.Option(False, "--syn-queue", help="Also fill the SYN queue with half-open handshakes."),
        syncookies: Optional[str] = typer.Option(None, "--syncookies", metavar="LIST",
                                                 help="Values of tcp_syncookies for --syn-queue [default: 0,1]."),
        max_syn_backlog: Optional[str] = typer.Option(None, "--max-syn-backlog", metavar="LIST",
                                                      help="Values of tcp_max_syn_backlog for --syn-queue "
                                                           "[default: the namespace's own, and 16]."),
        abort_on_overflow: bool = typer.Option(False, "--abort-on-overflow",
                                               help="Also show tcp_abort_on_overflow 0 against 1."),
        timeline: bool = typer.Option(False, "--timeline", help="Also run a listener that accepts late."),
        accept_delay: Optional[float] = typer.Option(None, "--accept-delay", metavar="SECONDS",
                                                     help="When the --timeline listener starts accepting [default: 1.5]."),
        timeline_clients: Optional[int] = typer.Option(None, "--timeline-clients", metavar="N",
                                                       help="Clients of the --timeline run [default: 6]."),
        watch: bool = typer.Option(False, "-w", "--watch", help="Watch the LISTEN sockets of this network namespace instead."),
        port: Optional[int] = typer.Option(None, "-p", "--port", metavar="PORT", help="With --watch: only this local port."),
        pid: Optional[int] = typer.Option(None, "--pid", metavar="PID", help="With --watch: only this process's listeners."),
        interval: Optional[float] = typer.Option(None, "-i", "--interval", metavar="SECONDS",
                                                 help="With --watch: seconds between samples [default: 1]."),
        iterations: Optional[int] = typer.Option(None, "-n", "--iterations", metavar="N",
                                                 help="With --watch: stop after N samples [default: until Ctrl-C]."),
        fmt: str = typer.Option("table", "-f", "--format", metavar="FORMAT", show_default=False,
                                help="table (default), json or csv; --watch: table, json or jsonl."),
    ) -> int:
        """Measure what listen(backlog) and somaxconn do on this kernel, or watch real listeners' accept queues."""
        watch_opts = {"--port": port, "--pid": pid, "--interval": interval, "--iterations": iterations}
        if watch:
            probe_opts = {"--backlog": backlogs, "--somaxconn": somaxconns, "--connects": connects,
                          "--syn-queue": syn_queue or None, "--syncookies": syncookies,
                          "--max-syn-backlog": max_syn_backlog, "--abort-on-overflow": abort_on_overflow or None,
                          "--timeline": timeline or None, "--accept-delay": accept_delay,
                          "--timeline-clients": timeline_clients}
            given = [name for name, value in probe_opts.items() if value is not None]
            if given:
                raise UsageError(f"{given[0]} does not apply to --watch", "--watch takes --port, --pid, --interval, --iterations")
            return _watch(port, pid, interval, iterations, fmt)
        given = [name for name, value in watch_opts.items() if value is not None]
        if given:
            raise UsageError(f"{given[0]} needs --watch", "see 'netlab backlog --help'")
        return _probe(backlogs, somaxconns, connects, syn_queue, syncookies, max_syn_backlog, abort_on_overflow,
                      timeline, accept_delay, timeline_clients, fmt)


# ---------------------------------------------------------------- probe mode


def _probe(backlogs, somaxconns, connects, syn_queue, syncookies, max_syn_backlog, abort_on_overflow,
           timeline, accept_delay, timeline_clients, fmt) -> int:
    if fmt not in PROBE_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", "table, json or csv")
    from netlab.lab import backlog as engine

    if (accept_delay is not None or timeline_clients is not None) and not timeline:
        raise UsageError("--accept-delay and --timeline-clients shape the timeline", "add --timeline")
    given = {
        "backlogs": _int_list(backlogs, "backlog"),
        "somaxconns": _int_list(somaxconns, "somaxconn"),
        "connects": connects,
        "syncookies": _int_list(syncookies, "syncookies"),
        "max_syn_backlogs": _int_list(max_syn_backlog, "max-syn-backlog"),
        "accept_delay": accept_delay,
        "timeline_clients": timeline_clients,
    }
    # Options left out take the engine's defaults (engine.Plan documents them).
    plan = engine.Plan(syn_queue=syn_queue, abort_on_overflow=abort_on_overflow, timeline=timeline,
                       **{key: value for key, value in given.items() if value is not None})
    report = engine.run(plan, progress=_progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    if fmt == "json":
        print(render.to_json(report.as_dict()))
    elif fmt == "csv":
        print(render.to_csv([_flat(p.as_dict()) for p in report.points]))
    else:
        print(_probe_text(report))
    return EXIT_INTERRUPTED if report.interrupted else 0


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rnetlab backlog: point {done}/{total}")
    sys.stderr.flush()


def _flat(point: dict) -> dict:
    out = {k: v for k, v in point.items() if k != "counters"}
    out.update(point["counters"])
    return out


def _c(name: str):
    """A table column showing one counter delta."""
    return lambda value: str(value.get(name, 0))


def _cols(*spec) -> list[render.Column]:
    return [render.Column(key, header, fmt, "right") for key, header, fmt in spec]


_MODE_TABLES = {
    "connect": (
        "connect: listen(backlog) and never accept(); {connects} non-blocking connects per point",
        _cols(("backlog", "backlog", None), ("somaxconn", "somaxconn", None),
              ("effective_backlog", "effective", None), ("connects", "connects", None),
              ("established", "estab", None), ("syn_sent", "syn-sent", None), ("accept_queue", "accept-q", None),
              ("syn_recv", "syn-recv", None), ("counters", "overflows", _c("ListenOverflows")),
              ("counters", "drops", _c("ListenDrops")), ("elapsed_ms", "ms", None)),
    ),
    "syn-queue": (
        "syn-queue: half-open SYNs first (their SYN-ACKs vanish), then {connects} real connects",
        _cols(("backlog", "backlog", None), ("syncookies", "cookies", None),
              ("max_syn_backlog", "max-syn", None), ("effective_backlog", "effective", None),
              ("half_open_syns", "half-open", None), ("syn_recv", "syn-recv", None),
              ("connects", "connects", None), ("established", "estab", None), ("syn_sent", "syn-sent", None),
              ("accept_queue", "accept-q", None), ("counters", "reqq-drop", _c("TCPReqQFullDrop")),
              ("counters", "do-cookies", _c("TCPReqQFullDoCookies")), ("counters", "cookies-sent", _c("SyncookiesSent")),
              ("counters", "drops", _c("ListenDrops")), ("elapsed_ms", "ms", None)),
    ),
    "abort-on-overflow": (
        "abort-on-overflow: late handshakes complete against a full accept queue, then plain connects",
        _cols(("backlog", "backlog", None), ("abort_on_overflow", "abort", None),
              ("effective_backlog", "effective", None), ("connects", "connects", None),
              ("late_acks", "late", None), ("established", "estab", None), ("syn_sent", "syn-sent", None),
              ("accept_queue", "accept-q", None), ("syn_recv", "syn-recv", None), ("resets", "reset", None),
              ("counters", "overflows", _c("ListenOverflows")), ("counters", "embryonic-rst", _c("EmbryonicRsts")),
              ("counters", "out-rst", _c("OutRsts")), ("elapsed_ms", "ms", None)),
    ),
}


def _ms(value) -> str:
    return "-" if value is None else f"{value:.0f}"


_TIMELINE_COLUMNS = [
    render.Column("client", "client", None, "right"),
    render.Column("local_port", "port", None, "right"),
    render.Column("established_ms", "estab-ms", _ms, "right"),
    render.Column("accepted_ms", "accepted-ms", _ms, "right"),
    render.Column("syn_retransmits", "syn-retrans", None, "right"),
    render.Column("retransmit_ms", "retransmitted-at-ms", lambda v: ", ".join(f"{x:.0f}" for x in v) or "-"),
]


def _probe_text(report) -> str:
    where = ("each point in its own private network namespace, on loopback"
             if report.isolation == "namespace" else "in the current network namespace, on loopback")
    lines = [f"netlab backlog: Linux {report.kernel}, {where}"]
    lines += [f"note: {note}" for note in report.notes]
    for mode, (title, columns) in _MODE_TABLES.items():
        points = [p for p in report.points if p.mode == mode]
        if points:
            lines += ["", title.format(connects=points[0].connects), render.table(points, columns)]
    if report.timeline:
        t = report.timeline
        lines += ["", f"timeline: listen({t.backlog}), {t.clients} clients, accept() from {t.accept_delay_ms:.0f} ms; "
                      f"ListenOverflows +{t.counters['ListenOverflows']}, run {t.duration_ms:.0f} ms",
                  render.table(t.events, _TIMELINE_COLUMNS)]
    lines += ["", f"verdicts (Linux {report.kernel}):"]
    for v in report.verdicts:
        lines.append(f"  {v.verdict:<14} {v.claim} [{v.source}]")
        lines += textwrap.wrap(f"measured: {v.measured}", width=100, initial_indent=" " * 17, subsequent_indent=" " * 27)
    lines.append(f"\n{len(report.points)} points in {report.elapsed_ms / 1000:.2f} s")
    return "\n".join(lines)


# ---------------------------------------------------------------- watch mode


_WATCH_COLUMNS = [
    render.Column("local", "local", None),
    render.Column("accept_queue", "accept-q", None, "right"),
    render.Column("backlog", "backlog", None, "right"),
    render.Column("fill_pct", "fill", lambda v: f"{v:.0f}%", "right"),
    render.Column("peak_accept_queue", "peak", None, "right"),
    render.Column("full", "full", lambda v: "FULL" if v else "-", "right"),
    render.Column("process", "process", None),
]


def _watch(port, pid, interval, iterations, fmt) -> int:
    if fmt not in WATCH_FORMATS:
        raise UsageError(f"unknown format {fmt!r} for --watch", "table, json or jsonl")
    from netlab.core.addr import parse_port
    from netlab.lab.backlog.watch import process_gone, watch

    if port is not None:
        port = parse_port(port)
    if pid is not None and pid <= 0:
        raise UsageError(f"invalid pid {pid}", "a process ID, see pgrep")
    interval = 1.0 if interval is None else interval
    if not 0.05 <= interval <= 3600:
        raise UsageError(f"interval {interval:g} s is out of range", "0.05-3600 s")
    if iterations is not None and iterations < 1:
        raise UsageError(f"iterations {iterations} is out of range", "at least 1")
    samples = []
    clear = fmt == "table" and sys.stdout.isatty()
    started = time.monotonic()
    try:
        for sample in watch(port=port, pid=pid, interval=interval, iterations=iterations):
            samples.append(sample)
            if fmt == "jsonl":
                print(render.to_jsonl_line(sample.as_dict()), flush=True)
            elif fmt == "table":
                text = _watch_text(sample)
                print(("\x1b[H\x1b[2J" + text) if clear else (text + "\n"), flush=True)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a watch ends: the summary follows, exit 0
    if fmt == "json":
        print(render.to_json([s.as_dict() for s in samples]))
    elif fmt == "table" and samples:
        print(_watch_summary(samples, time.monotonic() - started))
    if pid is not None and process_gone(pid):
        raise NegativeResult(f"process {pid} exited during the watch", f"{len(samples)} samples shown")
    if samples and not any(s.listeners for s in samples):
        what = f"port {port}" if port is not None else (f"process {pid}" if pid is not None else "this namespace")
        raise NegativeResult(f"no LISTEN socket for {what}", "is the server running?")
    return 0


def _rate(count, per_s) -> str:
    return "-" if count is None else f"+{count} ({per_s:.1f}/s)"


def _watch_text(sample) -> str:
    head = (f"{time.strftime('%H:%M:%S', time.localtime(sample.time))}  sample {sample.sample}  "
            f"ListenOverflows {_rate(sample.listen_overflows, sample.overflows_per_s)}  "
            f"ListenDrops {_rate(sample.listen_drops, sample.drops_per_s)}  (whole namespace)")
    rows = []
    for row in sample.listeners:
        d = row.as_dict()
        addr = f"[{row.local_addr}]" if ":" in row.local_addr else row.local_addr
        d["local"] = f"{addr}:{row.local_port}"
        d["process"] = f"{row.process}[{row.pid}]" if row.pid else "-"
        rows.append(d)
    return head + "\n" + render.table(rows, _WATCH_COLUMNS)


def _watch_summary(samples, seconds: float) -> str:
    overflows = sum(s.listen_overflows or 0 for s in samples)
    drops = sum(s.listen_drops or 0 for s in samples)
    full = {f"{r.local_addr}:{r.local_port}" for s in samples for r in s.listeners if r.full}
    text = (f"--- {len(samples)} samples in {seconds:.1f} s: ListenOverflows +{overflows}, ListenDrops +{drops}")
    if full:
        text += f"; accept queue full at {', '.join(sorted(full))}"
    return text
