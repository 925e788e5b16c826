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


def multicast_unspecified(address: str) -> tuple[bool, bool]:
    """Whether an IPv4 or IPv6 address (no %zone) is multicast, and whether it is all zeros.

    What ipaddress.ip_address(address).is_multicast / .is_unspecified say (224.0.0.0/4,
    ff00::/8; 0.0.0.0, ::), from inet_pton(3): ipaddress costs ~1 ms of start-up.
    """
    import socket

    v6 = ":" in address
    try:
        packed = socket.inet_pton(socket.AF_INET6 if v6 else socket.AF_INET, address)
    except (OSError, ValueError):
        raise ValueError(f"{address!r} does not appear to be an IPv4 or IPv6 address") from None
    return (packed[0] == 0xFF if v6 else 224 <= packed[0] <= 239), not any(packed)
