"""What `netlab backlog` is asked to measure: the Plan, its checks and defaults, and its probe points."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

from netlab.core import netns, privilege, procfs
from netlab.errors import PrivilegeError, UsageError
from netlab.lab.backlog import probes
from netlab.lab.backlog.abort import abort_point
from netlab.lab.backlog.probes import ProbePoint
from netlab.lab.backlog.synqueue import syn_queue_point
from netlab.lab.backlog.timeline import MAX_ACCEPT_DELAY_S, MAX_CLIENTS

DEFAULT_BACKLOGS = (0, 1, 5, 16, 128)
DEFAULT_SOMAXCONNS = (4096, 8)  # a fresh namespace's own value, and one below some backlogs
DEFAULT_SYNCOOKIES = (0, 1)
DEFAULT_MAX_SYN_BACKLOGS = (None, 16)  # None: as a fresh namespace has it
MAX_BACKLOG = 65535
MAX_CONNECTS = 20000
MAX_POINTS = 400

NEEDS_PRIVILEGE_HINT = "run as root (or with CAP_SYS_ADMIN and CAP_NET_ADMIN) for a private network namespace"


@dataclass
class Plan:
    """What to measure. None for somaxconns: 4096 and 8 privately, the current value otherwise."""

    backlogs: list[int] = field(default_factory=lambda: list(DEFAULT_BACKLOGS))
    somaxconns: list[int] | None = None
    connects: int = 200
    syn_queue: bool = False
    syncookies: list[int] | None = None
    max_syn_backlogs: list[int | None] | None = None
    abort_on_overflow: bool = False
    timeline: bool = False
    accept_delay: float = 1.5
    timeline_clients: int = 6
    private: bool | None = None  # None: a private namespace per point when privileged


# ---------------------------------------------------------------- validation


def _check_range(values, what: str, low: int, high: int) -> None:
    for value in values:
        if value is not None and not low <= value <= high:
            raise UsageError(f"{what} {value} is out of range", f"{what} must be {low}-{high}")


def _unique(values) -> list:
    """The values in their order, each once (--backlog 5,5 probes 5 once)."""
    return list(dict.fromkeys(values))


def resolve_plan(plan: Plan) -> Plan:
    """Check a plan and fill in its defaults; bad input raises UsageError, missing privilege PrivilegeError."""
    if not plan.backlogs:
        raise UsageError("no backlog given", "e.g. --backlog 0,5,128")
    _check_range(plan.backlogs, "backlog", 0, MAX_BACKLOG)
    _check_range([plan.connects], "connects", 1, MAX_CONNECTS)
    _check_range(plan.somaxconns or [], "somaxconn", 0, MAX_BACKLOG)
    _check_range(plan.syncookies or [], "syncookies", 0, 2)
    _check_range(plan.max_syn_backlogs or [], "max-syn-backlog", 1, MAX_BACKLOG)
    _check_range([plan.timeline_clients], "timeline clients", 1, MAX_CLIENTS)
    if not 0 <= plan.accept_delay <= MAX_ACCEPT_DELAY_S:
        raise UsageError(f"accept delay {plan.accept_delay:g} s is out of range", f"0-{MAX_ACCEPT_DELAY_S:g} s")
    if (plan.syncookies or plan.max_syn_backlogs) and not plan.syn_queue:
        raise UsageError("--syncookies and --max-syn-backlog shape the SYN queue experiment", "add --syn-queue")
    may = netns.available()
    private = may if plan.private is None else plan.private
    if private and not may:
        raise PrivilegeError("a private network namespace needs privilege", NEEDS_PRIVILEGE_HINT)
    current = int(procfs.sysctl(probes.SOMAXCONN))
    if not private:
        wanted = []
        if plan.somaxconns and set(plan.somaxconns) != {current}:
            wanted.append("--somaxconn")
        if plan.syn_queue:
            wanted.append("--syn-queue")
        if plan.abort_on_overflow:
            wanted.append("--abort-on-overflow")
        if wanted:
            raise PrivilegeError(f"{', '.join(wanted)} changes per-namespace sysctls", NEEDS_PRIVILEGE_HINT)
    if private and plan.syn_queue and not privilege.can_raw():
        raise PrivilegeError("--syn-queue writes SYNs on a raw socket", "needs CAP_NET_RAW (run as root)")
    out = replace(
        plan,
        private=private,
        backlogs=_unique(plan.backlogs),
        somaxconns=_unique(plan.somaxconns or (DEFAULT_SOMAXCONNS if private else [current])),
        syncookies=_unique(plan.syncookies or DEFAULT_SYNCOOKIES),
        max_syn_backlogs=_unique(plan.max_syn_backlogs or DEFAULT_MAX_SYN_BACKLOGS),
    )
    if len(point_specs(out)) > MAX_POINTS:
        raise UsageError(f"{len(point_specs(out))} probe points is too many", f"at most {MAX_POINTS}: shorten the lists")
    probes.check_fd_budget(out.connects)
    return out


def point_specs(plan: Plan) -> list[tuple[Callable[..., ProbePoint], tuple]]:
    """Every probe point of the plan, in order, as (function, arguments)."""
    private = plan.private
    specs = [(probes.connect_point, (b, plan.connects, s if private else None, private))
             for s in plan.somaxconns for b in plan.backlogs]
    # The SYN-queue and abort experiments take the first somaxconn: they vary other knobs.
    first = plan.somaxconns[0]
    if plan.syn_queue:
        specs += [(syn_queue_point, (b, first, c, m, plan.connects, plan.connects))
                  for c in plan.syncookies for m in plan.max_syn_backlogs for b in plan.backlogs]
    if plan.abort_on_overflow:
        specs += [(abort_point, (b, first, a, plan.connects)) for a in (0, 1) for b in plan.backlogs]
    return specs


