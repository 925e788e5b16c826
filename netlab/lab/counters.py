"""The kernel's TCP counters (/proc/<...>/net/snmp and netstat) over an experiment: what rose, by name."""

from __future__ import annotations

import re
from typing import Iterable

from netlab.core import procfs

# A word starts at an upper-case letter after a lower-case one or a digit (ListenOverflows),
# or at the last capital of a run followed by a lower-case one (TCPReqQFull: TCP, Req, Q, Full).
_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """A kernel counter's name as a JSON key: ListenOverflows -> listen_overflows,
    TCPReqQFullDoCookies -> tcp_req_q_full_do_cookies, TW -> tw."""
    return _WORD_START.sub("_", name).lower()


def delta(after: procfs.Counters, before: procfs.Counters, names: Iterable[tuple[str, str]],
          nonzero: bool = False) -> dict[str, int]:
    """The increase of each (group, name) counter from ``before`` to ``after``, keyed by
    the kernel's name in snake_case (``snake``), the contract of every JSON key.

    ``nonzero``: leave out the counters that did not move.
    """
    moved = after.delta(before)
    out = {snake(name): moved.get(group, name) for group, name in names}
    return {name: value for name, value in out.items() if value} if nonzero else out
