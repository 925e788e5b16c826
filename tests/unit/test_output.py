"""netlab.output: the fast table path prints exactly what tabulate prints; formats."""

from __future__ import annotations

import json
import os
import random
import string

import pytest
from tabulate import tabulate

from netlab import output
from netlab.output import Column


try:
    from netlab import _speedups
except ImportError:
    _speedups = None

# Both aligners: the C one (where built; CI builds it) and its Python twin.
ALIGNERS = [pytest.param(output.plain_table_py, id="python"),
            pytest.param(lambda rows, headers, aligns: _speedups.aligned(rows, headers, [a == "right" for a in aligns]),
                         id="c", marks=pytest.mark.skipif(_speedups is None and not os.environ.get("CI"),
                                                          reason="netlab._speedups is not built"))]

# ASCII, Latin-1 and other one-column characters, inner and trailing blanks
_CHARS = string.ascii_letters + ":.[]*/-  éµ€Ωж"


def _random_cell(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 14)))


@pytest.mark.parametrize("align", ALIGNERS)
def test_plain_table_matches_tabulate(align):
    rng = random.Random(7)
    for _ in range(200):
        ncols = rng.randint(1, 7)
        headers = [_random_cell(rng).strip() or "H" for _ in range(ncols)]
        aligns = [rng.choice(["left", "right"]) for _ in range(ncols)]
        rows = [tuple(_random_cell(rng) for _ in range(ncols)) for _ in range(rng.randint(1, 30))]
        expected = tabulate(rows, headers=headers, tablefmt="plain", colalign=aligns, disable_numparse=True,
                            preserve_whitespace=True)
        assert align(rows, headers, aligns) == expected


@pytest.mark.parametrize("align", ALIGNERS)
def test_plain_table_leaves_line_breaks_to_tabulate(align):
    assert align([("a", "b\nc")], ["h", "i"], ["left", "left"]) is None


def test_c_aligner_refuses_what_is_not_a_table():
    if _speedups is None:
        pytest.skip("netlab._speedups is not built")
    with pytest.raises(TypeError):
        _speedups.aligned([("a", 1)], ["h", "i"], [False, False])
    with pytest.raises(ValueError):
        _speedups.aligned([("a",)], ["h", "i"], [False, False])


def test_table_prints_what_tabulate_prints():
    columns = [Column("a", "Proto"), Column("b", "Recv-Q", align="right")]
    records = [{"a": "tcp", "b": str(i * 37)} for i in range(40)]
    expected = tabulate([[r["a"], r["b"]] for r in records], headers=["Proto", "Recv-Q"],
                        tablefmt="plain", colalign=["left", "right"], disable_numparse=True)
    assert output.table(records, columns) == expected


def test_multiline_cells_go_to_tabulate():
    columns = [Column("a", "Claim"), Column("b", "Verdict")]
    records = [{"a": "line one\nline two", "b": "holds"}]
    assert output.table(records, columns) == tabulate([["line one\nline two", "holds"]], headers=["Claim", "Verdict"],
                                                      tablefmt="plain", disable_numparse=True)


def test_json_csv_jsonl():
    records = [{"x": 1, "y": None, "z": {"k": 2}}, {"x": 2, "y": "a", "z": None}]
    assert json.loads(output.render(records, "json", [])) == records
    lines = output.render(records, "jsonl", []).splitlines()
    assert [json.loads(line) for line in lines] == records
    csv_text = output.render(records, "csv", [])
    assert csv_text.splitlines() == ["x,y,z", '1,,"{""k"":2}"', "2,a,"]


def test_empty_table_prints_headers():
    assert output.table([], [Column("a", "Proto"), Column("b", "State")]) == "Proto  State"


def test_csv_booleans_as_json_spells_them():
    import csv
    import io

    from netlab.output import to_csv

    text = to_csv([{"ok": True, "dup": False, "missing": None}])
    assert list(csv.reader(io.StringIO(text))) == [["ok", "dup", "missing"], ["true", "false", ""]]
