"""Tables as ss prints them: a Column per field, headers, aligned plain cells.

The aligner is in C where netlab._speedups was built (its Python twin,
plain_table_py, prints the same); cells with line breaks go to tabulate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence  # not typing: a share of start-up

TYPE_CHECKING = False  # typing.TYPE_CHECKING, by name (type checkers know it)
if TYPE_CHECKING:
    from typing import Any

from netlab.core.plain import Plain
from netlab.records import as_dict

try:
    from netlab import _speedups
except ImportError:  # installed without a C compiler: the Python aligner does the same, slower
    _speedups = None


class Column(Plain):
    """A record's key, its header, how a value prints (fmt, else str, None as ""), left or right.

    Not a frozen dataclass (dataclasses costs ~7 ms of start-up); hashable by its fields as that was.
    """

    FIELDS = ("key", "header", "fmt", "align")
    __slots__ = FIELDS

    def __init__(self, key: str, header: str, fmt: Callable[[Any], str] | None = None, align: str = "left"):
        self.key = key
        self.header = header
        self.fmt = fmt
        self.align = align  # or "right"

    def __hash__(self) -> int:
        return hash((self.key, self.header, self.fmt, self.align))

    def cell(self, record: dict) -> str:
        value = record.get(self.key)
        if self.fmt is not None:
            return self.fmt(value)
        return "" if value is None else str(value)


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
