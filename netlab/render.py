"""Turn plain records into text: table (tabulate), json, jsonl or csv.

One place for every command, so all of them print the same way. Records are
dicts (or objects with ``as_dict()``); a ``Column`` says which key to show under
which header in a table, and how to format the value. JSON and CSV always carry
every key of the record: they are the contract for scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

try:
    from netlab import _speedups
except ImportError:  # installed without a C compiler: the Python aligner does the same, slower
    _speedups = None

FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    fmt: Callable[[Any], str] | None = None
    align: str = "left"  # or "right"

    def cell(self, record: dict) -> str:
        value = record.get(self.key)
        if self.fmt is not None:
            return self.fmt(value)
        return "" if value is None else str(value)


def as_dict(record: Any) -> dict:
    if isinstance(record, dict):
        return record
    return record.as_dict()


def table(records: Iterable[Any], columns: Sequence[Column], rows: Sequence[Sequence[str]] | None = None) -> str:
    """A plain, ss-like table: headers, then one row per record, no rules.

    Single-line cells are aligned by plain_table, which prints exactly what
    tabulate's "plain" format prints (a unit test pins that) at a small fraction
    of its cost (bench/conns.py measures it). Cells with line breaks go to
    tabulate. ``rows`` (the cells as strings, in column order) skips the
    per-cell lookups.
    """
    if rows is None:
        rows = [[c.cell(as_dict(r)) for c in columns] for r in records]
    headers = [c.header for c in columns]
    aligns = [c.align for c in columns]
    if not rows:
        return "  ".join(headers)
    text = plain_table(rows, headers, aligns)
    if text is not None:
        return text
    from tabulate import tabulate

    return tabulate(rows, headers=headers, tablefmt="plain", colalign=aligns, disable_numparse=True,
                    preserve_whitespace=True)


def plain_table(rows: Sequence[Sequence[str]], headers: Sequence[str], aligns: Sequence[str]) -> str | None:
    """tabulate's "plain" format for string cells, fast; None if a cell holds a line break.

    As tabulate does (with preserve_whitespace: cells are shown as they are):
    a column is as wide as its widest cell or its header plus two, columns are
    joined by two spaces, and trailing blanks are stripped. In C where
    netlab._speedups was built, else in Python.
    """
    if _speedups is not None:
        return _speedups.aligned(rows, headers, [a == "right" for a in aligns])
    return plain_table_py(rows, headers, aligns)


def plain_table_py(rows: Sequence[Sequence[str]], headers: Sequence[str], aligns: Sequence[str]) -> str | None:
    """plain_table() in Python, the twin of _speedups.aligned()."""
    cells_by_column = list(zip(*rows))
    if any("\n" in "".join(cells) for cells in cells_by_column):  # one scan per column, not per cell
        return None
    widths = [max(len(h) + 2, max(map(len, cells))) for h, cells in zip(headers, cells_by_column)]
    # %-formatting a tuple is 1.6x faster than str.format(*row) here
    line = "  ".join(f"%{'' if a == 'right' else '-'}{w}s" for a, w in zip(aligns, widths))
    lines = [(line % tuple(headers)).rstrip()]
    lines += [(line % tuple(row)).rstrip() for row in rows]
    return "\n".join(lines)


def to_json(value: Any) -> str:
    """Indented JSON; orjson when installed (json.dumps with indent is many times slower)."""
    try:
        import orjson
    except ImportError:
        import json

        return json.dumps(value, indent=2, default=_json_default)
    return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=_json_default).decode()


def to_jsonl_line(value: Any) -> str:
    import json  # here, not at the top: every start would pay for it, and `netlab conns` prints no jsonl

    return json.dumps(value, separators=(",", ":"), default=_json_default)


def to_csv(records: Iterable[Any], keys: Sequence[str] | None = None) -> str:
    dicts = [as_dict(r) for r in records]
    if keys is None:
        keys = list(dicts[0].keys()) if dicts else []
    import csv  # only the csv path pays for csv and io
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(keys), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for d in dicts:
        writer.writerow({k: _csv_cell(d.get(k)) for k in keys})
    return out.getvalue().rstrip("\n")


def render(records: Sequence[Any], fmt: str, columns: Sequence[Column], keys: Sequence[str] | None = None) -> str:
    """Render a listing in one of table, json, jsonl, csv."""
    if fmt == "table":
        return table(records, columns)
    if fmt == "json":
        return to_json([as_dict(r) for r in records])
    if fmt == "jsonl":
        return "\n".join(to_jsonl_line(as_dict(r)) for r in records)
    if fmt == "csv":
        return to_csv(records, keys)
    raise ValueError(f"unknown format {fmt!r}")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else value


def _json_default(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
