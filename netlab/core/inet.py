"""Internet protocol arithmetic shared by the engines (ping's probes, backlog's raw SYNs)."""

from __future__ import annotations

import struct


def checksum(data: bytes | bytearray) -> int:
    """The Internet checksum (RFC 1071) of data, ready to store in a header."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
