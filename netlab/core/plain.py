"""A base for small records: slotted fields named in FIELDS, compared and shown as a dataclass does.

Not dataclasses: that module imports inspect, ast, dis and tokenize, ~7 ms, a fifth of
the start-up of `netlab ping` or `netlab capture` (tests/cli/test_startup_imports.py):
ping's records and options, capture's FormatOptions and Look.
A subclass lists its fields in FIELDS (in order) and sets them in its own __init__,
or gives DEFAULTS (name -> default, every field) and takes the generic one.
"""

from __future__ import annotations


class Plain:
    """Slotted fields (FIELDS), equal when of one class with equal fields, unhashable (a dataclass's eq)."""

    FIELDS: tuple = ()
    DEFAULTS: dict = {}
    __slots__ = ()
    __hash__ = None  # mutable and compared by value: no hash, as @dataclass(eq=True)

    def __init__(self, *args, **given):
        """The fields by position or keyword, the rest from DEFAULTS; TypeError on an unknown one."""
        name = type(self).__name__
        if len(args) > len(self.FIELDS):
            raise TypeError(f"{name}.__init__() takes {len(self.FIELDS) + 1} positional arguments "
                            f"but {len(args) + 1} were given")
        for key in given:
            if key not in self.DEFAULTS:
                raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{key}'")
        values = dict(self.DEFAULTS)
        for key, value in zip(self.FIELDS, args):
            if key in given:
                raise TypeError(f"{name}.__init__() got multiple values for argument '{key}'")
            values[key] = value
        values.update(given)
        for key in self.FIELDS:
            setattr(self, key, values[key])

    def __eq__(self, other) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.FIELDS)

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.FIELDS) + ")"
