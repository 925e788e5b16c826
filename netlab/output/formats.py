"""Records as json, jsonl or csv: the contract for scripts (every key of the record).

``render`` picks the format by name; a table goes to netlab.output.tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence  # not typing: a share of start-up

TYPE_CHECKING = False  # typing.TYPE_CHECKING, by name (type checkers know it)
if TYPE_CHECKING:
    from typing import Any

from netlab.output.tables import Column, table
from netlab.records import as_dict

FORMATS = ("table", "json", "csv")


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


def to_csv_rows(records: Iterable[Any], keys: Sequence[str]) -> str:
    """The rows of to_csv without its header line: a csv stream's later batches (``--watch``)."""
    return to_csv(records, keys).partition("\n")[2]


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
    if isinstance(value, bool):  # as JSON writes them (csv.writer would write True/False)
        return "true" if value else "false"
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
