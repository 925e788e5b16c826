"""Read netlab's json, jsonl and csv output as a script would, and validate it against netlab.schemas.

Every check parses stdout whole: a banner or a stray line on stdout fails it.
csv cells are typed by the schema (the rule netlab-schema(1) gives: an empty cell
is null, true/false booleans, lists and objects JSON text), then validated like
a jsonl line.
"""

from __future__ import annotations

import csv
import functools
import io
import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from netlab import schemas


@functools.cache
def validator(command: str) -> Draft202012Validator:
    schema = schemas.load(command)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _valid(command: str, value) -> None:
    error = best_match(validator(command).iter_errors(value))
    assert error is None, f"{command}: {error.message} at {list(error.absolute_path)} in\n{json.dumps(value)[:600]}"


def json_documents(command: str, stdout: str) -> list:
    """Every JSON document on stdout (one, or one per --watch redraw), each validated."""
    decoder, docs, at = json.JSONDecoder(), [], 0
    text = stdout.strip()
    while at < len(text):
        doc, end = decoder.raw_decode(text, at)
        docs.append(doc)
        at = end
        while at < len(text) and text[at].isspace():
            at += 1
    assert docs, "no JSON document on stdout"
    for doc in docs:
        _valid(command, doc)
    return docs


def jsonl_records(command: str, stdout: str) -> list[dict]:
    """Each line of stdout as one JSON object, validated."""
    records = [json.loads(line) for line in stdout.splitlines()]
    for record in records:
        assert isinstance(record, dict), record
        _valid(command, record)
    return records


def csv_rows(command: str, stdout: str, record: str) -> list[dict]:
    """stdout as csv (a header, then rows), cells typed by ``$defs/<record>``, each row validated."""
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert stdout.strip(), "no csv header on stdout"
    types = _column_types(schemas.load(command), record)
    header = stdout.splitlines()[0].split(",")
    assert set(header) <= set(types), f"columns not in $defs/{record}: {set(header) - set(types)}"
    typed = [{k: _typed(v, types[k]) for k, v in row.items()} for row in rows]
    for row in typed:
        _valid(command, row)
    return typed


def _column_types(schema: dict, record: str) -> dict[str, set[str]]:
    """property -> the JSON types it may take, gathered through $ref, allOf, anyOf and oneOf."""
    defs = schema["$defs"]
    found: dict[str, set[str]] = {}

    def types_of(node: dict) -> set[str]:
        if "$ref" in node:
            return types_of(defs[node["$ref"].rsplit("/", 1)[1]])
        if "type" in node:
            return {node["type"]} if isinstance(node["type"], str) else set(node["type"])
        if "enum" in node or "const" in node:
            return {"null" if v is None else "string" for v in node.get("enum", [node.get("const")])}
        return set().union(*(types_of(n) for n in node.get("oneOf", node.get("anyOf", []))))

    def walk(node: dict) -> None:
        if "$ref" in node:
            walk(defs[node["$ref"].rsplit("/", 1)[1]])
        for part in node.get("allOf", []):
            walk(part)
        for name, sub in node.get("properties", {}).items():
            found.setdefault(name, set()).update(types_of(sub))

    walk(defs[record])
    return found


def _typed(cell: str, types: set[str]):
    if cell == "" and "null" in types:
        return None
    if "boolean" in types and cell in ("true", "false"):
        return cell == "true"
    if "integer" in types and cell.lstrip("-").isdigit():
        return int(cell)
    if "number" in types:
        return float(cell)
    if types & {"array", "object"}:
        return json.loads(cell)
    return cell
