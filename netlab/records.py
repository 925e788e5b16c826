"""What every record type shares: its fields as a plain dict, for JSON and CSV;
and a pause of the garbage collector while many records are made."""

from __future__ import annotations

import gc


def as_dict(record) -> dict:
    """A record as a plain dict: dicts as they are, record objects through their as_dict()."""
    if isinstance(record, dict):
        return record
    return record.as_dict()


def fields_dict(record) -> dict:
    """A dataclass record's fields by name, shallow (dataclasses.asdict deep-copies every value)."""
    from dataclasses import fields  # loaded already by the record's class; not by every importer of this module

    return {f.name: getattr(record, f.name) for f in fields(record)}


class gc_paused:
    """No cyclic garbage collection inside the block; as before after it.

    Records hold no reference cycles, yet every collection walks all the live
    ones again: with 30k sockets, a noticeable share of `netlab conns` went there.
    A class, not a contextlib.contextmanager: contextlib is ~0.5 ms of start-up, and
    `netlab ping` loads this module (through netlab.output).
    """

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc) -> None:
        if self._was_enabled:
            gc.enable()
