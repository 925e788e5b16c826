"""The C twins of the ICMP, ICMPv6 and ARP printers (_cprint_icmp.c) print what the Python printers print.

The busy mix and the conformance captures hold echo, port unreachable, TTL exceeded,
neighbour discovery and plain ARP; the frames here, built byte by byte, walk the other
branches: every ICMP type and code the printers name, errors quoting whole datagrams
(printed through the IP printer at -v), wrong checksums, router advertisements with
their options, MLD, ICMPv6 errors quoting extension headers, ARP for other protocols
and address lengths. Each is compared at every option set of test_cprint_twin, whole
and cut short at every length, and the C printer must print the ones it twins.
"""

from __future__ import annotations

import random
import struct

import pytest

from netlab.capture.decode import Formatter
from netlab.core.inet import checksum
from tests.conformance.test_cprint_twin import SETS, _assert_twins, needs_cprint

pytestmark = needs_cprint

A4, B4, C4 = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), bytes([192, 168, 7, 9])
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000002")
MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def ether(etype: int, payload: bytes) -> bytes:
    return MAC_B + MAC_A + struct.pack("!H", etype) + payload


def ipv4(proto: int, payload: bytes, src=A4, dst=B4, frag=0x4000, ttl=64) -> bytes:
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, frag, ttl, proto, 0, src, dst))
    struct.pack_into("!H", header, 10, checksum(bytes(header)))
    return bytes(header) + payload


def ipv6(nxt: int, payload: bytes, src=A6, dst=B6) -> bytes:
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nxt, 255, src, dst) + payload


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(kind: int, code: int, rest: bytes, good=True) -> bytes:
    body = struct.pack("!BBH", kind, code, 0) + rest
    value = checksum(body) if good else 0x1234
    return body[:2] + struct.pack("!H", value) + body[4:]


def icmp6(kind: int, code: int, rest: bytes, src=A6, dst=B6, good=True) -> bytes:
    body = struct.pack("!BBH", kind, code, 0) + rest
    pseudo = src + dst + struct.pack("!IxxxB", len(body), 58)
    value = checksum(pseudo + body) if good else 0x1234
    return body[:2] + struct.pack("!H", value) + body[4:]


def v4(kind, code, rest, **kw):
    return ether(0x0800, ipv4(1, icmp(kind, code, rest, kw.pop("good", True)), **kw))


def v6(kind, code, rest, good=True):
    return ether(0x86DD, ipv6(58, icmp6(kind, code, rest, good=good)))


def arp(op, hrd=1, pro=0x0800, hln=6, pln=4, sha=MAC_A, spa=A4, tha=bytes(6), tpa=B4):
    return ether(0x0806, struct.pack("!HHBBH", hrd, pro, hln, pln, op) + sha + spa + tha + tpa)


