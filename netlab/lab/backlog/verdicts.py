"""The claims of the study notes, judged against what the probes just measured.

Each judge takes the measured points (and for the "usually 5" claim, the
backlogs of the listeners on this machine) and returns a Verdict: what was
claimed, what was measured, and whether the claim holds on this kernel. Nothing
here knows the answer in advance: with other measurements the verdicts change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from netlab.lab.backlog.probes import ProbePoint
from netlab.records import fields_dict

HOLDS = "holds"
PARTLY = "partly_holds"
FAILS = "does_not_hold"
UNMEASURED = "not_measured"


@dataclass(slots=True)
class Verdict:
    claim_id: str
    source: str  # which seed note makes the claim
    claim: str
    measured: str
    verdict: str  # holds, partly_holds, does_not_hold, not_measured (the table shows them as words)
    kernel: str

    def as_dict(self) -> dict:
        return fields_dict(self)


def judge_all(points: Sequence[ProbePoint], listener_backlogs: Sequence[int], kernel: str) -> list[Verdict]:
    judges = (somaxconn_cap, queues_sum, syn_queue_size, ack_moves, usually_five)
    out = []
    for judge in judges:
        claim_id, source, claim, measured, verdict = judge(points, listener_backlogs)
        out.append(Verdict(claim_id, source, claim, measured, verdict, kernel))
    return out


def _overflowed(p: ProbePoint) -> bool:
    """Some client could not get in: the queues were filled, so what they held is their capacity."""
    return p.syn_sent > 0


def somaxconn_cap(points, _listeners):
    claim = "listen()'s backlog cannot exceed net.core.somaxconn"
    base = ("somaxconn_cap", "seed 002", claim)
    asked_over = [p for p in points if p.backlog > p.somaxconn]
    above = [p for p in points if p.effective_backlog > p.somaxconn]
    if above:
        p = above[0]
        return (*base, f"listen({p.backlog}) with somaxconn {p.somaxconn}: backlog {p.effective_backlog}", FAILS)
    if not asked_over:
        return (*base, "no point asked for more than somaxconn", UNMEASURED)
    p = max(asked_over, key=lambda q: q.backlog - q.somaxconn)
    is_min = sum(q.effective_backlog == min(q.backlog, q.somaxconn) for q in points)
    return (*base, f"listen({p.backlog}) with somaxconn {p.somaxconn}: backlog {p.effective_backlog}, "
                   f"capped silently (listen() succeeds); effective = min(backlog, somaxconn) at "
                   f"{is_min} of {len(points)} points", HOLDS)


def queues_sum(points, _listeners):
    claim = "the SYN queue and the accept queue together hold at most backlog connections"
    base = ("queues_sum", "seeds 002, 004", claim)
    filled = [p for p in points if _overflowed(p) or p.half_open_syns > p.syn_recv]
    if not filled:
        return (*base, "no point filled its queues (use more --connects)", UNMEASURED)
    over = [p for p in filled if p.accept_queue + p.syn_recv > p.effective_backlog]
    if not over:
        return (*base, f"at {len(filled)} filled points the queues held at most the backlog", HOLDS)
    accept_only = [p for p in filled if p.mode == "connect" and p.accept_queue > p.effective_backlog]
    parts = []
    if accept_only:
        p = max(accept_only, key=lambda q: q.effective_backlog)
        plus = Counter(q.accept_queue - q.effective_backlog for q in accept_only).most_common(1)[0][0]
        parts.append(f"the accept queue alone held backlog{plus:+d} at {len(accept_only)} points "
                     f"(listen({p.backlog}): {p.accept_queue} queued)")
    both = [p for p in over if p.syn_recv and p.accept_queue]
    if both:
        p = max(both, key=lambda q: q.accept_queue + q.syn_recv - q.effective_backlog)
        parts.append(f"{p.syn_recv} half-open + {p.accept_queue} queued = {p.syn_recv + p.accept_queue} "
                     f"with backlog {p.effective_backlog} (syncookies {p.syncookies})")
    if not parts:
        p = over[0]
        parts.append(f"{p.syn_recv} half-open + {p.accept_queue} queued with backlog {p.effective_backlog}")
    return (*base, "; ".join(parts), FAILS)


def syn_queue_size(points, _listeners):
    claim = "the SYN queue's size is set by net.ipv4.tcp_max_syn_backlog"
    base = ("syn_queue_size", "seed 004", claim)
    full = [p for p in points if p.mode == "syn_queue" and p.half_open_syns > p.syn_recv]
    if not full:
        return (*base, "the SYN queue was not filled (run with --syn-queue)", UNMEASURED)
    equal_msb = [p for p in full if p.syn_recv == p.max_syn_backlog]
    if len(equal_msb) == len(full):
        return (*base, f"the SYN queue held tcp_max_syn_backlog at all {len(full)} points", HOLDS)
    by_backlog = [p for p in full if p.syn_recv == p.effective_backlog + 1]
    cut = [p for p in full if p.syn_recv < p.effective_backlog + 1]
    # Does tcp_max_syn_backlog change the capacity at all, other things equal?
    groups: dict[tuple, set[tuple[int, int]]] = {}
    for p in full:
        groups.setdefault((p.effective_backlog, p.syncookies), set()).add((p.max_syn_backlog, p.syn_recv))
    matters = any(len({cap for _msb, cap in g}) > 1 and len({msb for msb, _cap in g}) > 1 for g in groups.values())
    parts = []
    if by_backlog:
        p = max(by_backlog, key=lambda q: q.syn_recv - q.max_syn_backlog)
        parts.append(f"it held backlog+1 at {len(by_backlog)} of {len(full)} points "
                     f"(listen({p.backlog}), tcp_max_syn_backlog {p.max_syn_backlog}, syncookies {p.syncookies}: "
                     f"{p.syn_recv})")
    if cut:
        p = cut[0]
        parts.append(f"tcp_max_syn_backlog {p.max_syn_backlog} cut it to {p.syn_recv} "
                     f"(backlog {p.effective_backlog}, syncookies {p.syncookies})")
    cookies_on = [p for p in full if p.syncookies and p.syn_recv == p.effective_backlog + 1]
    if matters and cookies_on:
        parts.append("with syncookies on it had no effect")
    return (*base, "; ".join(parts), PARTLY if matters else FAILS)


def ack_moves(points, _listeners):
    claim = "when the final ACK arrives the connection moves from the SYN queue to the accept queue"
    base = ("ack_moves", "seed 004", claim)
    late = [p for p in points if p.mode == "abort_on_overflow" and p.late_acks > 0]
    if not late:
        return (*base, "no handshake completed against a full accept queue (run with --abort-on-overflow)", UNMEASURED)
    stuck = [p for p in late if not p.abort_on_overflow and p.syn_recv > 0]
    reset = [p for p in late if p.abort_on_overflow and p.resets > 0]
    if not stuck and not reset:
        return (*base, f"at {len(late)} points every late ACK moved its connection to the accept queue", HOLDS)
    parts = ["only when the accept queue has room"]
    if stuck:
        p = stuck[0]
        parts.append(f"with a full queue {p.syn_recv} of {p.late_acks} late ACKs were dropped and stayed SYN-RECV "
                     f"while their clients were ESTAB (tcp_abort_on_overflow 0)")
    if reset:
        p = reset[0]
        parts.append(f"{p.resets} of {p.late_acks} were answered with an RST, the client saw ECONNRESET "
                     f"(tcp_abort_on_overflow 1, OutRsts +{p.counters.get('out_rsts', 0)})")
    return (*base, "; ".join(parts), PARTLY)


def usually_five(_points, listeners):
    claim = "the backlog passed to listen() is usually 5"
    base = ("usually_5", "seed 002", claim)
    if not listeners:
        return (*base, "no LISTEN socket in this network namespace to look at", UNMEASURED)
    counts = Counter(listeners)
    top, top_n = counts.most_common(1)[0]
    measured = (f"{counts.get(5, 0)} of {len(listeners)} LISTEN sockets here use 5; "
                f"most common: {top} ({top_n})")
    return (*base, measured, HOLDS if counts.get(5, 0) == top_n else FAILS)
