"""The records of `netlab lab`: a claim of the notes, its verdict, one experiment's result.

The verdict words are netlab backlog's (holds, partly_holds, does_not_hold,
not_measured) plus ``depends``: the claim holds under one condition and not
under another, and the verdict's ``why`` names the condition measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from netlab.lab.backlog.verdicts import FAILS, HOLDS, PARTLY, UNMEASURED
from netlab.records import fields_dict

DEPENDS = "depends"
VERDICTS = (HOLDS, PARTLY, FAILS, DEPENDS, UNMEASURED)
WORDS = {HOLDS: "holds", PARTLY: "partly holds", FAILS: "does not hold", DEPENDS: "depends",
         UNMEASURED: "not measured"}

__all__ = ["HOLDS", "PARTLY", "FAILS", "DEPENDS", "UNMEASURED", "VERDICTS", "WORDS",
           "Claim", "Judgement", "Result"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim of the study notes: where it is, its words (Chinese, quoted), in English, and its judge.

    ``judge(evidence) -> (verdict, why)`` reads the experiment's evidence dict and
    nothing else, so tests can hand it evidence where the claim would hold and
    where it would not.
    """

    claim_id: str
    seed: str  # the seed file's name, e.g. 000_9a993580aa9573bd.txt
    quote: str  # the notes' own words
    claim: str  # in English
    judge: Callable[[dict], tuple[str, str]]

    def listing(self) -> dict:
        return {"claim_id": self.claim_id, "seed": self.seed, "quote": self.quote, "claim": self.claim}


@dataclass(slots=True)
class Judgement:
    claim_id: str
    seed: str
    quote: str
    claim: str
    verdict: str  # one of VERDICTS
    why: str  # one sentence, from the evidence

    def as_dict(self) -> dict:
        return fields_dict(self)


def judge(claim: Claim, evidence: dict) -> Judgement:
    verdict, why = claim.judge(evidence)
    if verdict not in VERDICTS:
        raise ValueError(f"{claim.claim_id}: unknown verdict {verdict!r}")
    return Judgement(claim.claim_id, claim.seed, claim.quote, claim.claim, verdict, why)


@dataclass(slots=True)
class Result:
    """One experiment as run: where, the evidence, its text diagram, the judged claims."""

    experiment: str
    title: str
    where: str  # namespace (a private one made for the run) or loopback (the current namespace)
    captured: bool  # its packets were captured (needs CAP_NET_RAW)
    evidence: dict
    diagram: str | None  # the ladder or another text picture, None where there is none
    claims: list[Judgement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    time: float = 0.0

    def as_dict(self) -> dict:
        out = fields_dict(self)
        out["claims"] = [c.as_dict() for c in self.claims]
        return out
