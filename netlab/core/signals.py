"""The signal calls netlab makes, taken from CPython's C module ``_signal``.

``import signal`` wraps these same functions so that they take and return enum
members, and builds those enums when imported: ~2 ms, a tenth of the start-up
of `netlab capture --count` (tests/cli/test_startup_imports.py keeps it off the
common command lines). Here the signal numbers are plain ints; every call is the
one ``signal`` would make.
"""

try:
    from _signal import (SIG_BLOCK, SIG_DFL, SIG_SETMASK, SIG_UNBLOCK, SIGINT, SIGQUIT, SIGTERM, pthread_sigmask,
                         signal)
except ImportError:  # a Python without the C module's name: the public module has them all
    from signal import (SIG_BLOCK, SIG_DFL, SIG_SETMASK, SIG_UNBLOCK, SIGINT, SIGQUIT, SIGTERM, pthread_sigmask,
                        signal)

__all__ = ["SIG_BLOCK", "SIG_DFL", "SIG_SETMASK", "SIG_UNBLOCK", "SIGINT", "SIGQUIT", "SIGTERM", "pthread_sigmask",
           "signal"]
