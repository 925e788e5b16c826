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
from collections.abc import Iterable

import click
import typer

from netlab import __version__
from netlab.cli import common
from netlab.cli.common import quiet_pipe
from netlab.errors import ExitStatus, NetlabError

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
    try:
        rc = command.main(args=argv, prog_name="netlab", standalone_mode=False)
    except SystemExit:
        # click answers a closed pipe (EPIPE) itself, even outside standalone mode:
        # it wraps stdout in its PacifyFlushWrapper and exits 1. A closed pipe ends quietly.
        # (click 8.4 calls the wrapper PacifyFlushWrapper, 8.5 _PacifyFlushWrapper)
        if not type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
            raise
        rc = quiet_pipe()
    except NetlabError as err:
        _say(err.one_line())
        rc = err.exit_code
    except _NO_ARGS_IS_HELP as err:
        print(err.format_message())
        rc = ExitStatus.USAGE
    except click.UsageError as err:
        rc = ExitStatus.USAGE
        sub = _command_name(argv)
        # err.ctx is the command's context, or None where click lost it (an option's missing value)
        in_command = sub in COMMANDS and (err.ctx is None or err.ctx.info_name != "netlab")
        hint = f"see 'netlab {sub} --help'" if in_command else "see 'netlab --help'"
        _say(f"netlab: error: {err.format_message()} ({hint})".replace("\n", " "))
    except click.ClickException as err:
        _say(f"netlab: error: {err.format_message()}".replace("\n", " "))
        rc = err.exit_code
    except (click.Abort, KeyboardInterrupt):
        rc = ExitStatus.INTERRUPTED
    except BrokenPipeError:
        rc = quiet_pipe()
    except Exception as err:  # the last guard: one line, never a traceback unless asked
        if debug:
            import traceback  # only here: its imports cost start-up time

            traceback.print_exc()
        _say(f"netlab: error: internal error: {type(err).__name__}: {err} (run with --debug for the traceback)")
        rc = ExitStatus.INTERNAL
    try:
        if sys.stdout is not None:  # None when started with stdout closed (>&-)
            sys.stdout.flush()
    except BrokenPipeError:
        rc = quiet_pipe()
    except NetlabError as err:  # the last of the answer did not go out (netlab.cli.streams)
        if rc == 0:
            _say(err.one_line())
            rc = err.exit_code
    sys.exit(rc if isinstance(rc, int) else 0)


def _say(line: str) -> None:
    from netlab.errors import one_line

    try:
        print(one_line(line), file=sys.stderr)
    except (BrokenPipeError, ValueError):
        pass

