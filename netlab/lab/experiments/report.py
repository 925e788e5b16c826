"""`netlab lab --report FILE.md`: the results as a Markdown page a student reads without running anything."""

from __future__ import annotations

import os
import platform
import time

from netlab.lab.experiments.record import WORDS
from netlab.lab.experiments.text import evidence_lines, verdict_rows


def markdown(results: list[dict], command: str = "netlab lab all --report docs/lab-report.md") -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = ["# The socket notes, checked against a running kernel", "",
           f"Measured by `{command}` on Linux {platform.release()} ({platform.machine()}), {when}. "
           "Each claim is quoted from the study notes (their file in `seeds/`), then judged from what "
           "its experiment measured in this run: real sockets, their packets captured, their states "
           "read from the kernel.", "",
           "## Verdicts", "", "| experiment | claim | notes | verdict | why |", "|---|---|---|---|---|"]
    for row in verdict_rows(results):
        why = row["why"].replace("|", "\\|")
        out.append(f"| {row['experiment']} | {row['claim_id']} | {row['seed']} | **{WORDS[row['verdict']]}** | {why} |")
    for result in results:
        where = "a private network namespace" if result["where"] == "namespace" else "loopback in the current namespace"
        out += ["", f"## {result['experiment']}: {result['title']}", "",
                f"Ran in {where}{', packets captured' if result['captured'] else ', packets not captured'}, "
                f"in {result['elapsed_ms']:.0f} ms."]
        for note in result["notes"]:
            out.append(f"Note: {note}.")
        for claim in result["claims"]:
            out += ["", f"### {claim['claim_id']}: {WORDS[claim['verdict']]}", "",
                    f"> {claim['quote']}", ">", f"> ({claim['seed']}) {claim['claim']}", "",
                    f"**{WORDS[claim['verdict']].capitalize()}**: {claim['why']}."]
        out += ["", "Evidence:", "", "```text", *evidence_lines(result["evidence"]), "```"]
        if result["diagram"]:
            out += ["", "```text", result["diagram"], "```"]
    return "\n".join(out) + "\n"


def write(path: str, results: list[dict], command: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(markdown(results, command))
    os.replace(tmp, path)
