"""How `netlab ping` shows a session's events: iputils text, fping's summary table, json, jsonl, csv.

A printer is made for a session (``printer(fmt, session, ...)``); the CLI then
calls ``start(targets)``, ``event(e)`` for each event and ``finish(summaries)``.
The line texts themselves are in netlab.ping.text.
"""

from __future__ import annotations

import socket
import sys

from netlab import output
from netlab.ping import text
from netlab.ping.records import NoAnswerYet, ProbeError, Reply, Progress, IntervalReport, StatusRequest, Summary, Timeout


class Splits:
    """fping's -Q: each host's counts since the last report, printed to stderr and reset."""

    def __init__(self, session):
        self.session = session
        self.width = max(len(t.host) for t in session.targets)
        self._sent = [0] * len(session.targets)
        self._rtts: dict[int, list[int]] = {}  # id(target) -> this interval's RTTs (replies, not duplicates)

    def reply(self, r: Reply) -> None:
        if not r.dup:
            self._rtts.setdefault(id(r.target), []).append(r.rtt_us)

    def report(self, when: float) -> None:
        lines = [text.fping_clock(when)]
        for i, st in enumerate(self.session.live_stats()):
            rtts = self._rtts.pop(id(st.target), [])
            sent, self._sent[i] = st.transmitted - self._sent[i], st.transmitted
            lines.append(text.fping_line(st.target.host, self.width, sent, len(rtts), min(rtts, default=0),
                                         sum(rtts) // len(rtts) if rtts else 0, max(rtts, default=0)))
        print("\n".join(lines), file=sys.stderr, flush=True)


class TextPrinter:
    """ping's own lines; with several hosts, fping's summary table at the end."""

    def __init__(self, session, quiet: bool, numeric: bool, stamps: bool, multi: bool, lists: tuple = (),
                 fping_summary: bool = False, graph: bool = False):
        opts = session.options
        self.graph = None
        if graph:
            from netlab.ping.graph import Graph

            self.graph = Graph(sys.stdout, sys.stdout.isatty())
        self.lists = lists  # ("alive", "unreachable"): fping's -a / -u, the hosts alone
        self.fping_summary = fping_summary
        self.splits = Splits(session) if opts.report_interval else None
        quiet = quiet or bool(lists)
        self.session, self.opts = session, opts
        self.quiet, self.numeric, self.stamps, self.multi = quiet, numeric, stamps, multi
        self.flood = opts.flood
        self.out = sys.stdout
        self._dots = (0, 0)
        self.port = opts.tcp_port
        self.event = self._flood_event if self.flood else self._tcp_event if self.port else self._event
        sockets = getattr(session, "sockets", None)
        # -v shows the identifier we chose (iputils: on a raw socket, or with -e), not the kernel's port
        self.ident = sockets[0].ident if sockets and (sockets[0].raw or opts.ident is not None) else None
        self.multicast = getattr(session, "multicast", False)
        self.ip_options = None
        if opts.ip_options:
            from netlab.ping.ipopts import OptionPrinter

            self.ip_options = OptionPrinter(lambda a: text.who(a, session.targets[0], numeric), self.flood)

    def start(self, targets) -> None:
        from netlab.ping.route import route_source

        if self.lists or self.fping_summary:
            return  # fping prints no header: -a / -u print the hosts, nothing else
        lines = []
        if self.opts.verbose and not self.port:
            for t in targets:  # iputils -v: what the resolver gave
                family = "AF_INET6" if t.family == socket.AF_INET6 else "AF_INET"
                lines.append(f"ai->ai_family: {family}, ai->ai_canonname: '{t.host}'")
        if self.opts.pattern:
            lines.append(text.pattern_line(self.opts.pattern))
        for t in targets:
            source = self.opts.source or getattr(self.session, "bound_source", None)
            if self.opts.interface and not source:
                source = route_source(t, self.opts.interface)
            if self.port:
                lines.append(text.syn_header(t, self.port) if self.opts.tcp_syn else text.tcp_header(t, self.port))
            else:
                lines.append(text.header(t, self.opts, source))
        self._write(lines)

    def _write(self, lines) -> None:
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()

    def _event(self, e) -> None:
        kind = type(e)
        if self.splits is not None:
            if kind is Reply:
                self.splits.reply(e)
            elif kind is IntervalReport:
                self.splits.report(e.time)
        if kind is StatusRequest:
            self.status()
        elif self.quiet or kind is Timeout or kind is Progress or kind is IntervalReport:
            return
        elif self.graph is not None and kind in (Reply, ProbeError):
            self.graph.add(e.rtt_us if kind is Reply else None)  # the chart instead of the lines
        elif kind is Reply:
            line = text.reply_line(e, self.opts, self.numeric, self.stamps, self.ident, self.multicast)
            if self.ip_options is not None:
                line += self.ip_options.text(e.ip_options)
            self._write([line])
        elif kind is ProbeError:
            if e.source == "local":  # like ping: "ping: local error: ..." on stderr
                print(f"netlab: {e.message}", file=sys.stderr, flush=True)
            else:
                self._write([text.error_line(e, self.numeric, self.stamps)])
        elif kind is NoAnswerYet:
            self._write([text.no_answer_line(e, self.stamps)])

    def _tcp_event(self, e) -> None:
        kind = type(e)
        if kind is StatusRequest:
            self.status()
        elif self.quiet:
            return
        elif self.graph is not None and kind in (Reply, ProbeError, Timeout):
            self.graph.add(e.rtt_us if kind is Reply else None)
        elif kind is Reply:
            line = text.syn_reply_line if self.opts.tcp_syn else text.tcp_reply_line
            self._write([line(e, self.port, self.numeric, self.stamps)])
        elif kind is ProbeError:
            self._write([text.tcp_error_line(e, self.numeric, self.stamps)])
        elif kind is NoAnswerYet:
            self._write([text.tcp_no_answer_line(e, self.stamps)])
        elif kind is Timeout:
            from netlab.ping.tcp import DEFAULT_TCP_WAIT  # the --syn wait is the same

            wait = self.opts.timeout if self.opts.timeout is not None else DEFAULT_TCP_WAIT
            self._write([text.tcp_timeout_line(e, self.port, wait, self.stamps)])

    def _flood_event(self, e) -> None:
        """-f: iputils prints a dot per probe and erases one per reply; we draw the same
        picture from the Progress counts (ten times a second), not per packet."""
        kind = type(e)
        if kind is StatusRequest:
            self.status()
        elif self.quiet:
            return
        elif kind is Progress:
            sent, answered = e.transmitted - self._dots[0], e.received + e.errors - self._dots[1]
            self._dots = (e.transmitted, e.received + e.errors)
            self.out.write("." * sent + "\b \b" * answered)
            self.out.flush()
        elif kind is ProbeError:
            self.out.write("E")

    def status(self) -> None:
        _status(self.session)

    def finish(self, summaries: list[Summary]) -> None:
        if self.graph is not None and not self.quiet:
            self.graph.finish()
        if self.lists:
            hosts = [s.target.host for s in summaries
                     if ("alive" in self.lists and s.received) or ("unreachable" in self.lists and not s.received)]
            if hosts:
                self._write(hosts)
            return
        if self.fping_summary:
            width = max(len(s.target.host) for s in summaries)
            self._write([text.fping_line(s.target.host, width, s.transmitted, s.received, s.rtt_min_us or 0,
                                         s.rtt_avg_us or 0, s.rtt_max_us or 0) for s in summaries])
            return
        if not self.multi:
            self._write(text.statistics(summaries[0], self.opts))
            return
        self._write(["", summary_table(summaries)])


def _ms(value):
    return "-" if value is None else text.ms3(value)


SUMMARY_COLUMNS = [
    output.Column("host", "host"),
    output.Column("address", "address"),
    output.Column("transmitted", "sent", align="right"),
    output.Column("received", "received", align="right"),
    output.Column("loss", "loss", align="right"),
    output.Column("min", "min_ms", align="right"),
    output.Column("avg", "avg_ms", align="right"),
    output.Column("max", "max_ms", align="right"),
]


def summary_table(summaries: list[Summary]) -> str:
    rows = []
    for s in summaries:
        row = {"host": s.target.host, "address": s.target.address, "transmitted": s.transmitted,
               "received": s.received, "loss": text.loss_text(s.loss_pct),
               "min": _ms(s.rtt_min_us), "avg": _ms(s.rtt_avg_us), "max": _ms(s.rtt_max_us)}
        if s.duplicates:
            row["received"] = f"{s.received}+{s.duplicates}dup"
        rows.append(row)
    return output.table(rows, SUMMARY_COLUMNS)


def _status(session) -> None:
    """SIGQUIT: the interim line per target, on stderr (as iputils), whatever the format."""
    for st in session.live_stats():
        print(text.status_line(st), file=sys.stderr, flush=True)


class JsonPrinter:
    """--format json: one object per host at the end (with every reply)."""

    def __init__(self, session):
        self.session = session

    def start(self, targets) -> None:
        pass

    def event(self, e) -> None:
        if type(e) is StatusRequest:
            _status(self.session)

    def finish(self, summaries) -> None:
        print(output.to_json([s.as_dict() for s in summaries]))


class JsonlPrinter(JsonPrinter):
    """--format jsonl: a line per reply, error or timeout as it happens, then a summary per host."""

    def event(self, e) -> None:
        kind = type(e)
        if kind is Reply or kind is ProbeError or kind is Timeout:
            sys.stdout.write(output.to_jsonl_line(e.stream_dict()) + "\n")
            sys.stdout.flush()
        elif kind is StatusRequest:
            super().event(e)

    def finish(self, summaries) -> None:
        for s in summaries:
            print(output.to_jsonl_line(s.stream_dict()))


class CsvPrinter(JsonPrinter):
    """--format csv: one row per host at the end, the statistics (no replies), fixed columns."""

    def finish(self, summaries) -> None:
        print(output.to_csv([s.as_dict() for s in summaries], CSV_COLUMNS))


# The json summary's keys less its replies; a run without replies leaves the rtt cells empty.
CSV_COLUMNS = ("host", "address", "transmitted", "received", "duplicates", "errors", "loss_pct",
               "rtt_min_ms", "rtt_avg_ms", "rtt_max_ms", "rtt_mdev_ms")

FORMATS = ("table", "json", "jsonl", "csv")


def printer(fmt: str, session, quiet: bool = False, numeric: bool = False, stamps: bool = False,
            lists: tuple = (), fping_summary: bool = False, graph: bool = False):
    """The printer for --format fmt (one of FORMATS); with several targets, text ends in a table."""
    if fmt == "json":
        return JsonPrinter(session)
    if fmt == "jsonl":
        return JsonlPrinter(session)
    if fmt == "csv":
        return CsvPrinter(session)
    return TextPrinter(session, quiet, numeric, stamps, multi=len(session.targets) > 1, lists=lists,
                       fping_summary=fping_summary, graph=graph)
