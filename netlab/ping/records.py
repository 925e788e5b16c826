"""The plain records the ping engine returns: events while it runs, a summary per target.

Plain slotted classes with ``as_dict()``; their keys are the JSON contract
(documented in man/netlab-ping.1 and pinned by tests). Not dataclasses: that module
(with the inspect, ast, dis and tokenize it imports) was a fifth of the start-up of
`netlab ping`. Each class writes its __init__ out (a Reply is made per reply) and
lists its FIELDS, in order; netlab.core.plain.Plain compares and shows them as a
dataclass would.
"""

from __future__ import annotations

import time

from netlab.core.plain import Plain
from netlab.ping.stats import NO_MIN, RttStats


def _ms(us: int | None) -> float | None:
    return None if us is None else round(us / 1000, 3)


class Target(Plain):
    """A host as the user named it, and the address we ping."""

    FIELDS = ("host", "address", "family", "numeric")
    __slots__ = FIELDS

    def __init__(self, host: str, address: str, family: int, numeric: bool):
        self.host = host
        self.address = address
        self.family = family
        self.numeric = numeric  # named by address (or -n): print addresses, never names

    def as_dict(self) -> dict:
        return {"host": self.host, "address": self.address}


class Reply(Plain):
    """An echo reply (or a duplicate of one), with the kernel-timestamped RTT."""

    FIELDS = ("target", "seq", "ttl", "rtt_us", "bytes", "dup", "source", "time", "ip_options")
    __slots__ = FIELDS

    def __init__(self, target: Target, seq: int, ttl: int, rtt_us: int, bytes: int, dup: bool, source: str,
                 time: float, ip_options: bytes = b""):
        self.target = target
        self.seq = seq
        self.ttl = ttl  # -1 when unknown (TCP)
        self.rtt_us = rtt_us
        self.bytes = bytes
        self.dup = dup
        self.source = source
        self.time = time  # arrival, seconds since the epoch (kernel timestamp)
        self.ip_options = ip_options  # the reply's IPv4 options (-R, -T), raw

    def as_dict(self) -> dict:
        ttl = self.ttl if self.ttl >= 0 else None  # -1: no TTL known (a TCP ping): null, not a number
        return {"seq": self.seq, "ttl": ttl, "rtt_ms": _ms(self.rtt_us), "bytes": self.bytes, "dup": self.dup}

    def stream_dict(self) -> dict:
        return {"type": "reply", **self.target.as_dict(), **self.as_dict(), "time": round(self.time, 6)}


class ProbeError(Plain):
    """An ICMP error that quotes one of our probes (TTL exceeded, unreachable, ...), or a local send error."""

    FIELDS = ("target", "seq", "source", "message", "icmp_type", "icmp_code", "time")
    __slots__ = FIELDS

    def __init__(self, target: Target, seq: int, source: str, message: str, icmp_type: int | None,
                 icmp_code: int | None, time: float):
        self.target = target
        self.seq = seq
        self.source = source  # who sent the error (a router, the target, or ourselves)
        self.message = message  # iputils' words, e.g. "Time to live exceeded"
        self.icmp_type = icmp_type
        self.icmp_code = icmp_code
        self.time = time

    def as_dict(self) -> dict:
        return {"seq": self.seq, "from": self.source, "message": self.message, "icmp_type": self.icmp_type,
                "icmp_code": self.icmp_code}

    def stream_dict(self) -> dict:
        return {"type": "error", **self.target.as_dict(), **self.as_dict(), "time": round(self.time, 6)}


class Timeout(Plain):
    """A probe that got no answer within the wait time (-W), or by the end of the run."""

    FIELDS = ("target", "seq", "time")
    __slots__ = FIELDS

    def __init__(self, target: Target, seq: int, time: float):
        self.target = target
        self.seq = seq
        self.time = time

    def stream_dict(self) -> dict:
        return {"type": "timeout", **self.target.as_dict(), "seq": self.seq, "time": round(self.time, 6)}


class NoAnswerYet(Plain):
    """-O: the previous probe is still unanswered when the next one leaves."""

    FIELDS = ("target", "seq", "time")
    __slots__ = FIELDS

    def __init__(self, target: Target, seq: int, time: float):
        self.target = target
        self.seq = seq
        self.time = time


class Progress(Plain):
    """Flood mode, ten times a second and at the end: the counts so far (for the dots)."""

    FIELDS = ("target", "transmitted", "received", "errors")
    __slots__ = FIELDS

    def __init__(self, target: Target, transmitted: int, received: int, errors: int):
        self.target = target
        self.transmitted = transmitted
        self.received = received
        self.errors = errors


class IntervalReport(Plain):
    """--summary-interval: time for fping's periodic per-host lines (-Q)."""

    FIELDS = ("time",)
    __slots__ = FIELDS

    def __init__(self, time: float):
        self.time = time


class StatusRequest(Plain):
    """SIGQUIT asked for the interim one-line status."""

    __slots__ = ()

    def __init__(self):
        pass


class Summary(Plain):
    """The statistics of one target at the end of the run."""

    FIELDS = ("target", "transmitted", "received", "duplicates", "errors", "loss_pct", "rtt_min_us", "rtt_avg_us",
              "rtt_max_us", "rtt_mdev_us", "ewma_us8", "pipe", "elapsed_ms", "elapsed_us", "replies", "time")
    __slots__ = FIELDS

    def __init__(self, target: Target, transmitted: int, received: int, duplicates: int, errors: int,
                 loss_pct: float, rtt_min_us: int | None, rtt_avg_us: int | None, rtt_max_us: int | None,
                 rtt_mdev_us: int | None, ewma_us8: int, pipe: int, elapsed_ms: int, elapsed_us: int = 0,
                 replies: list[Reply] | None = None, time: float = 0.0):
        self.target = target
        self.transmitted = transmitted
        self.received = received
        self.duplicates = duplicates
        self.errors = errors
        self.loss_pct = loss_pct
        self.rtt_min_us = rtt_min_us
        self.rtt_avg_us = rtt_avg_us
        self.rtt_max_us = rtt_max_us
        self.rtt_mdev_us = rtt_mdev_us
        self.ewma_us8 = ewma_us8
        self.pipe = pipe
        self.elapsed_ms = elapsed_ms  # first to last probe, as ping's "time"
        self.elapsed_us = elapsed_us
        self.replies = [] if replies is None else replies  # a list of its own each (dataclass: default_factory)
        self.time = time  # when the statistics were taken (the run's end), seconds since the epoch

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
