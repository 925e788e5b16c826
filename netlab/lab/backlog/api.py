"""`netlab backlog` for scripts: one call, a Plan's fields as keywords, the Report back.

    import netlab
    report = netlab.backlog.probe(backlogs=[0, 5], connects=20)
    for point in report.points:
        print(point.backlog, point.effective_backlog, point.as_dict())

``probe`` is engine.run with the Plan built from keywords (or given whole):
the same checks, points, timeline and verdicts as the CLI's run.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Callable

from netlab.errors import UsageError
from netlab.lab.backlog.engine import Report, run
from netlab.lab.backlog.plan import Plan

PLAN_FIELDS = tuple(f.name for f in fields(Plan))


def probe(plan: Plan | None = None, *, progress: Callable[[int, int], None] | None = None, **keywords) -> Report:
    """Measure what listen(backlog) and somaxconn do; the Report `netlab backlog --format json` prints.

    Keywords are Plan's fields: backlogs, somaxconns, connects, syn_queue,
    syncookies, max_syn_backlogs, abort_on_overflow, timeline, accept_delay,
    timeline_clients, private (None: a private namespace per point when
    privileged). ``progress(done, total)`` is called after each point.
    """
    if plan is None:
        unknown = sorted(set(keywords) - set(PLAN_FIELDS))
        if unknown:
            raise UsageError(f"unknown plan field {unknown[0]!r}", "fields: " + ", ".join(PLAN_FIELDS))
        plan = Plan(**keywords)
    elif keywords:
        raise UsageError("give a Plan or keywords, not both", f"drop {', '.join(sorted(keywords))}")
    return run(plan, progress)
