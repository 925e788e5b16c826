"""The rows of the restart experiment: each scenario and option combination run, observed, explained."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Iterator, Sequence

from netlab.core import netns
from netlab.lab.reuseaddr.checks import check_port, parse_scenarios, resolve_address
from netlab.lab.reuseaddr.runners import RUNNERS
from netlab.lab.reuseaddr.scenarios import SCENARIOS, Variant
from netlab.lab.reuseaddr.sentences import explain
from netlab.lab.reuseaddr.site import site_for_row
from netlab.lab.settle import ms_since


@dataclass(slots=True)
class Outcome:
    """One row: a scenario with one option combination. Field names are the JSON contract."""

    scenario: str
    old_reuseaddr: bool
    new_reuseaddr: bool
    old_states: list[str]  # "server:TIME-WAIT", "client:CLOSE-WAIT", ... before the restart
    bind: str  # "ok" or an errno name
    listen: str | None  # "ok", an errno name, or None when bind() failed (not tried)
    explanation: str
    old_reuseport: bool = False
    new_reuseport: bool = False
    family: str = "inet"
    addr: str = ""
    port: int = 0
    where: str = ""
    timing_ms: float = 0.0
    details: dict = field(default_factory=dict)
    time: float = field(default_factory=time.time)  # when the row finished, seconds since the epoch

    def as_dict(self) -> dict:
        return asdict(self)


def run_row(scenario: str, v: Variant, family: str, bind_addr: str, connect_addr: str, port: int | None,
            isolate: bool) -> Outcome:
    start = time.monotonic()
    with site_for_row(family, bind_addr, connect_addr, port, isolate) as site:
        ev = RUNNERS[scenario](site, v)
        sentence = explain(site, v, ev)
    details = {k: val for k, val in ev.details.items() if val not in ({}, None)}
    details["old_sockets"] = [x.as_dict() for x in ev.views]
    return Outcome(scenario, v.old_reuseaddr, v.new_reuseaddr, [x.label for x in ev.views], ev.restart.bind,
                   ev.restart.listen, sentence, v.old_reuseport, v.new_reuseport, family, bind_addr, site.port,
                   site.where, ms_since(start), details)


def run(scenarios: str | Sequence[str] | None = None, port: int | None = None, addr: str | None = None,
        ipv6: bool = False, isolate: bool | None = None) -> list[Outcome]:
    """Run the scenarios (one name, several, or all by default), one Outcome row per option combination.

    ``port``: the port to restart on (default: 8001 in a namespace, a free one
    on loopback); ``addr``: the address to bind (default: loopback);
    ``isolate``: one private namespace per row (default: when privileged).
    """
    return list(stream(scenarios, port, addr, ipv6, isolate))


def stream(scenarios: Sequence[str] | None = None, port: int | None = None, addr: str | None = None,
           ipv6: bool = False, isolate: bool | None = None) -> Iterator[Outcome]:
    """``run``, yielding each row as soon as it is measured (the input is checked before the first)."""
    names = parse_scenarios(scenarios)
    family, bind_addr, connect_addr = resolve_address(addr, ipv6)
    if isolate is None:
        isolate = netns.available()
    check_port(port)
    return (run_row(name, v, family, bind_addr, connect_addr, port, isolate)
            for name in names for v in SCENARIOS[name])
