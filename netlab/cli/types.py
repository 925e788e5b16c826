"""The types of every option value: each value is checked where click parses it.

Every command declares its options with these types (a test holds every option to
it), so a bad value is refused before a command body runs, always in one line:

    netlab: error: invalid OPTION VALUE (HINT)        exit 2

one HINT per kind of refusal:

- ``Integer(low, high)``: ASCII digits with an optional sign, from low to high:
  "give an integer from LOW to HIGH". int() alone takes '１' (a full-width 1) and
  '1_000', and str.isdigit() takes '²', which int() refuses.
- ``Seconds(low, high)``: an ASCII decimal number, finite, from low to high:
  "give seconds from LOW to HIGH". float() alone takes 'inf', 'nan' and '1e999'.
- ``IntegerList(low, high)``: such integers separated by commas:
  "give integers from LOW to HIGH, separated by commas".
- ``Text()``: text that is valid UTF-8: "not valid UTF-8". Python hands argv bytes
  that are not UTF-8 over as surrogate escapes, which no name, address or filter
  can hold: encoding them later failed deep inside a library.
  ``Text(needed)`` also refuses an empty value: "give NEEDED" (-i '' captured on
  the default interface, -I '' was ignored).
- ``Word(words, hint)``: one word of a vocabulary, in any case (as tcpdump compares
  them): "HINT". ``words`` is the list, or a function that knows them (libpcap's link
  type and time stamp type names). The value comes back as typed.
- ``Spec(parse)``: a value with a small grammar of its own (capture's --stats io,1
  and --follow tcp,0), which ``parse`` reads into the engine's value; its
  ValueError names what to give: "HINT".
- ``FileName(standard)``: a path, which may hold any bytes (Linux names are bytes)
  but cannot be empty: "give a file name, or '-' for standard input/output".
"""

from __future__ import annotations

import math
import re
from typing import Callable, NoReturn, Sequence

import click

from netlab.errors import UsageError

INT32_MAX = 2**31 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")  # [0-9] on a str pattern: ASCII digits only
_HEX = re.compile(r"0[xX][0-9a-fA-F]+\Z")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
_MAX_DIGITS = 40  # longer is out of every range; int() refuses past 4300 digits anyway
_SHOWN_CHARS = 60  # a longer value is cut in the error line


def option_name(param: click.Parameter | None) -> str:
    """How the error line names an option: all its spellings (-c/--count), or an argument's METAVAR."""
    if param is None:
        return "value"
    if isinstance(param, click.Argument):
        return (param.metavar or param.name or "value").upper().strip(".[]")
    return "/".join(sorted(param.opts, key=lambda name: name.startswith("--")))  # -p/--port


def shown(value: object) -> str:
    """The value as the user typed it, quoted, on one line: bytes that are not UTF-8 as \\xNN."""
    text = str(value)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no argv byte makes: given in-process
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > _SHOWN_CHARS:
        text = text[:_SHOWN_CHARS] + "..."
    return "'" + "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text) + "'"


def refuse(param: click.Parameter | None, value: object, hint: str) -> NoReturn:
    """The one refusal of a bad option value: exit 2, ``invalid OPTION VALUE (HINT)``."""
    raise UsageError(f"invalid {option_name(param)} {shown(value)}", hint)


def undecodable(text: str) -> bool:
    """Whether this argument held bytes that are not UTF-8 (Python's surrogate escapes)."""
    return any("\ud800" <= c <= "\udfff" for c in text)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class Integer(click.ParamType):
    """An integer from ``low`` to ``high``, written in ASCII digits (``hex``: or as 0x..)."""

    name = "integer"

    def __init__(self, low: int, high: int = INT32_MAX, hex: bool = False):
        self.low, self.high, self.hex = low, high, hex

    @property
    def hint(self) -> str:
        return f"give an integer from {self.low} to {self.high}" + (", decimal or 0x hex" if self.hex else "")

    def _parse(self, text: str) -> int | None:
        if len(text) > _MAX_DIGITS:
            return None
        if _INTEGER.match(text):
            return int(text, 10)
        if self.hex and _HEX.match(text):
            return int(text, 16)
        return None

    def valid(self, text: str) -> bool:
        """Whether click takes this text: what the property tests check refusals against."""
        number = self._parse(text)
        return number is not None and self.low <= number <= self.high

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):  # a default
            number = value
        else:
            number = self._parse(str(value))
            if number is None:
                refuse(param, value, self.hint)
        if not self.low <= number <= self.high:
            refuse(param, value, self.hint)
        return number


