"""Stopping a run and asking for its status from a signal handler, safely.

A Python signal handler runs between bytecodes, while the loop may sit in
select() or poll() with a long timeout (PEP 475 retries it after the
handler). So the handler only sets a flag and writes a byte to a socketpair
that the loop watches: the loop wakes at once and reads the flag.
"""

from __future__ import annotations

import socket


class RunControl:
    def __init__(self) -> None:
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self.stopping = False
        self._status_wanted = False

    def fileno(self) -> int:
        """The end the loop watches (select/poll accept this object itself)."""
        return self._r.fileno()

    def stop(self) -> None:
        self.stopping = True
        self._wake()

    def request_status(self) -> None:
        self._status_wanted = True
        self._wake()

    def take_status_request(self) -> bool:
        """True once per request_status()."""
        if self._status_wanted:
            self._status_wanted = False
            return True
        return False

    def drain(self) -> None:
        """Empty the wake-up socket (after the loop saw it readable)."""
        try:
            while self._r.recv(64):
                pass
        except BlockingIOError:
            pass

    def _wake(self) -> None:
        try:
            self._w.send(b"!")
        except OSError:  # full (the loop is behind anyway) or closed (the run is over)
            pass

    def close(self) -> None:
        self._r.close()
        self._w.close()
