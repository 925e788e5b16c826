"""What an option value may be, without click: the one source of the value rules.

netlab.cli.types wraps each rule in a click ParamType (what typer parses with); the
fast lane (netlab.cli.fastlane) calls the same rules directly, without importing
click. A rule is a small object with:

- ``valid(text)``: whether the value is taken;
- ``parse(text)``: the value the command receives (called only on valid text);
- ``hint``: what to give instead, for the one-line refusal;
- ``spec()``: how the fast lane's layout names the rule: ``(kind, *arguments)``,
  plain data that ``rule_from_spec`` turns back into the same rule.

The kinds (netlab.cli.types tells what each refuses, and why):

- ``integer``: ASCII digits with an optional sign (or 0x hex), from low to high;
- ``seconds``: an ASCII decimal number, finite, from low to high;
- ``integers``: such integers separated by commas;
- ``text``: valid UTF-8 (and, where something is needed, not empty);
- ``word``: one word of a vocabulary in any case, or one a function knows;
- ``spec``: text read by a parse function with a grammar of its own;
- ``file``: a file name: any bytes but none at all.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: collections (1.4 ms) is not imported at start-up
    from collections.abc import Callable, Sequence

INT32_MAX = 2**31 - 1
_INFINITY = float("inf")
_DECIMAL = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\Z"  # what _decimal takes (a unit test holds them equal)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_MAX_DIGITS = 40  # longer is out of every range; int() refuses past 4300 digits anyway


def _ascii_digits(text: str) -> bool:
    """Only 0-9, at least one (str.isdigit alone takes '²' and '٣', int() takes '１' and '1_000')."""
    return text.isascii() and text.isdigit()


def _decimal(text: str) -> bool:
    """Whether text matches _DECIMAL, read by hand: re is ~1 ms of start-up, and `ping -i 0.2` needs this."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body.isascii():
        return False
    mantissa, e, exponent = body.lower().partition("e")
    if e:
        if exponent[:1] in ("+", "-"):
            exponent = exponent[1:]
        if not exponent.isdigit():
            return False
    whole, dot, fraction = mantissa.partition(".")
    if fraction and not fraction.isdigit():
        return False
    return whole.isdigit() or (not whole and bool(dot) and bool(fraction))


def undecodable(text: str) -> bool:
    """Whether this argument held bytes that are not UTF-8 (Python's surrogate escapes)."""
    return any("\ud800" <= c <= "\udfff" for c in text)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def function_name(function: Callable) -> str:
    """'module:name' of a module-level function, which ``named_function`` finds again."""
    return f"{function.__module__}:{function.__qualname__}"


def named_function(name: str) -> Callable:
    import importlib

    module, _, qualname = name.partition(":")
    return getattr(importlib.import_module(module), qualname)


class IntegerRule:
    def __init__(self, low: int, high: int = INT32_MAX, hex: bool = False):
        self.low, self.high, self.hex = low, high, hex
        self.hint = f"give an integer from {low} to {high}" + (", decimal or 0x hex" if hex else "")

    def number(self, text: str) -> int | None:
        """The integer written, whatever its range; None if it is not one."""
        if len(text) > _MAX_DIGITS:
            return None
        if _ascii_digits(text[1:] if text[:1] in ("+", "-") else text):
            return int(text, 10)
        if self.hex and text[:2] in ("0x", "0X") and len(text) > 2 and _HEX_DIGITS.issuperset(text[2:]):
            return int(text, 16)
        return None

    def valid(self, text: str) -> bool:
        number = self.number(text)
        return number is not None and self.low <= number <= self.high

    def parse(self, text: str) -> int:
        return self.number(text)

    def spec(self) -> tuple:
        return ("integer", self.low, self.high, self.hex)


class SecondsRule:
    def __init__(self, low: float, high: float):
        self.low, self.high = low, high
        self.hint = f"give seconds from {_number(low)} to {_number(high)}"

    def in_range(self, number: float) -> bool:
        # nan fails every comparison; inf (also from '1e999') fails the first (math.isfinite's
        # module is a shared library to load: 0.3 ms of every start)
        return -_INFINITY < number < _INFINITY and self.low <= number <= self.high

    def valid(self, text: str) -> bool:
        return _decimal(text) and self.in_range(float(text))

    def parse(self, text: str) -> float:
        return float(text)

    def spec(self) -> tuple:
        return ("seconds", self.low, self.high)


class IntegersRule:
    def __init__(self, low: int, high: int):
        self.item = IntegerRule(low, high)
        self.hint = f"give integers from {low} to {high}, separated by commas"

    def valid(self, text: str) -> bool:
        return all(self.item.valid(part.strip(" ")) for part in text.split(","))

    def parse(self, text: str) -> list[int]:
        return [int(part) for part in text.split(",")]

    def spec(self) -> tuple:
        return ("integers", self.item.low, self.item.high)


class TextRule:
    """``needed``: what the option names ("an interface name"); then an empty value is
    refused too, where it would otherwise mean the option was not given."""

    def __init__(self, needed: str | None = None):
        self.needed = needed
        self.hint = "not valid UTF-8"

    def valid(self, text: str) -> bool:
        return not undecodable(text) and (text != "" or self.needed is None)

    def parse(self, text: str) -> str:
        return text

    def spec(self) -> tuple:
        return ("text", self.needed)


class WordRule:
    """One word of ``words`` in any case (as tcpdump compares them), or one that the
    function ``words`` knows (libpcap's link type names). The value is kept as typed."""

    def __init__(self, words: Sequence[str] | Callable[[str], bool], hint: str):
        self.words = words if callable(words) else tuple(words)
        if callable(words):
            self.known = words
        else:
            folded = {word.casefold() for word in words}
            self.known = lambda text: text.casefold() in folded
        self.hint = hint

    def valid(self, text: str) -> bool:
        return not undecodable(text) and self.known(text)

    def parse(self, text: str) -> str:
        return text

    def spec(self) -> tuple:
        words = function_name(self.words) if callable(self.words) else self.words
        return ("word", words, self.hint)


class SpecRule:
    """Text read by ``parse``; its ValueError names what to give."""

    def __init__(self, parse: Callable):
        self.read = parse
        self.hint = ""

    def valid(self, text: str) -> bool:
        if undecodable(text):
            return False
        try:
            self.read(text)
        except ValueError:
            return False
        return True

    def parse(self, text: str):
        return self.read(text)

    def spec(self) -> tuple:
        return ("spec", function_name(self.read))


class FileRule:
    """A file name: any bytes (Linux names are bytes) but none at all."""

    def __init__(self, standard: str | None = None):
        # standard: "input" or "output" where '-' means that stream; None where it means nothing
        self.standard = standard
        self.hint = "give a file name" + (f", or '-' for standard {standard}" if standard else "")

    def valid(self, text: str) -> bool:
        return text != ""

    def parse(self, text: str) -> str:
        return text

    def spec(self) -> tuple:
        return ("file", self.standard)


def rule_from_spec(spec: tuple):
    """The rule a layout's spec names (the inverse of each rule's ``spec()``)."""
    kind, *arguments = spec
    if kind == "word" and isinstance(arguments[0], str):
        arguments[0] = named_function(arguments[0])
    elif kind == "spec":
        arguments[0] = named_function(arguments[0])
    return _RULES[kind](*arguments)


_RULES = {"integer": IntegerRule, "seconds": SecondsRule, "integers": IntegersRule, "text": TextRule,
          "word": WordRule, "spec": SpecRule, "file": FileRule}
