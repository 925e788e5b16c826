"""Standard output that cannot fail silently, and standard files that are always there.

coreutils' rule: a tool that cannot write its answer says so and exits non-zero.
Python's own stdout loses that in two ways: started with stdout closed (``>&-``)
it has no sys.stdout at all (a print goes nowhere, or fails as an AttributeError),
and a write the kernel refuses (``>/dev/full``) surfaces as a bare OSError from
whatever line happened to print, or from the flush at exit.

``install()`` runs first thing in the console script (netlab.cli.launch):

- a closed fd 0, 1 or 2 gets /dev/null in its place, so the next file or socket
  opened cannot take that number and receive what was meant for the terminal.
  stdout's /dev/null is opened read-only: a write to it fails with EBADF, as it
  would on the closed descriptor. stderr's is writable: with ``2>&-`` the user
  threw the messages away, and the exit status still tells;
- sys.stdout writes through ``_Stdout``: the first write the kernel refuses
  raises netlab.errors.output_failed (one line, exit 2, through the guard);
  the rest of the output is dropped, and ``failure()`` still tells at exit,
  should some handler have swallowed the error.

A closed pipe (EPIPE, ``| head``) is left alone: it ends quietly (common.quiet_pipe).
"""

from __future__ import annotations

import io
import os
import sys


class _Stdout(io.FileIO):
    """fd 1 as the buffered sys.stdout writes to it: a refused write is raised once, as one line."""

    failed: OSError | None = None

    def write(self, data) -> int:
        if _Stdout.failed is not None:  # already told: the rest of the answer is lost too
            return len(data)
        try:
            return super().write(data)
        except BrokenPipeError:
            raise  # the reader went away: quiet (common.quiet_pipe)
        except OSError as err:
            _Stdout.failed = err
            from netlab.errors import output_failed

            raise output_failed(err) from None


def install() -> None:
    """Fill closed standard descriptors, then put sys.stdout (and a missing sys.stderr) on them."""
    closed = [fd for fd in (0, 1, 2) if not _is_open(fd)]
    for fd in closed:  # lowest first, so os.open returns exactly this fd
        placeholder = os.open(os.devnull, os.O_WRONLY if fd == 2 else os.O_RDONLY)
        if placeholder != fd:
            os.dup2(placeholder, fd)
            os.close(placeholder)
    old = sys.stdout
    raw = _Stdout(1, "w", closefd=False)
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(raw),
                                  encoding=old.encoding if old else None,
                                  errors=old.errors if old else None,
                                  line_buffering=old.line_buffering if old else False,
                                  write_through=old.write_through if old else False)  # python -u
    if sys.stderr is None:  # started with 2>&-: messages go to the /dev/null put there
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), errors="backslashreplace",
                                      line_buffering=True, write_through=True)


def failure() -> OSError | None:
    """The error of the first write to stdout that failed, if any did."""
    return _Stdout.failed


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
