"""`netlab backlog`'s run: a resolved plan's probe points, the timeline, the verdicts, in one Report."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

from netlab.core import diag
from netlab.lab.backlog import probes
from netlab.lab.backlog.plan import Plan, point_specs, resolve_plan
from netlab.lab.backlog.probes import ProbePoint
from netlab.lab.backlog.timeline import Timeline, run_timeline
from netlab.lab.backlog.verdicts import Verdict, judge_all
from netlab.lab.place import read_knobs
from netlab.records import fields_dict


@dataclass(slots=True)
class Report:
    kernel: str
    isolation: str  # namespace (a private one per point) or host (the current namespace)
    notes: list[str]  # what could not be varied or measured, and why
    host_sysctls: dict[str, int]  # the calling namespace's values, read before the run (never written)
    points: list[ProbePoint]
    timeline: Timeline | None
    verdicts: list[Verdict]
    elapsed_ms: float
    interrupted: bool = False  # Ctrl-C: the points measured before it are kept and judged

    def as_dict(self) -> dict:
        out = fields_dict(self)
        out["points"] = [p.as_dict() for p in self.points]
        out["timeline"] = self.timeline.as_dict() if self.timeline else None
        out["verdicts"] = [v.as_dict() for v in self.verdicts]
        return out


def listener_backlogs() -> list[int]:
    """The backlog of every TCP LISTEN socket in the calling namespace (for the 'usually 5' claim)."""
    return [s.send_q for s in diag.dump(protocols=("tcp",), states=["LISTEN"])]


def _notes(plan: Plan, host: dict[str, int]) -> list[str]:
    if plan.private:
        return []
    return [
        f"somaxconn kept at this namespace's {host[probes.SOMAXCONN]}: varying it needs a private network "
        "namespace (run as root)",
        "counters are this namespace's: other traffic on the machine adds to them",
        "not run without privilege: --syn-queue (raw socket, syncookies, tcp_max_syn_backlog) and "
        "--abort-on-overflow (tcp_abort_on_overflow)",
    ]


def run(plan: Plan, progress: Callable[[int, int], None] | None = None) -> Report:
    """Run the plan's experiments and judge the claims. ``progress(done, total)`` after each point."""
    started = time.perf_counter()
    plan = resolve_plan(plan)
    host = read_knobs(probes.PLACE_KNOBS)
    listeners = listener_backlogs()
    specs = point_specs(plan)
    points = []
    timeline = None
    notes = _notes(plan, host)
    interrupted = False
    try:
        for i, (function, args) in enumerate(specs):
            points.append(function(*args))
            if progress:
                progress(i + 1, len(specs))
        if plan.timeline:
            timeline = run_timeline(clients=plan.timeline_clients, accept_delay=plan.accept_delay,
                                    private=plan.private)
    except KeyboardInterrupt:
        # Each point cleans up after itself (namespaces deleted in finally); keep what was measured.
        interrupted = True
        notes.append(f"interrupted by Ctrl-C after {len(points)} of {len(specs)} points"
                     + (" (timeline not finished)" if plan.timeline and timeline is None else ""))
    kernel = os.uname().release
    return Report(
        kernel=kernel,
        isolation="namespace" if plan.private else "host",
        notes=notes,
        host_sysctls=host,
        points=points,
        timeline=timeline,
        verdicts=judge_all(points, listeners, kernel),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        interrupted=interrupted,
    )
