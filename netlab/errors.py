"""The error hierarchy: every failure a user can meet, with its exit code.

Engines raise these; the CLI guard (netlab.cli.app.main) prints them as one line,
``netlab: error: <what> (<hint>)``, and exits with the code. Exit codes:

  0  success
  1  the diagnosis is negative (no reply, nothing listening)
  2  bad input or usage; or the answer could not be written (a full disk, stdout closed)
  3  a missing privilege or capability
  70 an unexpected internal fault (run with --debug for the traceback)
  130 interrupted (Ctrl-C, SIGTERM) where no summary applies
"""

from __future__ import annotations


class ExitStatus(int):
    """Every exit code netlab uses; the documented list above, as names.

    An IntEnum's face: ``ExitStatus.USAGE == 2``, ``ExitStatus(2) is ExitStatus.USAGE``
    (ValueError for a code not listed), ``.name``, ``.value``, ``<ExitStatus.USAGE: 2>``
    for repr and ``2`` for str. Not an enum.IntEnum: enum and the modules it imports
    (functools, collections) were 3.7 ms of the 18 that `netlab capture --count` took to
    start, and a run on a small file is mostly start-up.
    """

    __slots__ = ()

    OK = 0
    NEGATIVE = 1
    USAGE = 2
    PRIVILEGE = 3
    INTERNAL = 70
    INTERRUPTED = 130

    def __new__(cls, code: int) -> ExitStatus:
        try:
            return _BY_CODE[code]
        except (KeyError, TypeError):
            raise ValueError(f"{code!r} is not a valid ExitStatus") from None

    @property
    def name(self) -> str:
        return _NAME_OF[self]

    @property
    def value(self) -> int:
        return int(self)

    def __repr__(self) -> str:
        return f"<ExitStatus.{self.name}: {int(self)}>"

    __str__ = int.__repr__


_NAME_OF = {code: name for name, code in vars(ExitStatus).items() if type(code) is int}
_BY_CODE = {code: int.__new__(ExitStatus, code) for code in _NAME_OF}
for _code, _name in _NAME_OF.items():
    setattr(ExitStatus, _name, _BY_CODE[_code])


class NetlabError(Exception):
    """Base class: a message, an optional hint, and the exit code."""

    exit_code = ExitStatus.INTERNAL

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = f"netlab: error: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return one_line(text)


def one_line(text: str) -> str:
    """Text for one line of a terminal: newlines become blanks, other control characters
    (a value's \\r, an escape sequence, a bidi override) are shown escaped, not obeyed."""
    text = text.replace("\n", " ")
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


class UsageError(NetlabError):
    """Bad input: an option value, an address, a name that does not exist."""

    exit_code = ExitStatus.USAGE


class PrivilegeError(NetlabError):
    """The operation needs root or a capability (CAP_NET_RAW, CAP_NET_ADMIN)."""

    exit_code = ExitStatus.PRIVILEGE


class NegativeResult(NetlabError):
    """The diagnosis itself is negative: no reply, nothing listening."""

    exit_code = ExitStatus.NEGATIVE


class EnvironmentProblem(NetlabError):
    """The machine lacks something we need (a kernel feature, a tool)."""

    exit_code = ExitStatus.USAGE


def output_failed(err: OSError) -> UsageError:
    """The one line for an answer the kernel would not take on standard output.

    A closed pipe (EPIPE) is not this: the reader went away and the command ends quietly.
    """
    import errno

    if err.errno == errno.EBADF:
        hint = "standard output is closed; give it a file or a pipe"
    elif err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "the disk is full or the file too big; write elsewhere"
    else:
        hint = "check where standard output goes"
    return UsageError(f"cannot write the output: {err.strerror}", hint)
