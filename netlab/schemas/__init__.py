"""JSON Schemas (Draft 2020-12) of what each command prints with --format json, jsonl or csv.

One file per command, shipped in the package: ``netlab schema COMMAND`` prints it,
``netlab.schemas.load(COMMAND)`` returns it as a dict. Each schema's top level
accepts every JSON document, jsonl line and csv row (its cells read as the types
the schema names) that the command prints; ``$defs`` names each kind of record.
The suite validates real output of every command and format against these files,
so a changed key is a changed schema. docs/output.md says the same in prose.
"""

from __future__ import annotations

import json
from importlib import resources

from netlab.errors import UsageError

COMMANDS = ("conns", "ping", "capture", "backlog", "reuseaddr-demo", "lab")


def text(command: str) -> str:
    """The schema of ``command`` as the JSON text shipped with netlab."""
    if command not in COMMANDS:
        raise UsageError(f"no schema for {command!r}", f"choose one of {', '.join(COMMANDS)}")
    return resources.files(__name__).joinpath(f"{command}.json").read_text(encoding="utf-8")


def load(command: str) -> dict:
    """The schema of ``command`` as a dict (for jsonschema.validate and the like)."""
    return json.loads(text(command))
