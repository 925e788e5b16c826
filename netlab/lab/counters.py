"""The kernel's TCP counters (/proc/<...>/net/snmp and netstat) over an experiment: what rose, by name."""

from __future__ import annotations

from typing import Iterable

from netlab.core import procfs


def delta(after: procfs.Counters, before: procfs.Counters, names: Iterable[tuple[str, str]],
          nonzero: bool = False) -> dict[str, int]:
    """The increase of each (group, name) counter from ``before`` to ``after``, keyed by the kernel's name.

    ``nonzero``: leave out the counters that did not move.
    """
    moved = after.delta(before)
    out = {name: moved.get(group, name) for group, name in names}
    return {name: value for name, value in out.items() if value} if nonzero else out
