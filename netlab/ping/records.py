"""The plain records the ping engine returns: events while it runs, a summary per target.

Slotted dataclasses with ``as_dict()``; their keys are the JSON contract
(documented in man/netlab-ping.1 and pinned by tests).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from netlab.ping.stats import NO_MIN, RttStats


def _ms(us: int | None) -> float | None:
    return None if us is None else round(us / 1000, 3)


@dataclass(slots=True)
class Target:
    """A host as the user named it, and the address we ping."""

    host: str
    address: str
    family: int
    numeric: bool  # named by address (or -n): print addresses, never names

    def as_dict(self) -> dict:
        return {"host": self.host, "address": self.address}


@dataclass(slots=True)
class Reply:
    """An echo reply (or a duplicate of one), with the kernel-timestamped RTT."""

    target: Target
    seq: int
    ttl: int  # -1 when unknown (TCP)
    rtt_us: int
    bytes: int
    dup: bool
    source: str
    time: float  # arrival, seconds since the epoch (kernel timestamp)
    ip_options: bytes = b""  # the reply's IPv4 options (-R, -T), raw

    def as_dict(self) -> dict:
        ttl = self.ttl if self.ttl >= 0 else None  # -1: no TTL known (a TCP ping): null, not a number
        return {"seq": self.seq, "ttl": ttl, "rtt_ms": _ms(self.rtt_us), "bytes": self.bytes, "dup": self.dup}

    def stream_dict(self) -> dict:
        return {"type": "reply", **self.target.as_dict(), **self.as_dict(), "time": round(self.time, 6)}


@dataclass(slots=True)
class ProbeError:
    """An ICMP error that quotes one of our probes (TTL exceeded, unreachable, ...), or a local send error."""

    target: Target
    seq: int
    source: str  # who sent the error (a router, the target, or ourselves)
    message: str  # iputils' words, e.g. "Time to live exceeded"
    icmp_type: int | None
    icmp_code: int | None
    time: float

    def as_dict(self) -> dict:
        return {"seq": self.seq, "from": self.source, "message": self.message, "icmp_type": self.icmp_type,
                "icmp_code": self.icmp_code}

    def stream_dict(self) -> dict:
        return {"type": "error", **self.target.as_dict(), **self.as_dict(), "time": round(self.time, 6)}


@dataclass(slots=True)
class Timeout:
    """A probe that got no answer within the wait time (-W), or by the end of the run."""

    target: Target
    seq: int
    time: float

    def stream_dict(self) -> dict:
        return {"type": "timeout", **self.target.as_dict(), "seq": self.seq, "time": round(self.time, 6)}


@dataclass(slots=True)
class NoAnswerYet:
    """-O: the previous probe is still unanswered when the next one leaves."""

    target: Target
    seq: int
    time: float


@dataclass(slots=True)
class Progress:
    """Flood mode, ten times a second and at the end: the counts so far (for the dots)."""

    target: Target
    transmitted: int
    received: int
    errors: int


@dataclass(slots=True)
class IntervalReport:
    """--summary-interval: time for fping's periodic per-host lines (-Q)."""

    time: float


@dataclass(slots=True)
class StatusRequest:
    """SIGQUIT asked for the interim one-line status."""


@dataclass(slots=True)
class Summary:
    """The statistics of one target at the end of the run."""

    target: Target
    transmitted: int
    received: int
    duplicates: int
    errors: int
    loss_pct: float
    rtt_min_us: int | None
    rtt_avg_us: int | None
    rtt_max_us: int | None
    rtt_mdev_us: int | None
    ewma_us8: int
    pipe: int
    elapsed_ms: int  # first to last probe, as ping's "time"
    elapsed_us: int = 0
    replies: list[Reply] = field(default_factory=list)
    time: float = 0.0  # when the statistics were taken (the run's end), seconds since the epoch

    def as_dict(self) -> dict:
        return {
            **self.target.as_dict(),
            "transmitted": self.transmitted,
            "received": self.received,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "loss_pct": round(self.loss_pct, 4),
            "rtt_min_ms": _ms(self.rtt_min_us),
            "rtt_avg_ms": _ms(self.rtt_avg_us),
            "rtt_max_ms": _ms(self.rtt_max_us),
            "rtt_mdev_ms": _ms(self.rtt_mdev_us),
            "replies": [r.as_dict() for r in self.replies],
        }

    def stream_dict(self) -> dict:
        """The jsonl summary line: the statistics without the replies (streamed before it), and the time."""
        d = self.as_dict()
        d.pop("replies")
        return {"type": "summary", **d, "time": round(self.time, 6)}


def summarize(target: Target, st: RttStats, first_send_ns: int, last_send_ns: int, replies: list[Reply]) -> Summary:
    """A target's Summary from its counters (first/last send on the monotonic clock, in ns)."""
    has = st.samples > 0
    elapsed_us = (last_send_ns - first_send_ns) // 1000 if first_send_ns else 0
    return Summary(
        target=target, transmitted=st.transmitted, received=st.received, duplicates=st.duplicates,
        errors=st.errors, loss_pct=st.loss_pct(),
        rtt_min_us=st.tmin if has and st.tmin != NO_MIN else None,
        rtt_avg_us=st.avg_us() if has else None,
        rtt_max_us=st.tmax if has else None,
        rtt_mdev_us=st.mdev_us() if has else None,
        ewma_us8=st.ewma8, pipe=st.pipesize, elapsed_ms=(elapsed_us + 500) // 1000, elapsed_us=elapsed_us,
        replies=list(replies), time=time.time(),
    )
