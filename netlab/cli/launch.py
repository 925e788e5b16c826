"""The console script: start what can run ahead, take the fast lane or the typer app, exit fast.

Importing typer and click is most of a quiet start: the common command lines of
capture, conns and ping run without them (netlab.cli.fastlane), the rest through
the typer app. `netlab conns` needs the owners
of every socket, a walk of /proc that does not depend on its options, so that
walk starts here, in a thread on the other core, before anything heavy is
imported (netlab.core.owners.prefetch; a no-op without the C walker).
"""

from __future__ import annotations

import os
import sys

from netlab.core import signals

# as netlab.errors; not imported from there to keep this module bare
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def _terminated(signum, frame):
    raise KeyboardInterrupt  # SIGTERM unwinds as Ctrl-C does: every finally runs, the namespaces go


def _deliver_again(unraisable) -> None:
    """sys.unraisablehook: a Ctrl-C or SIGTERM must not be lost in a side callback.

    A signal handler raises in whatever Python code runs at that moment; when that
    is a callback the interpreter runs on the side (a weakref callback in the
    import machinery, a __del__), Python prints "Exception ignored in ..." with a
    traceback and carries on as if nothing had come. Instead, the interrupt is
    raised again from a thread of its own: that thread runs once this one lets go
    of the GIL, back in the program's code, where the KeyboardInterrupt lands.
    (Raised from here, by os.kill or interrupt_main, it would land in this hook
    and be lost the same way; should it land in another side callback, this hook
    sends it once more.)
    """
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        import _thread  # built in: no import machinery needed, which may be what was interrupted

        _thread.start_new_thread(_thread.interrupt_main, (signals.SIGINT,))
        return
    sys.__unraisablehook__(unraisable)


def handle_interruptions() -> None:
    """SIGTERM ends a run as Ctrl-C does, and neither is held back any more.

    Run first, before anything that could leave something behind. Python's own
    SIGTERM action kills at once, skipping the finally blocks that delete the
    namespaces, stop the servers and complete a pcap file. A launcher may start
    Python with both signals blocked (the interpreter's start-up cannot print a
    traceback then); a signal that came meanwhile is raised here, in main's try.
    """
    signals.signal(signals.SIGTERM, _terminated)
    sys.unraisablehook = _deliver_again
    signals.pthread_sigmask(signals.SIG_UNBLOCK, {signals.SIGINT, signals.SIGTERM})


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
    try:
        status = _run()
    except KeyboardInterrupt:  # it came while _run was already ending (in one of its except clauses)
        status = EXIT_INTERRUPTED
    exit_without_teardown(status)


def _run() -> int | str | None:
    try:
        handle_interruptions()
        from netlab.cli import streams

        streams.install()  # before anything can print: stdout that reports a refused write
        if needs_owner_walk(sys.argv[1:]):
            from netlab.core import owners

            owners.prefetch()
        status = None
        if os.environ.get("NETLAB_FASTLANE", "") != "0":  # 0: every command line through typer (to compare)
            from netlab.cli import fastlane

            status = fastlane.run(sys.argv[1:])
        if status is None:  # not a fast-lane command line: typer parses it
            from netlab.cli.app import main as run

            run()
            status = 0
    except SystemExit as done:
        status = done.code
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM before the app's own guard was in place
        status = EXIT_INTERRUPTED
    except Exception as err:  # outside the app's guard: an install that cannot import, say
        if "--debug" in sys.argv or os.environ.get("NETLAB_DEBUG", "") not in ("", "0"):
            raise
        hint = "reinstall: bash scripts/install.sh" if isinstance(err, ImportError) else "run with --debug for the traceback"
        if sys.stderr is not None:
            print(f"netlab: error: internal error: {type(err).__name__}: {err} ({hint})", file=sys.stderr)
        status = EXIT_INTERNAL
    return status


def exit_without_teardown(status: int | str | None) -> None:
    """Exit as sys.exit(status) would, without tearing the interpreter down.

    The teardown (modules, a last garbage collection, every object freed) was a
    large share of a short run, growing with the sockets listed. What a user could lose is done first: the atexit handlers
    (scapy's temporary files) and the flush of stdout and stderr. Commands
    close their own files, sockets and namespaces before they return.
    """
    # From here on a Ctrl-C or SIGTERM ends the process at once, as the kernel does it:
    # there is nothing left to clean, and a KeyboardInterrupt now would be a traceback.
    signals.signal(signals.SIGINT, signals.SIG_DFL)
    signals.signal(signals.SIGTERM, signals.SIG_DFL)
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
