"""What every record type shares: its fields as a plain dict, for JSON and CSV."""

from __future__ import annotations

from dataclasses import fields


def fields_dict(record) -> dict:
    """A dataclass record's fields by name, shallow (dataclasses.asdict deep-copies every value)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}