class Seconds(click.ParamType):
    """A finite number of seconds from ``low`` to ``high``, written as an ASCII decimal."""

    name = "float"  # what --help has always shown

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    @property
    def hint(self) -> str:
        return f"give seconds from {_number(self.low)} to {_number(self.high)}"

    def valid(self, text: str) -> bool:
        return bool(_DECIMAL.match(text)) and math.isfinite(float(text)) and self.low <= float(text) <= self.high

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            if not _DECIMAL.match(str(value)):
                refuse(param, value, self.hint)
            number = float(str(value))
        # nan fails both comparisons; inf (also from '1e999') fails the bound
        if not (math.isfinite(number) and self.low <= number <= self.high):
            refuse(param, value, self.hint)
        return number


class IntegerList(click.ParamType):
    """Integers from ``low`` to ``high``, separated by commas (blanks around them allowed)."""

    name = "list"

    def __init__(self, low: int, high: int):
        self.item = Integer(low, high)
        self.hint = f"give integers from {low} to {high}, separated by commas"

    def valid(self, text: str) -> bool:
        return all(self.item.valid(part.strip(" ")) for part in text.split(","))

    def convert(self, value, param, ctx) -> list[int]:
        if isinstance(value, list):
            return value
        if not self.valid(str(value)):
            refuse(param, value, self.hint)
        return [int(part) for part in str(value).split(",")]


class Text(click.ParamType):
    """Text that is valid UTF-8: a name, an address, a filter, a list.

    ``needed``: what the option names ("an interface name"); then an empty value is
    refused too, where it would otherwise mean the option was not given.
    """

    name = "text"

    def __init__(self, needed: str | None = None):
        self.needed = needed

    def valid(self, text: str) -> bool:
        return not undecodable(text) and (text != "" or self.needed is None)

    def convert(self, value, param, ctx) -> str:
        text = str(value)
        if undecodable(text):
            refuse(param, value, "not valid UTF-8")
        if not text and self.needed is not None:
            refuse(param, value, f"give {self.needed}")
        return text


class Word(Text):
    """One word of a vocabulary (-Q in|out|inout, a link type name), compared case-insensitively."""

    def __init__(self, words: Sequence[str] | Callable[[str], bool], hint: str):
        super().__init__()
        if callable(words):
            self._known = words
        else:
            folded = {word.casefold() for word in words}
            self._known = lambda text: text.casefold() in folded
        self.hint = hint

    def valid(self, text: str) -> bool:
        return super().valid(text) and self._known(text)

    def convert(self, value, param, ctx) -> str:
        text = super().convert(value, param, ctx)  # bytes that are not UTF-8: "not valid UTF-8"
        if not self._known(text):  # the empty word too
            refuse(param, value, self.hint)
        return text


class FileName(click.ParamType):
    """A file name: any bytes but none at all; '-' is standard input or output."""

    name = "file"

    def __init__(self, standard: str | None = None):
        # standard: "input" or "output" where '-' means that stream; None where it means nothing
        self.hint = "give a file name" + (f", or '-' for standard {standard}" if standard else "")

    def valid(self, text: str) -> bool:
        return text != ""

    def convert(self, value, param, ctx) -> str:
        text = str(value)
        if not text:
            refuse(param, value, self.hint)
        return text


class Spec(click.ParamType):
    """Text read by ``parse`` (valid UTF-8 first); parse's ValueError is the hint of the refusal."""

    name = "text"

    def __init__(self, parse):
        self.parse = parse

    def valid(self, text: str) -> bool:
        try:
            self.parse(text)
        except ValueError:
            return False
        return not undecodable(text)

    def convert(self, value, param, ctx):
        if not isinstance(value, str):  # a default, or a value already read
            return value
        if undecodable(value):
            refuse(param, value, "not valid UTF-8")
        try:
            return self.parse(value)
        except ValueError as err:
            refuse(param, value, str(err))


PID_MAX = 2**22  # the kernel's PID_MAX_LIMIT: no pid_max can be set higher
