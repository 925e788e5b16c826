"""What `netlab lab` prints for people: each experiment's claims, evidence and diagram, then one verdict table.

json and jsonl are the records' as_dict() (netlab.output); this module is the
table format and the Markdown report's shared pieces.
"""

from __future__ import annotations

import json
import textwrap

from netlab import output
from netlab.lab.experiments.record import WORDS

WIDTH = 100
VERDICT_COLUMNS = (
    output.Column("experiment", "EXPERIMENT"),
    output.Column("claim_id", "CLAIM"),
    output.Column("seed", "SEED", lambda v: v.split("_")[0]),
    output.Column("verdict", "VERDICT", lambda v: WORDS.get(v, v)),
)
LIST_COLUMNS = (
    output.Column("experiment", "EXPERIMENT"),
    output.Column("claim_id", "CLAIM"),
    output.Column("seed", "SEED", lambda v: v.split("_")[0]),
    output.Column("claim", "CLAIM (ENGLISH)"),
)


def evidence_lines(evidence: dict, skip: tuple[str, ...] = ("segments",)) -> list[str]:
    """``key: value`` per evidence key, nested records as compact JSON, captured segments left to the diagram."""
    lines = []
    for key, value in evidence.items():
        if key in skip:
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in skip and k != "close_segments"}
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        lines.append(f"{key}: {text}")
    return lines


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def experiment(result: dict) -> str:
    out = [f"== {result['experiment']}: {result['title']} "
           f"({'a private network namespace' if result['where'] == 'namespace' else 'loopback, this namespace'}, "
           f"{result['elapsed_ms']:.0f} ms)"]
    for note in result["notes"]:
        out.append(f"   note: {note}")
    for claim in result["claims"]:
        out.append("")
        out.append(f"  [{WORDS[claim['verdict']]}] {claim['claim_id']} ({claim['seed']})")
        out.append(f"    「{claim['quote']}」")
        out.append(_wrap(f"claim: {claim['claim']}", "    "))
        out.append(_wrap(f"why: {claim['why']}", "    "))
    out.append("")
    out.append("  evidence:")
    out += ["    " + line if len(line) <= WIDTH else _wrap(line, "    ") for line in evidence_lines(result["evidence"])]
    if result["diagram"]:
        out.append("")
        out += ["  " + line for line in result["diagram"].splitlines()]
    return "\n".join(out)


def verdict_rows(results: list[dict]) -> list[dict]:
    return [{"experiment": r["experiment"], **c} for r in results for c in r["claims"]]


def verdict_table(results: list[dict]) -> str:
    return output.table(verdict_rows(results), VERDICT_COLUMNS)


def listing_table(listings: list[dict]) -> str:
    rows = [{"experiment": e["experiment"], **c} for e in listings for c in e["claims"]]
    return output.table(rows, LIST_COLUMNS)
