"""What `netlab reuseaddr-demo` shows: the rows as a table with their sentences below it.

json, jsonl and csv go through netlab.output: every key of the row (csv: CSV_KEYS).
"""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import fields

from netlab import output
from netlab.lab.reuseaddr.engine import Outcome


def _option(reuseaddr: bool, reuseport: bool) -> str:
    return "REUSEPORT" if reuseport else ("REUSEADDR" if reuseaddr else "-")


COLUMNS = (
    output.Column("row", "#", align="right"),
    output.Column("scenario", "SCENARIO"),
    output.Column("old_option", "OLD"),
    output.Column("new_option", "NEW"),
    output.Column("old_states", "OLD STATES", lambda v: ", ".join(v) if v else "(none)"),
    output.Column("bind", "BIND"),
    output.Column("listen", "LISTEN", lambda v: "-" if v is None else v),
    output.Column("timing_ms", "MS", lambda v: f"{v:.0f}", align="right"),
)


# An Outcome's fields, in order: the csv columns whatever the rows hold.
CSV_KEYS = tuple(f.name for f in fields(Outcome))


def table(rows: list[dict]) -> str:
    shown = []
    for number, row in enumerate(rows, 1):
        shown.append({**row, "row": number,
                      "old_option": _option(row["old_reuseaddr"], row["old_reuseport"]),
                      "new_option": _option(row["new_reuseaddr"], row["new_reuseport"])})
    lines = [output.table(shown, COLUMNS), ""]
    width = max(60, min(shutil.get_terminal_size().columns, 120))
    lines += [textwrap.fill(row["explanation"], width, initial_indent=f"{number:>2}. ",
                            subsequent_indent="    ", break_on_hyphens=False)
              for number, row in enumerate(rows, 1)]
    if {r["where"] for r in rows} == {"namespace"}:
        lines += ["", "Each row ran in a private network namespace of its own (deleted after), "
                      f"port {rows[0]['port']}."]
    elif rows:
        lines += ["", "Rows ran on loopback, each on a free port of its own (see --format json)."]
    return "\n".join(lines)
