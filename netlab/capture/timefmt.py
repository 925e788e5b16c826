"""tcpdump's timestamp column: default, -t, -tt, -ttt, -tttt, -ttttt, with --nano.

The stamp is rebuilt from a per-second cache: localtime() is dearer than the
whole rest of a line, and packets arrive many to a second.
"""

from __future__ import annotations

import time

TS_DEFAULT, TS_NONE, TS_UNIX, TS_DELTA, TS_DATE, TS_SINCE_FIRST = range(6)
TIME_ERROR = "[Error converting time]"  # tcpdump's text for a stamp it cannot show


def clock_at(conv, sec: int, with_date: bool) -> str | None:
    """clock_text() of conv(sec) (localtime or gmtime), or None where tcpdump prints TIME_ERROR.

    tcpdump refuses a second count whose low 32 bits have the top bit set (a negative
    32-bit time), and any the C library cannot convert (a damaged pcapng stamp can
    be thousands of years away).
    """
    if sec & 0x80000000:
        return None
    try:
        return clock_text(conv(sec), with_date)
    except (OverflowError, OSError, ValueError):
        return None


def clock_text(tm: time.struct_time, with_date: bool) -> str:
    """The whole-second part of a default stamp (HH:MM:SS) or a -tttt one (date first).

    Called once per second of capture time, by TimeFormatter and by the decoder's
    fast line builder, which keep their own per-second caches around it.
    """
    if with_date:
        return "%04d-%02d-%02d %02d:%02d:%02d" % tm[:6]
    return "%02d:%02d:%02d" % tm[3:6]


class TimeFormatter:
    """Callable(ts_sec, ts_frac) -> the stamp text tcpdump prints, trailing space included."""

    __slots__ = ("mode", "nano", "_conv", "_sec", "_prefix", "_scale", "_fmt", "_ref")

    def __init__(self, mode: int = TS_DEFAULT, nano: bool = False, utc: bool = False):
        self.mode = mode
        self.nano = nano
        self._conv = time.gmtime if utc else time.localtime
        self._sec = None
        self._prefix = ""
        self._scale = 1_000_000_000 if nano else 1_000_000
        self._fmt = "%s.%09u " if nano else "%s.%06u "
        self._ref = None  # previous (-ttt) or first (-ttttt) stamp, as (sec, frac)

    def format(self, sec: int, frac: int) -> str:
        mode = self.mode
        if mode == TS_DEFAULT or mode == TS_DATE:
            if sec != self._sec:
                self._prefix = clock_at(self._conv, sec, mode == TS_DATE)
                self._sec = sec
            if self._prefix is None:
                return TIME_ERROR + " "
            return self._fmt % (self._prefix, frac)
        if mode == TS_NONE:
            return ""
        if mode == TS_UNIX:
            if sec & 0x80000000:
                return TIME_ERROR + " "
            return self._fmt % (sec & 0xFFFFFFFF, frac)
        # -ttt / -ttttt: a difference, printed as HH:MM:SS.frac after a sign column.
        # Done as tcpdump does it (netdissect_timevalsub: one borrow, fractions as
        # signed 32-bit values), so that even invalid fractions print the same.
        if frac & 0x80000000:
            frac -= 1 << 32
        ref = self._ref
        if ref is None:
            ref = (sec, frac)
            self._ref = ref
        if mode == TS_DELTA:
            self._ref = (sec, frac)
        if (sec, frac) < ref:
            sign = "-"
            a, b = ref, (sec, frac)
        else:
            sign = " "
            a, b = (sec, frac), ref
        dsec = a[0] - b[0]
        dfrac = a[1] - b[1]
        if dfrac < 0:
            dsec -= 1
            dfrac += self._scale
        clock = clock_at(time.gmtime, dsec, False)
        if clock is None:
            return sign + TIME_ERROR + " "
        return sign + self._fmt % (clock, dfrac & 0xFFFFFFFF)
