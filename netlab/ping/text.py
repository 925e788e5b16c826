"""iputils ping's text, line by line: header, replies, errors, statistics, status.

Pure functions from records to strings; the CLI decides where they go. Every
format string here mirrors one in iputils 20221126 (ping.c, ping_common.c,
ping6_common.c) so that a script that parses ping's output parses ours.
"""

from __future__ import annotations

import socket

from netlab.ping.options import PingOptions
from netlab.ping.records import NoAnswerYet, ProbeError, Reply, Summary, Target
from netlab.ping.resolve import reverse_name
from netlab.ping.stats import RttStats, loss_text, ms3


def header(target: Target, opts: PingOptions, source: str | None = None) -> str:
    """``PING host (addr) 56(84) bytes of data.`` (IPv4) or ``PING host(addr) 56 data bytes`` (IPv6)."""
    via = ""
    if opts.interface or opts.source or opts.strict_source:
        via = f" from {source or opts.source or ''} {opts.interface or ''}:"
    if target.family == socket.AF_INET6:
        return f"PING {target.host}({target.address}){via} {opts.size} data bytes"
    optlen = 40 if opts.ip_options else 0  # -R, -T: iputils counts the whole option space
    return f"PING {target.host} ({target.address}){via} {opts.size}({opts.size + 28 + optlen}) bytes of data."


def pattern_line(pattern: bytes) -> str:
    return "PATTERN: 0x" + pattern.hex()


def who(address: str, target: Target, numeric: bool) -> str:
    """pr_addr(): the address alone with -n or a numeric target, else ``name (addr)``."""
    if numeric or target.numeric:
        return address
    return f"{reverse_name(address)} ({address})"


def timestamp(seconds: float) -> str:
    return f"[{seconds:.6f}] "


def rtt_text(us: int) -> str:
    """The reply's time= as iputils rounds it: 3, 2, 1 or 0 decimals as the RTT grows."""
    if us >= 100000 - 50:
        return f"{(us + 500) // 1000}"
    if us >= 10000 - 5:
        return f"{(us + 50) // 1000}.{((us + 50) % 1000) // 100}"
    if us >= 1000:
        return f"{(us + 5) // 1000}.{((us + 5) % 1000) // 10:02d}"
    return f"{us // 1000}.{us % 1000:03d}"


def timing(opts: PingOptions) -> bool:
    """ping measures time only when the data can hold its struct timeval (16 bytes)."""
    return opts.size >= 16


def reply_line(r: Reply, opts: PingOptions, numeric: bool, stamps: bool, ident: int | None = None,
               multicast: bool = False) -> str:
    """ident: -v shows the identifier; multicast: a broadcast's many answers are no DUP! (unless -v)."""
    line = f"{r.bytes} bytes from {who(r.source, r.target, numeric)}: icmp_seq={r.seq}"
    if opts.verbose and ident is not None:
        line += f" ident={ident}"
    if r.ttl >= 0:
        line += f" ttl={r.ttl}"
    if timing(opts):
        line += f" time={rtt_text(r.rtt_us)} ms"
    if r.dup and (not multicast or opts.verbose):
        line += " (DUP!)"
    if opts.audible:
        line += "\a"
    return (timestamp(r.time) if stamps else "") + line


def error_line(e: ProbeError, numeric: bool, stamps: bool) -> str:
    prefix = timestamp(e.time) if stamps else ""
    return f"{prefix}From {who(e.source, e.target, numeric)} icmp_seq={e.seq} {e.message}"


def no_answer_line(n: NoAnswerYet, stamps: bool) -> str:
    return (timestamp(n.time) if stamps else "") + f"no answer yet for icmp_seq={n.seq}"


def statistics(s: Summary, opts: PingOptions) -> list[str]:
    """The closing block: blank line, title, counts line, rtt line (empty when there is none)."""
    counts = f"{s.transmitted} packets transmitted, {s.received} received"
    if s.duplicates:
        counts += f", +{s.duplicates} duplicates"
    if s.errors:
        counts += f", +{s.errors} errors"
    if s.transmitted:
        counts += f", {loss_text(s.loss_pct)} packet loss, time {s.elapsed_ms}ms"
    rtt = ""
    comma = ""
    if s.received and timing(opts):
        rtt = (f"rtt min/avg/max/mdev = {ms3(s.rtt_min_us)}/{ms3(s.rtt_avg_us)}/"
               f"{ms3(s.rtt_max_us)}/{ms3(s.rtt_mdev_us)} ms")
        comma = ", "
    if s.pipe > 1:
        rtt += f"{comma}pipe {s.pipe}"
        comma = ", "
    if s.received and (opts.effective_interval == 0 or opts.adaptive) and s.transmitted > 1:
        ipg = s.elapsed_us // (s.transmitted - 1)
        rtt += f"{comma}ipg/ewma {ms3(ipg)}/{ms3(s.ewma_us8 // 8)} ms"
    return ["", f"--- {s.target.host} ping statistics ---", counts, rtt]


