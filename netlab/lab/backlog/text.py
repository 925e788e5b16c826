"""What `netlab backlog` shows: the probe report as text or csv rows, the watch samples as text.

The engine (netlab.lab.backlog) returns records and never prints; the CLI
(netlab.cli.backlog) picks the format and writes these strings.
"""

from __future__ import annotations

import textwrap
import time

from netlab import output


# ---------------------------------------------------------------- probe mode


def flat(point: dict) -> dict:
    """A point as one csv row: each counter delta a column of its own."""
    out = {k: v for k, v in point.items() if k != "counters"}
    out.update(point["counters"])
    return out


def probe_csv_keys() -> list[str]:
    """The probe csv's columns, the same for every run: a point's fields, then its counters
    (every point measures all of COUNTERS, whatever its mode)."""
    from dataclasses import fields

    from netlab.lab.backlog.probes import COUNTERS, ProbePoint
    from netlab.lab.counters import snake

    return [f.name for f in fields(ProbePoint) if f.name != "counters"] + [snake(name) for _, name in COUNTERS]


def probe_csv(report) -> str:
    return output.to_csv([flat(p.as_dict()) for p in report.points], probe_csv_keys())


def _c(name: str):
    """A table column showing one counter delta."""
    return lambda value: str(value.get(name, 0))


def _cols(*spec) -> list[output.Column]:
    return [output.Column(key, header, fmt, "right") for key, header, fmt in spec]


_MODE_TABLES = {
    "connect": (
        "connect: listen(backlog) and never accept(); {connects} non-blocking connects per point",
        _cols(("backlog", "backlog", None), ("somaxconn", "somaxconn", None),
              ("effective_backlog", "effective", None), ("connects", "connects", None),
              ("established", "estab", None), ("syn_sent", "syn-sent", None), ("accept_queue", "accept-q", None),
              ("syn_recv", "syn-recv", None), ("counters", "overflows", _c("listen_overflows")),
              ("counters", "drops", _c("listen_drops")), ("elapsed_ms", "ms", None)),
    ),
    "syn_queue": (
        "syn-queue: half-open SYNs first (their SYN-ACKs vanish), then {connects} real connects",
        _cols(("backlog", "backlog", None), ("syncookies", "cookies", None),
              ("max_syn_backlog", "max-syn", None), ("effective_backlog", "effective", None),
              ("half_open_syns", "half-open", None), ("syn_recv", "syn-recv", None),
              ("connects", "connects", None), ("established", "estab", None), ("syn_sent", "syn-sent", None),
              ("accept_queue", "accept-q", None), ("counters", "reqq-drop", _c("tcp_req_q_full_drop")),
              ("counters", "do-cookies", _c("tcp_req_q_full_do_cookies")), ("counters", "cookies-sent", _c("syncookies_sent")),
              ("counters", "drops", _c("listen_drops")), ("elapsed_ms", "ms", None)),
    ),
    "abort_on_overflow": (
        "abort-on-overflow: late handshakes complete against a full accept queue, then plain connects",
        _cols(("backlog", "backlog", None), ("abort_on_overflow", "abort", None),
              ("effective_backlog", "effective", None), ("connects", "connects", None),
              ("late_acks", "late", None), ("established", "estab", None), ("syn_sent", "syn-sent", None),
              ("accept_queue", "accept-q", None), ("syn_recv", "syn-recv", None), ("resets", "reset", None),
              ("counters", "overflows", _c("listen_overflows")), ("counters", "embryonic-rst", _c("embryonic_rsts")),
              ("counters", "out-rst", _c("out_rsts")), ("elapsed_ms", "ms", None)),
    ),
}


def _ms(value) -> str:
    return "-" if value is None else f"{value:.0f}"


