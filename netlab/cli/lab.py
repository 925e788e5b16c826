"""`netlab lab`: the claims of the socket study notes, checked against this kernel (engine: netlab.lab.experiments)."""

from __future__ import annotations

import os
import sys

import typer

from netlab import output
from netlab.cli import common
from netlab.cli.types import FileName, Text
from netlab.errors import ExitStatus, UsageError

# jsonl: one line per experiment as it finishes, the others once every one is in.
FORMATS = ("table", "json", "jsonl")

HELP = """Run the experiments of the socket study notes and judge each claim.

Each experiment makes real sockets in a private network namespace (as root;
otherwise on loopback in this namespace, saying so), captures their packets,
reads their states from the kernel, and judges each claim of the notes from
that evidence: holds, partly holds, does not hold, depends (on what), or not
measured.

\b
NAME: one or more experiments, 'all' for every one, or 'list' to list the
      experiments and their claims without running anything.
"""

EXAMPLES = common.examples(
    ("netlab lab list", "the experiments and the claims they check"),
    ("netlab lab handshake", "one experiment, with its ladder diagram"),
    ("netlab lab all --report lab.md", "every claim, and a Markdown report"),
)


def register(app: typer.Typer) -> None:
    app.command(name="lab", help=HELP, epilog=EXAMPLES, no_args_is_help=True)(lab)


def lab(
    names: list[str] = typer.Argument(..., click_type=Text(), metavar="NAME...", hidden=True),
    fmt: str = common.format_option(FORMATS, "-f", help="table (default), json or jsonl (a line per "
                                                        "experiment as it finishes)."),
    report: str = typer.Option(None, "--report", "-r", click_type=FileName(), metavar="FILE",
                               help="Also write a Markdown report to FILE."),
    loopback: bool = typer.Option(False, "--loopback",
                                  help="Run on loopback in this namespace even as root."),
    wait_timewait: bool = typer.Option(False, "--wait-timewait",
                                       help="teardown: also watch TIME-WAIT to its end (about 60 s)."),
) -> ExitStatus:
    from netlab.lab import experiments
    from netlab.lab.experiments import text

    common.check_format(fmt, FORMATS)
    if "list" in names:
        if len(names) > 1 or report:
            raise UsageError("'list' runs nothing", "give it alone: netlab lab list")
        listings = [experiments.get(name).listing() for name in experiments.NAMES]
        _print_all(listings, fmt, text.listing_table)
        return ExitStatus.OK
    chosen = experiments.parse(names)  # every bad name fails before any experiment runs
    if report:
        _check_writable(report)
    from netlab.core import netns, privilege

    private = netns.available() and not loopback
    if not private:
        why = "--loopback" if loopback else "not root"
        capture = "" if privilege.can_raw() else "; packets are not captured, so claims about the wire are not measured"
        print(f"netlab: note: {why}: experiments run on loopback in this network namespace{capture}", file=sys.stderr)
    results = []
    if wait_timewait and "teardown" in chosen and sys.stderr.isatty():
        print("netlab: teardown waits for TIME-WAIT to end, about 60 s (Ctrl-C stops it)", file=sys.stderr)
    for result in experiments.stream(chosen, private=private, wait_timewait=wait_timewait):
        record = result.as_dict()
        results.append(record)
        if fmt == "jsonl":
            common.emit(output.to_jsonl_line(record))
        elif fmt == "table":
            common.emit(text.experiment(record) + "\n")
    if fmt == "json":
        common.emit(output.to_json(results))
    elif fmt == "table":
        common.emit("== verdicts\n" + text.verdict_table(results))
    if report:
        from netlab.lab.experiments import report as markdown

        # the name as text: a file name may hold bytes that are not UTF-8 (shown as \xNN)
        shown = os.fsencode(report).decode("utf-8", "backslashreplace")
        markdown.write(report, results, "netlab lab " + " ".join(names) + f" --report {shown}")
        print(f"netlab: report written to {shown}", file=sys.stderr)
    return ExitStatus.OK


def _print_all(records: list[dict], fmt: str, table) -> None:
    if fmt == "table":
        common.emit(table(records))
    elif fmt == "json":
        common.emit(output.to_json(records))
    else:
        for record in records:
            common.emit(output.to_jsonl_line(record))


def _check_writable(path: str) -> None:
    """A report that cannot be written fails before the experiments run, not after."""
    import os

    folder = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path) or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write the report to {path!r}", "give a file in a writable directory")
