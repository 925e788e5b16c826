"""Internet protocol arithmetic shared by the engines (ping's probes, backlog's raw SYNs)."""

from __future__ import annotations


def checksum(data: bytes | bytearray) -> int:
    """The Internet checksum (RFC 1071) of data, ready to store in a header.

    Over data that holds its checksum field it is 0 when the field is right
    (tcpdump's in_cksum()). 2**16 is 1 modulo 0xffff, so the folded one's-complement
    sum of the 16-bit words is the whole number modulo 0xffff (0xffff for a non-zero
    multiple): one big-int operation instead of a loop over the words.
    """
    if len(data) % 2:
        data = bytes(data) + b"\0"
    n = int.from_bytes(data, "big")
    total = n % 0xFFFF or (0xFFFF if n else 0)
    return ~total & 0xFFFF
