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

from typing import Callable, NoReturn, Sequence

import click

from netlab.cli.values import (INT32_MAX, FileRule, IntegerRule, IntegersRule, SecondsRule, SpecRule, TextRule,
                               WordRule, undecodable)
from netlab.errors import UsageError

__all__ = ["INT32_MAX", "PID_MAX", "FileName", "Integer", "IntegerList", "Seconds", "Spec", "Text", "Word",
           "undecodable"]
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


class _Ruled(click.ParamType):
    """A click type over one rule of netlab.cli.values: ``valid`` and the fast lane's ``rule`` are the rule's."""

    rule: object

    def valid(self, text: str) -> bool:
        """Whether click takes this text: what the property tests check refusals against."""
        return self.rule.valid(text)

    def convert(self, value, param, ctx):
        if not isinstance(value, str):  # a default, or a value already read
            return value
        if not self.rule.valid(value):
            refuse(param, value, self.rule.hint)
        return self.rule.parse(value)


class Integer(_Ruled):
    """An integer from ``low`` to ``high``, written in ASCII digits (``hex``: or as 0x..)."""

    name = "integer"

    def __init__(self, low: int, high: int = INT32_MAX, hex: bool = False):
        self.rule = IntegerRule(low, high, hex)


class Seconds(_Ruled):
    """A finite number of seconds from ``low`` to ``high``, written as an ASCII decimal."""

    name = "float"  # what --help has always shown

    def __init__(self, low: float, high: float):
        self.rule = SecondsRule(low, high)

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):  # a default
            if not self.rule.in_range(float(value)):
                refuse(param, value, self.rule.hint)
            return float(value)
        return super().convert(value, param, ctx)


class IntegerList(_Ruled):
    """Integers from ``low`` to ``high``, separated by commas (blanks around them allowed)."""

    name = "list"

    def __init__(self, low: int, high: int):
        self.rule = IntegersRule(low, high)


class Text(_Ruled):
    """Text that is valid UTF-8: a name, an address, a filter, a list.

    ``needed``: what the option names ("an interface name"); then an empty value is
    refused too, where it would otherwise mean the option was not given.
    """

    name = "text"

    def __init__(self, needed: str | None = None):
        self.rule = TextRule(needed)

    def convert(self, value, param, ctx) -> str:
        text = str(value)
        if undecodable(text):
            refuse(param, value, "not valid UTF-8")
        if not self.rule.valid(text):
            refuse(param, value, f"give {self.rule.needed}")
        return text


class Word(_Ruled):
    """One word of a vocabulary (-Q in|out|inout, a link type name), compared case-insensitively."""

    name = "text"

    def __init__(self, words: Sequence[str] | Callable[[str], bool], hint: str):
        self.rule = WordRule(words, hint)

    def convert(self, value, param, ctx) -> str:
        text = str(value)
        if undecodable(text):
            refuse(param, value, "not valid UTF-8")
        if not self.rule.valid(text):  # the empty word too
            refuse(param, value, self.rule.hint)
        return text


class FileName(_Ruled):
    """A file name: any bytes but none at all; '-' is standard input or output."""

    name = "file"

    def __init__(self, standard: str | None = None):
        self.rule = FileRule(standard)


class Spec(_Ruled):
    """Text read by ``parse`` (valid UTF-8 first); parse's ValueError is the hint of the refusal."""

    name = "text"

    def __init__(self, parse):
        self.rule = SpecRule(parse)

    def convert(self, value, param, ctx):
        if not isinstance(value, str):  # a default, or a value already read
            return value
        if undecodable(value):
            refuse(param, value, "not valid UTF-8")
        try:
            return self.rule.read(value)
        except ValueError as err:
            refuse(param, value, str(err))


PID_MAX = 2**22  # the kernel's PID_MAX_LIMIT: no pid_max can be set higher
