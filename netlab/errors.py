"""The error hierarchy: every failure a user can meet, with its exit code.

Engines raise these; the CLI guard (netlab.cli.app.main) prints them as one line,
``netlab: error: <what> (<hint>)``, and exits with the code. Exit codes:

  0  success
  1  the diagnosis is negative (no reply, nothing listening)
  2  bad input or usage
  3  a missing privilege or capability
  70 an unexpected internal fault (run with --debug for the traceback)
  130 interrupted where no summary applies
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_PRIVILEGE = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class NetlabError(Exception):
    """Base class: a message, an optional hint, and the exit code."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = f"netlab: error: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text.replace("\n", " ")


class UsageError(NetlabError):
    """Bad input: an option value, an address, a name that does not exist."""

    exit_code = EXIT_USAGE


class PrivilegeError(NetlabError):
    """The operation needs root or a capability (CAP_NET_RAW, CAP_NET_ADMIN)."""

    exit_code = EXIT_PRIVILEGE


class NegativeResult(NetlabError):
    """The diagnosis itself is negative: no reply, nothing listening."""

    exit_code = EXIT_NEGATIVE


class EnvironmentProblem(NetlabError):
    """The machine lacks something we need (a kernel feature, a tool)."""

    exit_code = EXIT_USAGE
