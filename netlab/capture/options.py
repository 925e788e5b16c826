"""tcpdump's line switches and the formatter options they mean: one mapping, for the CLI and the tests.

``Look`` holds the switches as the command line counts them (-q -e -v.. -t.. -#
-x.. -X.. -A.. -S -K); ``Look.options()`` turns them into the ``FormatOptions`` the
Formatter reads. The conformance tests parse tcpdump's arguments with the
capture command's own parser and map them here, so a drift in either shows
against tcpdump.
"""

from __future__ import annotations

from netlab.core.plain import Plain


class FormatOptions(Plain):
    """What the Formatter prints: tcpdump's switches as the printers read them."""

    DEFAULTS = {
        "quiet": False,         # -q
        "link": False,          # -e
        "verbose": 0,           # -v count
        "ts_mode": 0,           # 0 default HH:MM:SS.frac, 1 -t (none), 2 -tt, 3 -ttt, 4 -tttt, 5 -ttttt
        "nano": False,          # --nano precision (timestamps given in ns)
        "number": False,        # -#  ("%5u  " prefix)
        "hex_mode": None,       # "x","xx","X","XX","A","AA"
        "numeric": True,        # -n (we never resolve names; kept for completeness)
        "utc": False,           # tcpdump prints local time; tests run with TZ=GMT0
        "absolute_seq": False,  # -S: TCP seq/ack as on the wire, not relative to the first
        "no_checksums": False,  # -K: don't verify IP, TCP or UDP checksums (with -v)
    }
    FIELDS = tuple(DEFAULTS)
    __slots__ = FIELDS


class Look(Plain):
    """tcpdump's line switches: -q -e -v -t.. -# -x/-X/-A -S -K (the counted ones as counts)."""

    DEFAULTS = {"quiet": False, "link": False, "verbose": 0, "stamps": 0, "number": False, "hex_x": 0, "hex_ascii": 0,
                "ascii_only": 0, "absolute_seq": False, "no_checksums": False}
    FIELDS = tuple(DEFAULTS)
    __slots__ = FIELDS

    @classmethod
    def from_params(cls, params: dict) -> "Look":
        """The switches from a parsed command line (the capture command's parameter names)."""
        return cls(**{name: params[name] for name in cls.FIELDS})

    def hex_mode(self) -> str | None:
        # tcpdump's precedence: -X over -x over -A; doubling adds the link header.
        for letter, times in (("X", self.hex_ascii), ("x", self.hex_x), ("A", self.ascii_only)):
            if times:
                return letter * min(times, 2)
        return None

    def options(self, nano: bool, utc: bool = False) -> FormatOptions:
        return FormatOptions(quiet=self.quiet, link=self.link, verbose=self.verbose, ts_mode=min(self.stamps, 5),
                             nano=nano, number=self.number, hex_mode=self.hex_mode(), numeric=True, utc=utc,
                             absolute_seq=self.absolute_seq, no_checksums=self.no_checksums)
