"""One packet as the statistics read it: the jsonl header fields, its time in nanoseconds, where its payload is.

No tcpdump line is formatted here (that is most of what Formatter.record costs):
conv, endpoints, io, tcp and --follow need the header values alone.
"""

from __future__ import annotations

from netlab.capture import fields


class Viewer:
    """Reads the packets of one capture: ``view(packet)`` -> a dict (see fields.fill) plus ns, len, data, payload_at."""

    def __init__(self, linktype: int, nano: bool):
        self.linktype = linktype
        self.frac_ns = 1 if nano else 1000

    def view(self, packet) -> dict:
        ts_sec, ts_frac, caplen, length, data = packet
        rec = dict(fields.NULLS)
        rec["ns"] = ts_sec * 1_000_000_000 + ts_frac * self.frac_ns
        rec["len"] = length
        rec["data"] = data[:caplen]
        rec["payload_at"] = fields.fill_or_leave(self.linktype, rec["data"], rec)
        return rec
