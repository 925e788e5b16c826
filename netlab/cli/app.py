"""The `netlab` command: the typer app, its sub-commands, and the top-level guard.

The guard (``main``) is the one place where exceptions become exit codes: a
NetlabError prints its one line, a usage error from click prints one line and
exits 2, Ctrl-C exits 130, a closed pipe ends quietly, and anything unexpected
prints one line and exits 70 (``--debug`` or NETLAB_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click
import typer

from netlab import __version__
from netlab.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, NetlabError

# Each module in netlab.cli named here defines ``register(app)``. Keep heavy
# imports (scapy, pcapy) inside the command bodies: `netlab --help` and
# `netlab conns` must start fast.
COMMAND_MODULES = ("conns", "capture")

app = typer.Typer(
    name="netlab",
    help="Network diagnostics and socket experiments: conns, ping, capture, backlog, reuseaddr-demo.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"netlab {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an unexpected internal error."),
) -> None:
    """netlab: network diagnostics and socket experiments."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"netlab.cli.{_name}")
    except ModuleNotFoundError as _err:
        # A command whose branch is not merged yet: leave it out rather than break every command.
        if _err.name != f"netlab.cli.{_name}":
            raise
        continue
    _module.register(app)


def _command_name(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("NETLAB_DEBUG", "") not in ("", "0")
    command = typer.main.get_command(app)
    try:
        rc = command.main(args=argv, prog_name="netlab", standalone_mode=False)
    except NetlabError as err:
        _say(err.one_line())
        rc = err.exit_code
    except click.exceptions.NoArgsIsHelpError as err:
        print(err.format_message())
        rc = EXIT_USAGE
    except click.exceptions.UsageError as err:
        rc = EXIT_USAGE
        sub = _command_name(argv)
        hint = f"see 'netlab {sub} --help'" if sub and err.ctx and err.ctx.info_name != "netlab" else "see 'netlab --help'"
        _say(f"netlab: error: {err.format_message()} ({hint})".replace("\n", " "))
    except click.exceptions.ClickException as err:
        _say(f"netlab: error: {err.format_message()}".replace("\n", " "))
        rc = err.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        rc = EXIT_INTERRUPTED
    except BrokenPipeError:
        rc = _quiet_pipe()
    except Exception as err:  # the last guard: one line, never a traceback unless asked
        if debug:
            traceback.print_exc()
        _say(f"netlab: error: internal error: {type(err).__name__}: {err} (run with --debug for the traceback)")
        rc = EXIT_INTERNAL
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        rc = _quiet_pipe()
    sys.exit(rc if isinstance(rc, int) else 0)


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except (BrokenPipeError, ValueError):
        pass


def _quiet_pipe() -> int:
    """The reader went away (`| head`): stop writing and exit without noise."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0