_TIMELINE_COLUMNS = [
    output.Column("client", "client", None, "right"),
    output.Column("local_port", "port", None, "right"),
    output.Column("established_ms", "estab-ms", _ms, "right"),
    output.Column("accepted_ms", "accepted-ms", _ms, "right"),
    output.Column("syn_retransmits", "syn-retrans", None, "right"),
    output.Column("retransmit_ms", "retransmitted-at-ms", lambda v: ", ".join(f"{x:.0f}" for x in v) or "-"),
]


def probe_text(report) -> str:
    where = ("each point in its own private network namespace, on loopback"
             if report.isolation == "namespace" else "in the current network namespace, on loopback")
    lines = [f"netlab backlog: Linux {report.kernel}, {where}"]
    lines += [f"note: {note}" for note in report.notes]
    for mode, (title, columns) in _MODE_TABLES.items():
        points = [p for p in report.points if p.mode == mode]
        if points:
            lines += ["", title.format(connects=points[0].connects), output.table(points, columns)]
    if report.timeline:
        t = report.timeline
        lines += ["", f"timeline: listen({t.backlog}), {t.clients} clients, accept() from {t.accept_delay_ms:.0f} ms; "
                      f"ListenOverflows +{t.counters['listen_overflows']}, run {t.duration_ms:.0f} ms",
                  output.table(t.events, _TIMELINE_COLUMNS)]
    lines += ["", f"verdicts (Linux {report.kernel}):"]
    for v in report.verdicts:
        lines.append(f"  {v.verdict.replace('_', ' '):<14} {v.claim} [{v.source}]")
        lines += textwrap.wrap(f"measured: {v.measured}", width=100, initial_indent=" " * 17, subsequent_indent=" " * 27)
    lines.append(f"\n{len(report.points)} points in {report.elapsed_ms / 1000:.2f} s")
    return "\n".join(lines)


# ---------------------------------------------------------------- watch mode


_WATCH_COLUMNS = [
    output.Column("local", "local", None),
    output.Column("accept_queue", "accept-q", None, "right"),
    output.Column("backlog", "backlog", None, "right"),
    output.Column("fill_pct", "fill", lambda v: f"{v:.0f}%", "right"),
    output.Column("peak_accept_queue", "peak", None, "right"),
    output.Column("full", "full", lambda v: "FULL" if v else "-", "right"),
    output.Column("process", "process", None),
]


def _rate(count, per_s) -> str:
    return "-" if count is None else f"+{count} ({per_s:.1f}/s)"


def watch_text(sample) -> str:
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
    return head + "\n" + output.table(rows, _WATCH_COLUMNS)


def watch_csv_keys() -> list[str]:
    """The watch csv's columns: a sample's fields, then a listener's (one row per listener)."""
    from dataclasses import fields

    from netlab.lab.backlog.watch import ListenerRow, WatchSample

    return [f.name for f in fields(WatchSample) if f.name != "listeners"] + [f.name for f in fields(ListenerRow)]


def watch_csv_rows(sample) -> list[dict]:
    """A sample as csv rows: one per listener, or one with empty listener cells when there is none."""
    head = sample.as_dict()
    del head["listeners"]
    return [{**head, **row.as_dict()} for row in sample.listeners] or [head]


def watch_csv(sample, header: bool) -> str:
    """One sample's csv rows, under the header line when ``header`` (the first sample)."""
    rows = watch_csv_rows(sample)
    return output.to_csv(rows, watch_csv_keys()) if header else output.to_csv_rows(rows, watch_csv_keys())


def watch_summary(samples, seconds: float) -> str:
    overflows = sum(s.listen_overflows or 0 for s in samples)
    drops = sum(s.listen_drops or 0 for s in samples)
    full = {f"{r.local_addr}:{r.local_port}" for s in samples for r in s.listeners if r.full}
    text = (f"--- {len(samples)} samples in {seconds:.1f} s: ListenOverflows +{overflows}, ListenDrops +{drops}")
    if full:
        text += f"; accept queue full at {', '.join(sorted(full))}"
    return text
