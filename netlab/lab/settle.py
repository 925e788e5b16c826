"""Waiting (bounded) until the kernel has finished with what an experiment just did.

Loopback handshakes and closes finish in microseconds but not inside the
system call that started them: an experiment looks again until what it sees
is final, and gives up after a limit so that no loop is unbounded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

T = TypeVar("T")
PAUSE_S = 0.002


@dataclass(slots=True)
class Settled(Generic[T]):
    value: T  # the last look
    ms: float  # how long the looking took
    settled: bool  # False: the limit passed first


def settle(look: Callable[[], T], done: Callable[[T | None, T], bool], limit: float,
           pause: float = PAUSE_S) -> Settled[T]:
    """Call ``look`` until ``done(previous, current)`` holds or ``limit`` seconds pass (previous is None at first)."""
    start = time.monotonic()
    previous = None
    while True:
        value = look()
        if done(previous, value):
            return Settled(value, ms_since(start), True)
        if time.monotonic() - start > limit:
            return Settled(value, ms_since(start), False)
        previous = value
        time.sleep(pause)


def ms_since(start: float) -> float:
    """Milliseconds since a time.monotonic() reading, to 0.1 ms."""
    return round((time.monotonic() - start) * 1000, 1)
