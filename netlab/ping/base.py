"""One interface for every ping session, ICMP or TCP (the factory, netlab.ping.session(), picks one).

A session is made from targets and checked options, ``run()`` yields events
(Reply, ProbeError, Timeout, NoAnswerYet, Progress, StatusRequest) and never
prints, ``summaries()`` gives one Summary per target afterwards, ``stop()`` and
``request_status()`` are safe from signal handlers, ``close()`` frees the sockets.
``exit_status()`` then gives ping's verdict, the one `netlab ping` exits with.

Targets: every HOST argument is a target of its own, a repeated address
included, each with its own probes and statistics, as fping does
(``fping -c 1 127.0.0.1 127.0.0.1`` pings it twice). iputils ping takes one
host only (further ones are source-route hops), so fping is the peer here.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator  # not typing: a share of start-up

from netlab.errors import ExitStatus, UsageError
from netlab.ping.control import RunControl
from netlab.ping.options import PingOptions
from netlab.ping.records import Reply, Summary, Target, summarize
from netlab.ping.stats import RttStats

NS = 1_000_000_000


class TargetStats(RttStats):
    """One target's counters plus the send times and replies its summary needs."""

    __slots__ = ("target", "next_send", "first_send", "last_send", "replies", "sending")

    def __init__(self, target: Target):
        super().__init__()
        self.target = target
        self.next_send = 0  # monotonic ns
        self.first_send = 0
        self.last_send = 0
        self.sending = True
        self.replies: list[Reply] = []


class Session(ABC):
    """What the ICMP and the TCP session share: targets, options, the run control, results."""

    def __init__(self, targets: list[Target], options: PingOptions):
        if not targets:
            raise UsageError("no host to ping", "give at least one HOST")
        self.options = options
        self.targets = list(targets)
        self.control = RunControl()
        self._states: list[TargetStats] = []

    @abstractmethod
    def run(self) -> Iterator[object]:
        """The events of the run, until every target is done, -w passes or stop() is called."""

    # -- control (safe from signal handlers) --------------------------------------------------

    def stop(self) -> None:
        """End the run (it then yields nothing more); safe from a signal handler."""
        self.control.stop()

    def request_status(self) -> None:
        """Have the run yield a StatusRequest soon; safe from a signal handler."""
        self.control.request_status()

    def close(self) -> None:
        self.control.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- results ---------------------------------------------------------------------------------

    def summaries(self) -> list[Summary]:
        return [summarize(st.target, st, st.first_send, st.last_send, st.replies) for st in self._states]

    def exit_status(self) -> ExitStatus:
        """ping's verdict on the run so far (see exit_status())."""
        return exit_status(self.summaries(), self.options)

    def live_stats(self) -> list[RttStats]:
        """The running counters (for the SIGQUIT status line)."""
        return list(self._states)

    def _wait_ns(self, default: float) -> int:
        """-W in ns, else the mode's default wait for an answer."""
        timeout = self.options.timeout
        return int((timeout if timeout is not None else default) * NS)

    def _deadline(self, start: int) -> int | None:
        """-w as a monotonic ns instant, or None."""
        deadline = self.options.run_deadline
        return None if deadline is None else start + int(deadline * NS)

    def _start_rounds(self, default_wait: float) -> tuple[int, int, int | None]:
        """A run of rounds (TCP and SYN modes) starts now: every target's first probe is due at once.
        Returns (interval, answer wait, -w deadline or None), in monotonic ns."""
        start = time.monotonic_ns()
        for st in self._states:
            st.next_send = start
        return int(self.options.effective_interval * NS), self._wait_ns(default_wait), self._deadline(start)


def exit_status(summaries: list[Summary], options: PingOptions) -> ExitStatus:
    """iputils' rule: OK if a reply came (with -c and -w both: COUNT of them), else NEGATIVE.

    With several targets every one must pass (fping exits 1 when any host is unreachable).
    """
    for s in summaries:
        if not s.received:
            return ExitStatus.NEGATIVE
        if options.count is not None and options.run_deadline is not None and s.received < options.count:
            return ExitStatus.NEGATIVE
    return ExitStatus.OK

