"""The one place where exceptions become exit codes, however a command was parsed.

``run(call, debug)`` runs a command (parsed by typer in netlab.cli.app, or by the
fast lane in netlab.cli.fastlane) and turns what it raises into its answer:

- a NetlabError prints its one line and exits with its code;
- Ctrl-C (or SIGTERM, which netlab.cli.launch makes a KeyboardInterrupt) exits 130,
  also when it came in the middle of an import and Python reported it wrapped;
- a closed pipe (``| head``) ends quietly with 0;
- anything unexpected prints one line and exits 70; ``--debug`` or NETLAB_DEBUG=1
  shows the traceback.

Nothing here imports click or typer: the fast lane must stay free of them.
"""

from __future__ import annotations

import sys

from netlab.cli.common import quiet_pipe
from netlab.errors import ExitStatus, NetlabError, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: collections (1.4 ms) is not imported at start-up
    from collections.abc import Callable


def run(call: Callable[[], int | None], debug: bool) -> int:
    """The exit status of ``call()``: its own, or the one of what it raised."""
    try:
        rc = call()
    except NetlabError as err:
        say(err.one_line())
        rc = err.exit_code
    except KeyboardInterrupt:
        rc = ExitStatus.INTERRUPTED
    except BrokenPipeError:
        rc = quiet_pipe()
    except Exception as err:  # the last guard: one line, never a traceback unless asked
        if _interrupted(err):
            rc = ExitStatus.INTERRUPTED
        else:
            if debug:
                import traceback  # only here: its imports cost start-up time

                traceback.print_exc()
            say(f"netlab: error: internal error: {type(err).__name__}: {err} (run with --debug for the traceback)")
            rc = ExitStatus.INTERNAL
    try:
        if sys.stdout is not None:  # None when started with stdout closed (>&-)
            sys.stdout.flush()
    except BrokenPipeError:
        rc = quiet_pipe()
    except NetlabError as err:  # the last of the answer did not go out (netlab.cli.streams)
        if rc == 0:
            say(err.one_line())
            rc = err.exit_code
    return int(rc) if isinstance(rc, int) else 0


def _interrupted(err: BaseException) -> bool:
    """Whether a Ctrl-C is behind this error: a KeyboardInterrupt raised inside an import
    comes back from the import machinery wrapped in another exception."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


def say(line: str) -> None:
    """One line on stderr, whatever it holds; nothing if stderr is gone."""
    try:
        print(one_line(line), file=sys.stderr)
    except (BrokenPipeError, ValueError):
        pass
