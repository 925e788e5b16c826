"""The console script: start what can run ahead, hand over to the typer app, exit fast.

Importing typer and click is most of a quiet start. `netlab conns` needs the owners
of every socket, a walk of /proc that does not depend on its options, so that
walk starts here, in a thread on the other core, before anything heavy is
imported (netlab.core.owners.prefetch; a no-op without the C walker).
"""

from __future__ import annotations

import os
import sys

# as netlab.errors; not imported from there to keep this module bare
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def needs_owner_walk(argv: list[str]) -> bool:
    """Whether these arguments run `netlab conns` with owning processes.

    -s/--summary counts sockets without owners, --pid walks one process, and
    --help walks nothing. conns's short options are all flags, so -s can only
    hide in a cluster such as -tas.
    """
    if argv[:1] != ["conns"]:
        return False
    for arg in argv[1:]:
        if arg == "--":
            break
        if arg in ("--summary", "--help", "-h") or arg.startswith("--pid"):
            return False
        if arg.startswith("-") and not arg.startswith("--") and ("s" in arg or "h" in arg):
            return False
    return True


def main() -> None:
    from netlab.cli import streams

    streams.install()  # before anything can print: stdout that reports a refused write
    try:
        if needs_owner_walk(sys.argv[1:]):
            from netlab.core import owners

            owners.prefetch()
        from netlab.cli.app import main as run

        run()
        status = 0
    except SystemExit as done:
        status = done.code
    except KeyboardInterrupt:  # Ctrl-C before the app's own guard was in place
        status = EXIT_INTERRUPTED
    except Exception as err:  # outside the app's guard: an install that cannot import, say
        if "--debug" in sys.argv or os.environ.get("NETLAB_DEBUG", "") not in ("", "0"):
            raise
        hint = "reinstall: bash scripts/install.sh" if isinstance(err, ImportError) else "run with --debug for the traceback"
        if sys.stderr is not None:
            print(f"netlab: error: internal error: {type(err).__name__}: {err} ({hint})", file=sys.stderr)
        status = EXIT_INTERNAL
    exit_without_teardown(status)


def exit_without_teardown(status: int | str | None) -> None:
    """Exit as sys.exit(status) would, without tearing the interpreter down.

    The teardown (modules, a last garbage collection, every object freed) was a
    large share of a short run, growing with the sockets listed. What a user could lose is done first: the atexit handlers
    (scapy's temporary files) and the flush of stdout and stderr. Commands
    close their own files, sockets and namespaces before they return.
    """
    if status is None:
        status = 0
    elif not isinstance(status, int):
        if sys.stderr is not None:
            print(status, file=sys.stderr)
        status = 1
    import atexit

    atexit._run_exitfuncs()  # what the teardown would have run first
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # the reader went away, or the write failed: recorded by streams
            pass
    status = _checked_output(status)
    os._exit(status)


def _checked_output(status: int) -> int:
    """``status``, or 2 with one line if the answer could not all be written and no error was given yet."""
    from netlab.cli import streams

    failed = streams.failure()
    if failed is None or status != 0:
        return status
    from netlab.errors import output_failed

    error = output_failed(failed)
    try:
        print(error.one_line(), file=sys.stderr, flush=True)
    except Exception:  # stderr refused too: the status still tells
        pass
    return int(error.exit_code)
