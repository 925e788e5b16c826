"""What every command's CLI shares, so each command module is options -> engine -> output.

- ``examples``: the Examples block that ends every --help;
- ``format_option`` / ``check_format``: the --format option and its one error line;
- ``check_watch``: -n/--iterations N only with --watch SECONDS;
- ``every``: the bounded pacing of a --watch loop;
- ``emit``: one block of text to stdout, flushed;
- ``handling``: signal handlers for a block, restored after it;
- ``quiet_pipe``: the reader went away (``| head``): end quietly.

Exceptions become exit codes in one place only: netlab.cli.guard. No click or typer at
import: the command bodies (netlab.commands) use this module.
"""

from __future__ import annotations

import os
import sys
import time

from netlab.core import signals
from netlab.errors import ExitStatus, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: collections (1.4 ms) is not imported at start-up
    from collections.abc import Callable, Iterator, Mapping, Sequence

WATCH_HELP = "Redraw every SECONDS until Ctrl-C (or -n redraws)."
ITERATIONS_HELP = "With --watch: stop after N redraws."


def _choices(allowed: Sequence[str]) -> str:
    return allowed[0] if len(allowed) == 1 else ", ".join(allowed[:-1]) + " or " + allowed[-1]


def examples(*pairs: tuple[str, str]) -> str:
    """An --help epilog: "Examples:" then each command with its comment, aligned.

    Click rewraps help paragraphs; the \\b line before one keeps it as written.
    """
    width = max(len(command) for command, _ in pairs)
    lines = [f"  {command.ljust(width)}  # {why}" for command, why in pairs]
    return "\b\nExamples:\n" + "\n".join(lines)


def format_option(allowed: Sequence[str], *flags: str, help: str | None = None):
    """The --format option (plus any short ``flags``) over these formats, table first."""
    # imported here: the command bodies use this module, and the fast lane runs them without typer
    import typer

    from netlab.cli.types import Text

    text = help or f"Output format: {_choices(allowed)}."
    return typer.Option(allowed[0], *flags, "--format", click_type=Text(), metavar="FORMAT", show_default=False,
                        help=text)


def check_format(fmt: str, allowed: Sequence[str], context: str = "") -> str:
    """``fmt`` if it is one of ``allowed``; else the one error every command gives."""
    if fmt not in allowed:
        where = f" {context}" if context else ""
        raise UsageError(f"unknown format {fmt!r}{where}", f"use {_choices(allowed)}")
    return fmt


def check_watch(seconds: float | None, iterations: int | None) -> tuple[float | None, int | None]:
    """--iterations N only with --watch SECONDS (their types check each value: netlab.cli.types)."""
    if iterations is not None and seconds is None:
        raise UsageError("--iterations needs --watch", "add --watch SECONDS")
    return seconds, iterations


def every(seconds: float, iterations: int | None) -> Iterator[int]:
    """Yield 0, 1, 2, ... one per ``seconds`` (the first at once), ``iterations`` times.

    Paced by the clock, not by sleeps, so a slow step does not stretch the period.
    Without ``iterations`` it runs until the caller stops (Ctrl-C).
    """
    start = time.monotonic()
    n = 0
    while iterations is None or n < iterations:
        yield n
        n += 1
        if iterations is not None and n >= iterations:
            return
        time.sleep(max(0.0, start + n * seconds - time.monotonic()))


def emit(text: str | bytes) -> None:
    """One block of output, with its newline, flushed now (a watcher sees it at once).

    Bytes are UTF-8 (megabytes of JSON written in C) and go to stdout's binary buffer as they are.
    Started with stdout closed (``>&-``) Python has no sys.stdout: nothing to write on.
    """
    if sys.stdout is None:
        return
    buffer = getattr(sys.stdout, "buffer", None)  # none: a stream replaced by a str one
    if isinstance(text, bytes):
        if buffer is None:
            text = text.decode()
        else:
            sys.stdout.flush()  # what was written as text goes first
            buffer.write(text)
            buffer.write(b"\n")
            buffer.flush()
            return
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class handling:
    """``with handling(handlers):`` these signal handlers for the block; the old ones back after it.

    A class, not a contextlib.contextmanager: contextlib is ~0.5 ms of the start-up of every command.
    """

    def __init__(self, handlers: Mapping[int, Callable]):
        self._handlers = handlers
        self._saved: dict = {}

    def __enter__(self) -> None:
        for sig, handler in self._handlers.items():
            self._saved[sig] = signals.signal(sig, handler)

    def __exit__(self, *exc) -> None:
        for sig, handler in self._saved.items():
            signals.signal(sig, handler)


def quiet_pipe() -> ExitStatus:
    """The reader went away (``| head``): point stdout at /dev/null and end with 0.

    Nothing still buffered can fail a second time at exit. A command catches
    BrokenPipeError itself where click would otherwise turn it into exit 1.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    return ExitStatus.OK


CLEAR_SCREEN = "\x1b[H\x1b[2J"


def redraw(banner: str, text: str) -> None:
    """One --watch redraw of a table under its banner line, flushed.

    On a terminal the screen is cleared first, so the table stays in place, as
    watch(1) shows it; in a file or a pipe a blank line follows instead, so the
    redraws stay apart. Only tables get a banner: a json or csv redraw is the
    document alone (``emit``), so a script reads a stream of documents.
    """
    if sys.stdout is None:  # started with stdout closed (>&-): nothing to draw on
        return
    if sys.stdout.isatty():
        sys.stdout.write(f"{CLEAR_SCREEN}{banner}\n{text}\n")
    else:
        sys.stdout.write(f"{banner}\n{text}\n\n")
    sys.stdout.flush()


def stop_then_interrupt(stop: Callable[[], None],
                        numbers: Sequence[int] = (signals.SIGINT, signals.SIGTERM)) -> dict:
    """Handlers for ``handling``: the first of these signals calls ``stop``, a second is final.

    ``stop`` only asks: the command drains what it has, prints its summary (tcpdump's
    counts) and exits as usual. A second signal raises KeyboardInterrupt (exit 130), for a
    stream that does not stop.
    """
    fired = False

    def handler(signum, frame):
        nonlocal fired
        if fired:
            raise KeyboardInterrupt
        fired = True
        stop()

    return {sig: handler for sig in numbers}