def status_line(st: RttStats) -> str:
    """SIGQUIT's interim line (iputils writes it to stderr)."""
    loss = (st.transmitted - st.received) * 100 // st.transmitted if st.transmitted else 0
    line = f"{st.received}/{st.transmitted} packets, {loss}% loss"
    if st.received:
        line += (f", min/avg/ewma/max = {ms3(st.min_us())}/{ms3(st.avg_us())}/"
                 f"{ms3(st.ewma8 // 8)}/{ms3(st.tmax)} ms")
    return line


# fping's per-host lines (its -c summary and -Q splits): "host : xmt/rcv/%loss = ..."

def fping_ms(us: int) -> str:
    """fping's sprint_tm(): 3, 2, 1 or 0 decimals as the milliseconds grow."""
    t = us / 1000
    if t < 1.0:
        return f"{t:.3f}"
    if t < 10.0:
        return f"{t:.2f}"
    if t < 100.0:
        return f"{t:.1f}"
    if t < 1000000.0:
        return f"{t:.0f}"
    return f"{t:.3e}"


def fping_line(host: str, width: int, sent: int, received: int, rtt_min_us: int, rtt_avg_us: int,
               rtt_max_us: int) -> str:
    line = f"{host:<{width}} :"
    if received <= sent:
        loss = (sent - received) * 100 // sent if sent else 0
        line += f" xmt/rcv/%loss = {sent}/{received}/{loss}%"
    else:
        line += f" xmt/rcv/%return = {sent}/{received}/{received * 100 // sent}%"
    if received:
        line += f", min/avg/max = {fping_ms(rtt_min_us)}/{fping_ms(rtt_avg_us)}/{fping_ms(rtt_max_us)}"
    return line


def fping_clock(seconds: float) -> str:
    """-Q's time line: [HH:MM:SS], local time."""
    import time as _time

    return _time.strftime("[%H:%M:%S]", _time.localtime(seconds))


# --tcp: ping's shapes, with "tcp_seq" and the port, so the same eyes read both.

def tcp_header(target: Target, port: int) -> str:
    return f"TCP PING {target.host} ({target.address}) port {port}: connect() probes."


def syn_header(target: Target, port: int) -> str:
    return f"TCP PING {target.host} ({target.address}) port {port}: SYN probes (half-open)."


def syn_reply_line(r: Reply, port: int, numeric: bool, stamps: bool) -> str:
    ttl = f" ttl={r.ttl}" if r.ttl >= 0 else ""
    line = f"SYN-ACK from {who(r.source, r.target, numeric)} port {port}: tcp_seq={r.seq}{ttl} time={rtt_text(r.rtt_us)} ms"
    return (timestamp(r.time) if stamps else "") + line


def tcp_reply_line(r: Reply, port: int, numeric: bool, stamps: bool) -> str:
    line = f"connected to {who(r.source, r.target, numeric)} port {port}: tcp_seq={r.seq} time={rtt_text(r.rtt_us)} ms"
    return (timestamp(r.time) if stamps else "") + line


def tcp_error_line(e: ProbeError, numeric: bool, stamps: bool) -> str:
    return (timestamp(e.time) if stamps else "") + f"From {who(e.source, e.target, numeric)} tcp_seq={e.seq} {e.message}"


def tcp_no_answer_line(n: NoAnswerYet, stamps: bool) -> str:
    return (timestamp(n.time) if stamps else "") + f"no answer yet for tcp_seq={n.seq}"


def tcp_timeout_line(t, port: int, wait: float, stamps: bool) -> str:
    return (timestamp(t.time) if stamps else "") + f"no answer from {t.target.address} port {port}: tcp_seq={t.seq} (timed out after {wait:g}s)"
