"""The `netlab` command as typer parses it: the app, its sub-commands, click's errors as netlab's.

``main`` parses with click and runs under netlab.cli.guard, the one place where
exceptions become exit codes; click's own (a usage error: one line, exit 2) become
netlab's here.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable

import click
import typer

from netlab import __version__
from netlab.cli import common, guard
from netlab.cli.common import quiet_pipe
from netlab.errors import ExitStatus, NetlabError, UsageError

# Each command's module in netlab.cli defines ``register(app)``. Keep heavy
# imports (scapy, pcapy) inside the command bodies: `netlab --help` and
# `netlab conns` must start fast.
COMMANDS = {"conns": "conns", "ping": "ping", "capture": "capture", "backlog": "backlog",
            "reuseaddr-demo": "reuseaddr", "lab": "lab", "exporter": "exporter", "schema": "schema"}

app = typer.Typer(
    name="netlab",
    help="Network diagnostics and socket experiments: conns, ping, capture, backlog, reuseaddr-demo;\n"
         "lab checks the socket notes' claims, exporter serves metrics to Prometheus, schema prints\n"
         "the JSON Schema of each command's output.",
    epilog=common.examples(
        ("netlab conns -tl", "listening TCP sockets and their processes"),
        ("netlab ping -c 3 127.0.0.1", "is it up?"),
        ("netlab capture -i lo -c 10", "ten packets on loopback"),
        ("netlab COMMAND --help", "its options (man netlab-COMMAND)"),
    ),
    add_completion=True,
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


_registered: set[str] = set()


def register_commands(names: Iterable[str] | None = None) -> None:
    """Add these commands (all by default) to ``app``, each once.

    main() adds only the command it runs: importing and building all five
    would slow every start. Help and unknown commands get all of them.
    """
    for name in COMMANDS if names is None else names:
        if name not in _registered:
            importlib.import_module(f"netlab.cli.{COMMANDS[name]}").register(app)
            _registered.add(name)


# click 8.2 raises this for a bare `netlab` (no_args_is_help); 8.1 prints the help itself.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _command_name(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def _commands_needed(argv: list[str]) -> list[str] | None:
    """The command these arguments run, or None (all) for `netlab --help` and unknown commands."""
    name = _command_name(argv)
    if name not in COMMANDS or any(arg in ("-h", "--help") for arg in argv[:argv.index(name)]):
        return None
    return [name]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("NETLAB_DEBUG", "") not in ("", "0")
    register_commands(_commands_needed(argv))
    command = typer.main.get_command(app)
    sys.exit(guard.run(lambda: _parse_and_run(command, argv), debug))


def _parse_and_run(command: click.Command, argv: list[str]) -> int | None:
    """click parses and runs the command; its own exceptions become netlab's one line."""
    try:
        return command.main(args=argv, prog_name="netlab", standalone_mode=False)
    except SystemExit:
        # click answers a closed pipe (EPIPE) itself, even outside standalone mode:
        # it wraps stdout in its PacifyFlushWrapper and exits 1. A closed pipe ends quietly.
        # (click 8.4 calls the wrapper PacifyFlushWrapper, 8.5 _PacifyFlushWrapper)
        if not type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
            raise
        return quiet_pipe()
    except _NO_ARGS_IS_HELP as err:
        print(err.format_message())
        return ExitStatus.USAGE
    except click.UsageError as err:
        sub = _command_name(argv)
        # err.ctx is the command's context, or None where click lost it (an option's missing value)
        in_command = sub in COMMANDS and (err.ctx is None or err.ctx.info_name != "netlab")
        hint = f"see 'netlab {sub} --help'" if in_command else "see 'netlab --help'"
        raise UsageError(err.format_message(), hint) from None
    except click.ClickException as err:
        failure = NetlabError(err.format_message())
        failure.exit_code = err.exit_code
        raise failure from None
    except click.Abort:
        return ExitStatus.INTERRUPTED
