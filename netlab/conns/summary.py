"""Counts by protocol, family and state: `netlab conns -s`, as ss -s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from netlab.conns.engine import Conn


@dataclass
class ProtoSummary:
    proto: str
    total: int = 0
    inet: int = 0
    inet6: int = 0
    states: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"proto": self.proto, "total": self.total, "inet": self.inet, "inet6": self.inet6,
                "states": dict(sorted(self.states.items()))}


def summarize(conns: Iterable[Conn], protocols: Sequence[str]) -> list[ProtoSummary]:
    """Counts by protocol, family and state (what ss -s tells, from the same dump)."""
    table = {p: ProtoSummary(p) for p in protocols}
    for c in conns:
        s = table.setdefault(c.proto, ProtoSummary(c.proto))
        s.total += 1
        if c.family == "inet":
            s.inet += 1
        elif c.family == "inet6":
            s.inet6 += 1
        s.states[c.state] = s.states.get(c.state, 0) + 1
    return list(table.values())
