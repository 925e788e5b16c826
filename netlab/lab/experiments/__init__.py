"""`netlab lab`: each claim of the study notes (../shared/seeds), checked against the running kernel.

One module per experiment; each defines EXPERIMENT: its name, title, the claims
it checks (the notes' words, in English, and a judge that reads only the
evidence) and ``measure(site)``, which runs real sockets in the site (a private
namespace, or loopback), captures their packets, reads their states and returns
the evidence. ``run`` puts them together into a Result; nothing here knows a
verdict in advance.

  record.py   Claim, Judgement, Result and the verdict words
  site.py     where it runs, the capture (Wire), sock_diag states
  ladder.py   the text ladder of a TCP connection, with J and K
  handshake.py, teardown.py, boundaries.py, udp.py, ...   the experiments
  text.py, report.py   the terminal's text and the Markdown report
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from netlab.errors import UsageError
from netlab.lab.experiments.record import Claim, Result, judge

# The experiments in the order `netlab lab all` runs them (and `list` lists them).
NAMES = ("handshake", "teardown", "boundaries", "udp", "byteorder", "socket-call", "buffers", "listen-accept", "reuseaddr", "concurrency")
_MODULES = {"socket-call": "socketcall", "listen-accept": "listen_accept"}


@dataclass(frozen=True, slots=True)
class Measured:
    evidence: dict
    diagram: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Experiment:
    name: str
    title: str
    claims: tuple[Claim, ...]
    measure: Callable  # (Site) -> Measured

    def listing(self) -> dict:
        return {"experiment": self.name, "title": self.title, "claims": [c.listing() for c in self.claims]}


def get(name: str) -> Experiment:
    if name not in NAMES:
        raise UsageError(f"unknown experiment {name!r}", f"choose one of {', '.join(NAMES)}, or all, or list")
    module = importlib.import_module(f"netlab.lab.experiments.{_MODULES.get(name, name)}")
    return module.EXPERIMENT


def parse(names: Iterable[str]) -> list[str]:
    """The experiments these names ask for, in order, once each ('all': every one); bad names fail first."""
    chosen: list[str] = []
    for name in names:
        for one in (NAMES if name == "all" else [name]):
            get(one)
            if one not in chosen:
                chosen.append(one)
    return chosen


def run(name: str, private: bool | None = None, wait_timewait: bool = False) -> Result:
    """Run one experiment in its own site (a new namespace as root) and judge its claims.

    ``wait_timewait``: teardown also watches its TIME-WAIT socket to the end (about 60 s).
    """
    from netlab.lab.experiments.site import site

    experiment = get(name)
    start = time.monotonic()
    with site(private, wait_timewait) as where:
        measured = experiment.measure(where)
    judged = [judge(claim, measured.evidence) for claim in experiment.claims]
    return Result(experiment.name, experiment.title, where.where, where.can_capture, measured.evidence,
                  measured.diagram, judged, [*where.notes, *measured.notes],
                  round((time.monotonic() - start) * 1000, 1), time.time())


def stream(names: Iterable[str], private: bool | None = None, wait_timewait: bool = False) -> Iterator[Result]:
    for name in names:
        yield run(name, private, wait_timewait)
