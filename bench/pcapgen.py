"""A mixed-traffic pcap for benchmarks and tests: Ethernet, IPv4/IPv6, TCP, UDP, ICMP, ICMPv6, ARP.

The packets are well-formed (IPv4 header checksums right, lengths consistent)
so tcpdump and netlab decode every one fully; the mix is what a busy LAN
segment looks like: mostly TCP data and ACKs, some UDP, pings, ARP, IPv6.
Written with netlab's own pcap writer; nothing here is committed as data.
"""

from __future__ import annotations

import struct

from netlab.capture.writer import PcapWriter
from netlab.core.inet import checksum

MAC_A = bytes.fromhex("02000a4d0001")
MAC_B = bytes.fromhex("02000a4d0002")
V4 = [bytes([10, 77, 0, i]) for i in range(1, 9)]
V6 = [bytes.fromhex("fd770000000000000000000000000000")[:15] + bytes([i]) for i in range(1, 9)]


def _ipv4(src: bytes, dst: bytes, proto: int, payload: bytes, ident: int) -> bytes:
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0, src, dst))
    struct.pack_into("!H", header, 10, checksum(bytes(header)))
    return bytes(header) + payload


def _ipv6(src: bytes, dst: bytes, nxt: int, payload: bytes) -> bytes:
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nxt, 64, src, dst) + payload


def _tcp(sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes, ts: int) -> bytes:
    options = struct.pack("!BBBBII", 1, 1, 8, 10, 100000 + ts, 99000 + ts)  # nop, nop, timestamps
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, 502, 0, 0) + options + payload


def _udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def _icmp_echo(kind: int, ident: int, seq: int) -> bytes:
    body = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + bytes(range(48))
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def _ether(ethertype: int, payload: bytes, forward: bool) -> bytes:
    dst, src = (MAC_B, MAC_A) if forward else (MAC_A, MAC_B)
    return dst + src + struct.pack("!H", ethertype) + payload


def _arp(i: int) -> bytes:
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_A, V4[0], b"\0" * 6, V4[1 + i % 7])
    return b"\xff" * 6 + MAC_A + b"\x08\x06" + body


def packet(i: int) -> bytes:
    """The i-th packet of the mix (deterministic)."""
    kind = i % 20
    forward = (i // 20) % 2 == 0
    a, b = V4[i % 8], V4[(i + 3) % 8]
    if not forward:
        a, b = b, a
    sport, dport = 40000 + i % 512, (443, 5001, 9001, 12345)[i % 4]
    if kind < 9:  # TCP data
        data = bytes(64 + (i % 7) * 100)
        return _ether(0x0800, _ipv4(a, b, 6, _tcp(sport, dport, 1000 + i * 100, 5000 + i, 0x18, data, i), i & 0xFFFF), forward)
    if kind < 13:  # TCP pure ACKs (and a SYN now and then)
        flags = 0x02 if i % 200 == 10 else 0x10
        return _ether(0x0800, _ipv4(b, a, 6, _tcp(dport, sport, 5000 + i, 1000 + i * 100, flags, b"", i), i & 0xFFFF), forward)
    if kind < 15:  # UDP
        return _ether(0x0800, _ipv4(a, b, 17, _udp(sport, 9000 + i % 16, bytes(100 + i % 300)), i & 0xFFFF), forward)
    if kind == 15:  # ping
        return _ether(0x0800, _ipv4(a, b, 1, _icmp_echo(8 if forward else 0, 77, i & 0xFFFF), i & 0xFFFF), forward)
    if kind < 18:  # IPv6 TCP data
        s6, d6 = V6[i % 8], V6[(i + 5) % 8]
        return _ether(0x86DD, _ipv6(s6, d6, 6, _tcp(sport, dport, 7000 + i * 50, 9000 + i, 0x18, bytes(200), i)), forward)
    if kind == 18:  # IPv6 UDP
        s6, d6 = V6[i % 8], V6[(i + 5) % 8]
        return _ether(0x86DD, _ipv6(s6, d6, 17, _udp(sport, 5353 + 1, bytes(80))), forward)
    return _arp(i)


def write_mixed_pcap(path: str, count: int, start: int = 1_700_000_000) -> None:
    """``count`` packets of the mix, 10 microseconds apart."""
    with PcapWriter(path, linktype=1) as writer:
        for i in range(count):
            data = packet(i)
            usec = i * 10
            writer.write(start + usec // 1_000_000, usec % 1_000_000, len(data), len(data), data)


if __name__ == "__main__":
    import sys

    write_mixed_pcap(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
