"""--layers: scapy's dissection of each packet, field by field.

Deep and slow by nature (scapy builds an object per layer), so it is the
opt-in path; the default output never touches scapy. scapy itself is
imported on first use only: `netlab --help` must not pay its 0.6 s.
"""

from __future__ import annotations


class Dissector:
    """Dissect raw frames of one link type; ``show(data)`` returns scapy's `show()` text."""

    def __init__(self, linktype: int):
        import scapy.all  # noqa: F401  (registers every layer and link type)
        from scapy.config import conf
        from scapy.packet import Raw

        self.linktype = linktype
        self._layer = conf.l2types.get(linktype) or Raw

    def dissect(self, data: bytes):
        """The scapy packet (a malformed frame ends in a Raw or Padding layer, never raises)."""
        try:
            return self._layer(data)
        except Exception:  # scapy's dissectors can trip on hostile bytes; fall back to the raw bytes
            from scapy.packet import Raw

            return Raw(data)

    def show(self, data: bytes) -> str:
        try:
            return self.dissect(data).show(dump=True).rstrip("\n")
        except Exception:  # a field scapy cannot render: show the bytes rather than fail the run
            from scapy.packet import Raw

            return Raw(data).show(dump=True).rstrip("\n")

