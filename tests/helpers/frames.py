"""Ethernet frames built byte by byte for the conformance tests, with right checksums,
and the pcap-then-compare-with-tcpdump step those tests share.

Addresses are the namespace ones (10.77.x.x, fd77::); nothing here is sent anywhere.
"""

from __future__ import annotations

import struct

from netlab.core.inet import checksum
from tests.helpers.tcpdump import check_truncations, compare, write_pcap

MAC = bytes.fromhex("02004d000002" "02004d000001")  # destination, source
A4, B4 = bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2])
A6 = bytes.fromhex("fd770000000000000000000000000001")
B6 = bytes.fromhex("fd770000000000000000000000000002")
LL6 = bytes.fromhex("fe80000000000000004d00fffe000001")


def ip4(proto: int, payload: bytes, src=A4, dst=B4, ttl=64, options=b"", frag=0, ident=7, tot=None, tos=0) -> bytes:
    """An Ethernet frame with an IPv4 header (checksum right; tot: a total length that lies)."""
    hl = 20 + len(options)
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, tos, tot or hl + len(payload), ident, frag, ttl, proto,
                                0, src, dst))
    hdr += options
    struct.pack_into("!H", hdr, 10, checksum(bytes(hdr)))
    return MAC + b"\x08\x00" + bytes(hdr) + payload


def ip6(nxt: int, payload: bytes, src=A6, dst=B6, hlim=64, flow=0) -> bytes:
    """An Ethernet frame with an IPv6 header (flow: the 20-bit flow label)."""
    return MAC + b"\x86\xdd" + struct.pack("!IHBB16s16s", 0x60000000 | flow, len(payload), nxt, hlim, src, dst) + payload


def pseudo_header(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """What TCP, UDP and ICMPv6 checksums cover besides the segment (RFC 793 / RFC 8200)."""
    if len(src) == 16:
        return src + dst + struct.pack("!IxxxB", length, proto)
    return src + dst + struct.pack("!BBH", 0, proto, length)


def udp(sport: int, dport: int, payload: bytes, v6=False) -> bytes:
    """A UDP datagram from A to B, checksum right."""
    seg = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)
    src, dst = (A6, B6) if v6 else (A4, B4)
    struct.pack_into("!H", seg, 6, checksum(pseudo_header(src, dst, 17, len(seg)) + bytes(seg)))
    return bytes(seg)


def write_frames(path, frames) -> None:
    """The frames as an Ethernet pcap, one microsecond apart."""
    write_pcap(path, 1, [(1700000000, i, len(f), len(f), f) for i, f in enumerate(frames)])


def assert_like_tcpdump(path, opts: str) -> int:
    """netlab prints every line of path as tcpdump 4.99.3 does with opts; tcpdump's line count."""
    _same, total, diffs = compare(path, opts.split())
    assert not diffs, "\n".join(diffs)
    return total


def assert_frames_like_tcpdump(tmp_path, frames, opts: str) -> None:
    """The frames as a pcap: netlab prints every line as tcpdump 4.99.3 does with opts, and
    tcpdump prints a line (at least) for each frame."""
    path = tmp_path / "frames.pcap"
    write_frames(path, frames)
    assert assert_like_tcpdump(path, opts) >= len(frames)


def assert_prefixes_like_tcpdump(tmp_path, frames, option_sets) -> None:
    """Every prefix of every frame (the snap lengths prefixes() cuts at): netlab prints the same
    lines, truncation markers and dumps as tcpdump 4.99.3 with each set of options."""
    whole = tmp_path / "frames.pcap"
    write_frames(whole, frames)
    check_truncations(whole, tmp_path, option_sets, limit=len(frames))


def icmp(typ: int, code: int, rest: bytes) -> bytes:
    body = bytearray(struct.pack("!BBH", typ, code, 0) + rest)
    struct.pack_into("!H", body, 2, checksum(bytes(body)))
    return bytes(body)
