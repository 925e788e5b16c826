"""`netlab schema COMMAND`: print the JSON Schema of a command's records (netlab.schemas)."""

from __future__ import annotations

import sys

import typer

from netlab import schemas
from netlab.cli import common
from netlab.cli.types import Text

HELP = f"""Print the JSON Schema (Draft 2020-12) of what COMMAND prints.

Every JSON document, jsonl line and csv row of COMMAND (csv cells read as the
types the schema names) validates against it; $defs names each kind of record.
docs/output.md describes the same keys in prose.

\b
COMMAND: {", ".join(schemas.COMMANDS)}.
"""

EXAMPLES = common.examples(
    ("netlab schema conns", "conns' json keys"),
    ("netlab schema ping > ping.json", "for a validator"),
    ("netlab schema capture | jq '.[\"$defs\"]|keys'", "its kinds of records"),
)


def register(app: typer.Typer) -> None:
    app.command(name="schema", help=HELP, epilog=EXAMPLES)(schema)


def schema(
    # Hidden from the Arguments section, where typer would add an escaped "\\[required]";
    # the help text above names the commands.
    command: str = typer.Argument(..., click_type=Text(), metavar="COMMAND", hidden=True,
                                  shell_complete=lambda _ctx, _param, incomplete: [
                                      c for c in schemas.COMMANDS if c.startswith(incomplete)]),
) -> None:
    sys.stdout.write(schemas.text(command))
