"""Ping statistics computed exactly as iputils computes them.

iputils keeps RTTs as integer microseconds and sums them (replies and
duplicates alike); its mdev is the integer square root of
``(sum2 - sum*sum/n) / n`` in integer arithmetic, and its ewma is kept
multiplied by 8. Doing the same arithmetic makes our numbers the same
digits as ping's for the same RTTs.
"""

from __future__ import annotations

import math
import struct


NO_MIN = 1 << 62  # iputils starts tmin at LONG_MAX


class RttStats:
    """Counters and RTT sums for one target (microseconds, as iputils)."""

    __slots__ = ("transmitted", "received", "duplicates", "errors", "tmin", "tmax", "tsum", "tsum2", "ewma8",
                 "pipesize")

    def __init__(self) -> None:
        self.transmitted = 0
        self.received = 0
        self.duplicates = 0
        self.errors = 0
        self.tmin = NO_MIN
        self.tmax = 0
        self.tsum = 0
        self.tsum2 = 0
        self.ewma8 = 0
        self.pipesize = 0

    def add_rtt(self, us: int) -> None:
        """Account one RTT sample (a reply or a duplicate), as gather_statistics() does."""
        if us < self.tmin:
            self.tmin = us
        if us > self.tmax:
            self.tmax = us
        self.tsum += us
        self.tsum2 += us * us
        self.ewma8 = us * 8 if not self.ewma8 else self.ewma8 + us - self.ewma8 // 8

    def min_us(self) -> int:
        return 0 if self.tmin == NO_MIN else self.tmin

    @property
    def samples(self) -> int:
        return self.received + self.duplicates

    def avg_us(self) -> int:
        return self.tsum // self.samples if self.samples else 0

    def mdev_us(self) -> int:
        n = self.samples
        if not n:
            return 0
        if self.tsum < 2**31 - 1:
            var = (self.tsum2 - (self.tsum * self.tsum) // n) // n
        else:
            avg = self.tsum // n
            var = self.tsum2 // n - avg * avg
        return math.isqrt(max(var, 0))

    def loss_pct(self) -> float:
        """Loss as iputils prints it: a C float, formatted with %g."""
        if not self.transmitted:
            return 0.0
        value = (self.transmitted - self.received) * 100.0 / self.transmitted
        return struct.unpack("f", struct.pack("f", value))[0]


def ms3(us: int) -> str:
    """Microseconds as iputils' "%ld.%03ld" milliseconds (truncated, never rounded)."""
    return f"{us // 1000}.{us % 1000:03d}"


def loss_text(pct: float) -> str:
    return "%g%%" % pct
