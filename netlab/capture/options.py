"""tcpdump's line switches and the formatter options they mean: one mapping, for the CLI and the tests.

``Look`` holds the switches as the command line counts them (-q -e -v.. -t.. -#
-x.. -X.. -A.. -S -K); ``Look.options()`` turns them into the ``FormatOptions`` the
Formatter reads. The conformance tests parse tcpdump's arguments with the
capture command's own parser and map them here, so a drift in either shows
against tcpdump.
"""

from __future__ import annotations

class _Options:
    """Plain slotted fields with defaults (FIELDS: name -> default), keyword-built, compared by value.

    Not dataclasses: that module alone would cost every `netlab capture` run a fifth of
    its start-up (it imports inspect, ast, dis and tokenize).
    """

    FIELDS: dict = {}
    __slots__ = ()

    def __init__(self, **given):
        unknown = given.keys() - self.FIELDS.keys()
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]}")
        for name, default in self.FIELDS.items():
            setattr(self, name, given.get(name, default))

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self.FIELDS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.FIELDS) + ")"


class FormatOptions(_Options):
    """What the Formatter prints: tcpdump's switches as the printers read them."""

    FIELDS = {
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
    __slots__ = tuple(FIELDS)


class Look(_Options):
    """tcpdump's line switches: -q -e -v -t.. -# -x/-X/-A -S -K (the counted ones as counts)."""

    FIELDS = {"quiet": False, "link": False, "verbose": 0, "stamps": 0, "number": False, "hex_x": 0, "hex_ascii": 0,
              "ascii_only": 0, "absolute_seq": False, "no_checksums": False}
    __slots__ = tuple(FIELDS)

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