def nd_opt(kind: int, body: bytes) -> bytes:
    body += bytes(-(len(body) + 2) % 8)
    return bytes([kind, (len(body) + 2) // 8]) + body


# a whole quoted datagram (the -v lines print it through the IP printer), and a cut one
QUOTED_UDP = ipv4(17, udp(40000, 33434, b"probe"), src=B4, dst=C4)
QUOTED_ECHO = ipv4(1, icmp(8, 0, struct.pack("!HH", 1, 2) + bytes(8)), src=B4, dst=C4)
QUOTED_CUT = QUOTED_UDP[:28]
QUOTED6 = ipv6(17, udp(40000, 53, b"x" * 8), src=B6, dst=A6)
QUOTED6_EXT = ipv6(60, bytes([17, 0]) + bytes(6) + udp(40000, 7, b""), src=B6, dst=A6)

GROUP6 = bytes.fromhex("ff0200000000000000000000000000fb")


def mldv2_record(rtype: int, sources: list) -> bytes:
    return struct.pack("!BBH16s", rtype, 0, len(sources), GROUP6) + b"".join(sources)


LLA = nd_opt(1, MAC_A)
PREFIX = nd_opt(3, struct.pack("!BBIII16s", 64, 0xC0, 86400, 0xFFFFFFFF, 0, A6[:8] + bytes(8)))
MTU = nd_opt(5, struct.pack("!HI", 0, 1500))
RDNSS = nd_opt(25, struct.pack("!HI16s16s", 0, 600, A6, B6))

# (frame, the C printer prints it at the default options)
CRAFTED = [
    # ICMP: every unreachable code, and errors quoting whole datagrams
    *[(v4(3, code, struct.pack("!HH", 0, 1400 if code == 4 else 0) + QUOTED_UDP), True) for code in range(17)],
    (v4(3, 3, bytes(4) + QUOTED_ECHO), True),
    (v4(3, 3, bytes(4) + ipv4(47, bytes(8), src=B4, dst=C4)), True),
    (v4(3, 3, bytes(4) + QUOTED_CUT), True),
    (v4(3, 1, bytes(4) + QUOTED_UDP[:20]), True),
    (v4(3, 1, bytes(4) + QUOTED_UDP[:16]), False),
    *[(v4(5, code, C4 + QUOTED_UDP), True) for code in range(5)],
    *[(v4(11, code, bytes(4) + QUOTED_UDP), True) for code in range(3)],
    (v4(11, 0, bytes(4) + QUOTED_UDP[:18]), False),
    (v4(12, 0, bytes([13, 0, 0, 0]) + QUOTED_UDP), True),
    (v4(12, 1, bytes(4) + QUOTED_UDP), True),
    (v4(4, 0, bytes(4) + QUOTED_UDP), True),
    (v4(13, 0, struct.pack("!HHIII", 5, 6, 1000, 0, 0)), True),
    (v4(14, 0, struct.pack("!HHIII", 5, 6, 45296789, 86399999, 4294967295)), True),
    (v4(14, 0, struct.pack("!HH", 5, 6)), False),
    (v4(9, 0, struct.pack("!BBH", 2, 2, 1800) + A4 + struct.pack("!I", 7) + C4 + struct.pack("!I", 9)), True),
    (v4(9, 0, struct.pack("!BBH", 1, 3, 30) + bytes(12)), True),
    (v4(9, 0, struct.pack("!BBH", 0, 2, 7200)), True),
    (v4(9, 0, struct.pack("!BBH", 3, 2, 7200) + bytes(8)), False),
    (v4(17, 0, bytes(8)), True),
    (v4(18, 0, struct.pack("!HHI", 0, 0, 0xFFFFFF00)), True),
    *[(v4(kind, 0, bytes(4)), True) for kind in (10, 15, 16, 42, 255)],
    (v4(8, 0, struct.pack("!HH", 9, 10) + b"abc", good=False), True),
    (v4(0, 0, struct.pack("!HH", 9, 10), frag=0x2000, good=False), True),
    (v4(4, 0, b""), True),  # (the quote is missing: -v punts)
    # ICMPv6: errors, every code
    *[(v6(1, code, bytes(4) + QUOTED6), True) for code in range(7)],
    (v6(1, 4, bytes(4) + QUOTED6_EXT), True),
    (v6(1, 4, bytes(4) + ipv6(6, bytes(20), src=B6, dst=A6)), True),
    (v6(1, 4, bytes(4) + ipv6(47, bytes(4), src=B6, dst=A6)), True),
    (v6(1, 4, bytes(4) + QUOTED6[:41]), False),
    (v6(2, 0, struct.pack("!I", 1280) + QUOTED6), True),
    *[(v6(3, code, bytes(4) + QUOTED6), True) for code in range(3)],
    *[(v6(4, code, struct.pack("!I", 40) + QUOTED6), True) for code in range(5)],
    (v6(128, 0, struct.pack("!HH", 3, 4) + b"ping", good=False), True),
    # MLD, neighbour discovery with its options, other types
    (v6(130, 0, struct.pack("!HH", 1000, 0) + bytes(16)), True),
    (v6(130, 0, struct.pack("!HH", 1000, 0) + bytes(18)), True),
    (v6(131, 0, struct.pack("!HH", 0, 0) + bytes.fromhex("ff020000000000000000000000000001")), True),
    (v6(132, 0, struct.pack("!HH", 0, 0) + bytes(16)), True),
    (v6(133, 0, bytes(4) + LLA), True),
    (v6(134, 0, struct.pack("!BBHII", 64, 0xE8, 1800, 30000, 1000) + LLA + MTU + PREFIX + RDNSS), True),
    (v6(134, 0, struct.pack("!BBHII", 64, 0x18, 0, 0, 0) + nd_opt(31, b"\x00\x00" + bytes(12))), True),
    (v6(134, 0, struct.pack("!BBHII", 64, 0, 0, 0, 0) + nd_opt(99, b"abcdef")), True),
    (v6(135, 0, bytes(4) + B6 + LLA + nd_opt(2, MAC_B)), True),
    (v6(135, 0, bytes(4) + B6 + b"\x01\x00" + bytes(6)), True),  # (a zero option length)
    *[(v6(136, 0, struct.pack("!I", flags << 29) + B6 + nd_opt(2, MAC_B)), True) for flags in (0, 1, 2, 4, 7)],
    (v6(137, 0, bytes(4) + B6 + A6 + LLA), True),
    (v6(141, 0, bytes(4)), True),
    (v6(144, 0, struct.pack("!HH", 0x1234, 0)), True),
    (v6(138, 0, bytes(12)), True),
    (v6(250, 0, bytes(4)), True),
    (v6(130, 0, struct.pack("!HH16sBBH", 1000, 0, bytes(16), 0x0A, 125, 0)), True),
    (v6(130, 0, struct.pack("!HH16sBBH", 0xF234, 0, GROUP6, 0x02, 0x9C, 2) + A6 + B6), True),
    (v6(130, 0, struct.pack("!HH16sBBH", 0, 0, GROUP6, 0, 0, 3) + A6 + B6), True),  # (sources missing)
    (v6(143, 0, struct.pack("!HH", 0, 3) + mldv2_record(4, []) + mldv2_record(1, [A6, B6]) + mldv2_record(9, [A6])),
     True),
    (v6(143, 0, struct.pack("!HH", 0, 2) + mldv2_record(3, [A6])), True),  # (a record missing)
    (v6(143, 0, struct.pack("!HH", 0, 1) + mldv2_record(3, [A6])[:-8]), True),  # (a source cut)
    (v6(143, 0, b""), True),
    *[(v6(139, code, struct.pack("!HH", qtype, 0x3F if qtype == 3 else 0) + bytes(8) + subject), True)
      for qtype in range(6) for code, subject in ((0, A6), (1, b"name"), (2, C4))],
    (v6(139, 0, struct.pack("!HH", 3, 0x05) + bytes(8) + A6), True),
    (v6(139, 0, bytes(8)), True),  # (KAME's who-are-you request)
    (v6(139, 0, bytes(6)), True),  # (cut: tcpdump's own marker, and the line goes on)
    (v6(140, 0, bytes(12)), True),
    (ether(0x86DD, ipv6(58, b"")), False),  # (a zero payload length: the IPv6 printer punts)
    # ARP: operations, other protocols and lengths
    *[(arp(op), op in (1, 2, 3, 4, 8, 9)) for op in (1, 2, 3, 4, 8, 9, 10, 77)],
    (arp(1, tha=MAC_B), True),
    (arp(1, pro=0x86DD, pln=16, spa=A6, tpa=B6), True),
    (arp(2, pro=0x1000), True),
    (arp(1, hrd=6, hln=8, sha=b"abcdefgh", tha=bytes(7) + b"\x01"), True),
    (arp(2, hrd=99, pln=5, spa=A4 + b"\x00", tpa=B4 + b"\x00"), True),
    (arp(1, hln=0, sha=b"", tha=b""), True),
]


def _packets(frames):
    return [(1, i, len(f), len(f), f) for i, f in enumerate(frames)]


def _cut_short(frames):
    """Every frame cut at every length past the link layer: each bounds check, both sides."""
    for f in frames:
        for n in range(14, len(f)):
            yield (1, n, n, len(f), f[:n])


@pytest.mark.parametrize("opts", SETS, ids=lambda o: o or "default")
def test_crafted_icmp_and_arp(opts):
    frames = [f for f, _c in CRAFTED]
    _assert_twins(1, _packets(frames), opts, "crafted")


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q"], ids=lambda o: o or "default")
def test_crafted_icmp_and_arp_cut_short(opts):
    _assert_twins(1, list(_cut_short([f for f, _c in CRAFTED])), opts, "crafted, cut short")


def _fuzzed(frames, count, seed):
    """Bytes set anywhere past the link layer (to edge values most often), some frames cut short."""
    rng = random.Random(seed)
    for _ in range(count):
        data = bytearray(rng.choice(frames))
        for _flip in range(rng.randint(1, 4)):
            i = rng.randrange(14, len(data))
            data[i] = rng.choice([0, 1, 2, 3, 4, 5, 255, rng.randrange(256), data[i] ^ (1 << rng.randrange(8))])
        if rng.random() < 0.3:
            data = data[:rng.randrange(15, len(data) + 1)]
        yield 1, 0, len(data), len(data), bytes(data)


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q"], ids=lambda o: o or "default")
def test_crafted_icmp_and_arp_fuzzed(opts):
    fuzzed = list(_fuzzed([f for f, _c in CRAFTED], 10000, seed=len(opts)))
    _assert_twins(1, fuzzed, opts, "crafted, fuzzed")


def test_the_c_printer_prints_the_crafted_frames_it_twins():
    """Not a speed test: proof that the comparisons above compare C lines, not only punts."""
    printer = Formatter(1)._compiled_printer()
    for i, (frame, twinned) in enumerate(CRAFTED):
        assert (printer.line(frame, len(frame), "", -1) is not None) == twinned, f"crafted frame {i}"
