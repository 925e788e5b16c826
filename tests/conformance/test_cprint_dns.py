"""The C twin of the DNS printer (_cprint_dns.c) prints what fmt_dns prints, message for message.

test_cprint_twin.py compares both printers on the busy mix, whose DNS is a handful
of shapes; the messages here reach the other branches of the C printer: mDNS, the
-vv sections, EDNS flags, opcodes and flags, more record types, escaped labels,
pointer chains, and the messages the C printer must hand back (forward pointers,
types and classes it does not print, EDNS options, bytes a Latin-1 line needs, data
past the message). Each message is compared whole and cut at every length, at each
verbosity; and each one says at which verbosities the C printer prints it itself,
so that a twin that punts everything cannot pass.
"""

from __future__ import annotations

import random
import re
import struct

import pytest

from bench import busygen
from netlab.capture import decode
from netlab.capture.decode import Formatter
from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.tcpdump import options_from, tcpdump_lines, write_pcap

pytestmark = pytest.mark.skipif(decode._cprint is None, reason="netlab.capture._cprint is not built")

MACS = bytes.fromhex("02004d000002" "02004d000001")
A4, B4, MDNS4 = bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2]), bytes([224, 0, 0, 251])
A6 = bytes.fromhex("fd770000000000000000000000000001")
B6 = bytes.fromhex("fd770000000000000000000000000002")


def name(text: str) -> bytes:
    """A name's labels (Latin-1, so that any byte can be in one); "." is the root."""
    labels = [x for x in text.split(".") if x]
    return b"".join(bytes([len(x)]) + x.encode("latin-1") for x in labels) + b"\0"


def ptr(offset: int) -> bytes:
    return struct.pack("!H", 0xC000 | offset)


def question(owner: bytes, qtype: int, qclass: int = 1) -> bytes:
    return owner + struct.pack("!HH", qtype, qclass)


def record(owner: bytes, rtype: int, rdata: bytes, ttl: int = 300, rclass: int = 1, rdlen: int | None = None) -> bytes:
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata) if rdlen is None else rdlen) + rdata


def opt(size: int = 1232, ttl: int = 0, options: bytes = b"") -> bytes:
    return record(b"\0", 41, options, ttl=ttl, rclass=size)


def message(ident: int, flags: int, qd=(), an=(), ns=(), ar=(), counts=None) -> bytes:
    counts = counts or (len(qd), len(an), len(ns), len(ar))
    return struct.pack("!HHHHHH", ident, flags, *counts) + b"".join([*qd, *an, *ns, *ar])


QNAME = 12  # where the first question's name starts: the target of most pointers
WWW = question(name("www.example.com"), 1)
CNAME_AT = 12 + len(WWW) + 12  # the CNAME's target, right after the first answer's fixed part


def frame(payload: bytes, sport: int = 40000, dport: int = 53, v6: bool = False, dst: bytes | None = None,
          pad: bytes = b"", udp_len: int | None = None) -> bytes:
    """Ethernet, IPv4 or IPv6, UDP (checksum right unless udp_len lies), the message, a trailer."""
    src, dst = (A6, dst or B6) if v6 else (A4, dst or B4)
    segment = busygen._udp(src, dst, sport, dport, payload)
    if udp_len is not None:
        segment = segment[:4] + struct.pack("!H", udp_len) + segment[6:]
    if v6:
        return MACS + b"\x86\xdd" + busygen._ipv6(src, dst, 17, segment) + pad
    return MACS + b"\x08\x00" + busygen._ipv4(src, dst, 17, segment, 7) + pad


def unreachable(quoted: bytes) -> bytes:
    """An ICMP (ICMPv6) port unreachable from B back to A, quoting a frame's datagram whole."""
    if quoted[12:14] == b"\x86\xdd":
        icmp = bytearray(struct.pack("!BBHI", 1, 4, 0, 0) + quoted[14:])
        struct.pack_into("!H", icmp, 2, checksum(busygen._pseudo(B6, A6, 58, len(icmp)) + bytes(icmp)))
        return MACS + b"\x86\xdd" + busygen._ipv6(B6, A6, 58, bytes(icmp))
    icmp = bytearray(struct.pack("!BBHI", 3, 3, 0, 0) + quoted[14:])
    struct.pack_into("!H", icmp, 2, checksum(bytes(icmp)))
    return MACS + b"\x08\x00" + busygen._ipv4(B4, A4, 1, bytes(icmp), 9)


ALL = (0, 1, 2, 3)  # -n, -v, -vv, -vvv
NONE = ()

# (what, frame, the verbosities at which the C printer prints it)
CASES = [
    ("query A, EDNS", frame(message(0x1234, 0x0100, [WWW], ar=[opt()])), ALL),
    ("query AAAA over IPv6", frame(message(7, 0x0100, [question(name("www.example.com"), 28)], ar=[opt(4096)]),
                                   v6=True), ALL),
    ("answer A, a CNAME chain", frame(message(0x1234, 0x8180, [WWW], [
        record(ptr(QNAME), 5, name("edge.example.net"), ttl=0),
        record(ptr(CNAME_AT), 1, bytes([93, 184, 216, 34]), ttl=59),
        record(ptr(CNAME_AT), 1, bytes([93, 184, 216, 35]), ttl=90061)]), 53, 40000), ALL),
    ("answer AAAA over IPv6", frame(message(8, 0x8180, [question(name("www.example.com"), 28)], [
        record(ptr(QNAME), 28, A6, ttl=40000000), record(ptr(QNAME), 28, bytes(16), ttl=3600)]), 53, 40000, v6=True),
     ALL),
    ("answer PTR", frame(message(9, 0x8580, [question(name("1.0.77.10.in-addr.arpa"), 12)], [
        record(ptr(QNAME), 12, name("host.example.com"))]), 53, 40000), ALL),
    ("answer MX, names compressed into others", frame(message(10, 0x8180, [question(name("example.com"), 15)], [
        record(ptr(QNAME), 15, struct.pack("!H", 10) + b"\x03mx1" + ptr(QNAME)),
        record(ptr(QNAME), 15, struct.pack("!H", 20) + b"\x03mx2" + ptr(QNAME))]), 53, 40000), ALL),
    ("answer TXT, three strings", frame(message(11, 0x8180, [question(name("example.com"), 16)], [
        record(ptr(QNAME), 16, b"\x06v=spf1\x00\x0binclude:x ~")]), 53, 40000), ALL),
    ("answer NS, SRV, DNAME", frame(message(12, 0x8180, [question(name("_sip._udp.example.com"), 33)], [
        record(ptr(QNAME), 33, struct.pack("!HHH", 10, 60, 5060) + name("sip.example.com")),
        record(ptr(QNAME), 2, name("ns1.example.com")),
        record(ptr(QNAME), 39, name("example.net"))]), 53, 40000), ALL),
    ("NXDOMAIN", frame(message(13, 0x8183, [WWW]), 53, 40000), ALL),
    ("NXDOMAIN with an SOA (its data: the Python printer's)", frame(message(14, 0x8183, [WWW], ns=[
        record(ptr(QNAME + 4), 6, name("ns.example.com") + name("host.example.com") + bytes(20))]), 53, 40000), (0, 1)),
    ("answer, EDNS with DO", frame(message(15, 0x8182, [WWW], ar=[opt(512, ttl=0x8000)]), 53, 40000), ALL),
    ("query, EDNS with a cookie option (the Python printer's)", frame(message(16, 0x0120, [WWW], ar=[
        opt(options=struct.pack("!HH", 10, 8) + bytes(range(8)))])), (0, 1)),
    ("query, the root name", frame(message(17, 0, [question(b"\0", 2)])), ALL),
    ("query, labels with bytes to escape", frame(message(18, 0x0100, [question(name("a\x01b.\xff\x7f.example"), 1)])),
     ALL),
    ("query, two questions, and counts a query seldom has",
     frame(message(19, 0x0110, [WWW, question(ptr(QNAME), 28)], ns=[record(ptr(QNAME), 2, name("ns.example.com"))],
                   ar=[opt()])), ALL),
    ("query, no question", frame(message(20, 0x0100, counts=(0, 0, 0, 0)) + bytes(4)), ALL),
    ("notify, authoritative", frame(message(21, 0x2400, [question(name("example.com"), 6)])), ALL),
    ("update answer, NotAuth, truncated, no recursion", frame(message(22, 0xAA29, [WWW]), 53, 40000), ALL),
    ("inverse query (at -vv its answer: tcpdump prints no an:)",
     frame(message(23, 0x0800, an=[record(b"\0", 1, bytes([10, 0, 0, 1]))])), (0, 1)),
    ("answer, two questions (below -vv: tcpdump puts a comma after [2q])",
     frame(message(24, 0x8180, [WWW, question(ptr(QNAME), 28)], [record(ptr(QNAME), 1, bytes([10, 0, 0, 2]))]),
           53, 40000), (2, 3)),
    ("answer, an A record's data longer than 4", frame(message(25, 0x8180, [WWW], [
        record(ptr(QNAME), 1, bytes(range(1, 7)))]), 53, 40000), ALL),
    ("mDNS query, QU and QM", frame(message(0, 0, [question(name("printer.local"), 12, 0x8001),
                                                   question(name("_ipp._tcp.local"), 12)]),
                                    5353, 5353, dst=MDNS4), ALL),
    ("mDNS answer, cache flush", frame(message(0, 0x8400, an=[
        record(name("printer.local"), 1, bytes([10, 77, 0, 9]), ttl=120, rclass=0x8001),
        record(ptr(QNAME), 28, A6, ttl=120, rclass=0x8001)], ar=[opt(1440 | 0x8000)]), 5353, 5353, dst=MDNS4), ALL),
    ("a message in a padded frame", frame(message(26, 0x0100, [WWW]), pad=bytes(12)), ALL),
    ("a UDP length shorter than the message", frame(message(27, 0x8180, [WWW], [record(ptr(QNAME), 1, bytes(4))]),
                                                    53, 40000, udp_len=8 + 12 + len(WWW)), ALL),
    ("a query quoted in a port unreachable (printed from -v on)",
     unreachable(frame(message(28, 0x0100, [WWW], ar=[opt()]))), ALL),
    ("a query over IPv6 quoted in a port unreachable",
     unreachable(frame(message(29, 0x0100, [question(name("www.example.com"), 28)]), v6=True)), ALL),
    # the C printer hands these back
    ("a forward pointer", frame(message(30, 0x0100, [question(ptr(QNAME + 6), 1) + name("x.example")])), NONE),
    ("an owner name pointing to itself (read from -v on)",
     frame(message(31, 0x8180, [WWW], [record(ptr(CNAME_AT - 12), 1, bytes(4))]), 53, 40000), (0,)),
    ("a pointer to itself", frame(message(32, 0x0100, [question(ptr(QNAME), 1)])), NONE),
    ("a name of 256 bytes (tcpdump: <DOMAIN NAME TOO LONG>)",
     frame(message(44, 0x0100, [question(b"".join(b"\x3f" + c * 63 for c in (b"a", b"b", b"c", b"d")) + b"\0", 1)])),
     NONE),
    ("a name of 245 bytes", frame(message(45, 0x0100, [question(
        b"".join(b"\x3f" + c * 63 for c in (b"x", b"a", b"b")) + b"\x34" + b"z" * 52 + b"\0", 1)])), ALL),
    ("an extended label type", frame(message(33, 0x0100, [question(b"\x41\x01x\0", 1)])), NONE),
    ("class CHAOS", frame(message(34, 0x0100, [question(name("version.bind"), 16, 3)])), NONE),
    ("an answer of class CHAOS", frame(message(35, 0x8180, [question(name("version.bind"), 16, 3)], [
        record(ptr(QNAME), 16, b"\x019", rclass=3)]), 53, 40000), NONE),
    ("type HTTPS", frame(message(36, 0x0100, [question(name("example.com"), 65)])), NONE),
    ("type CAA", frame(message(37, 0x0100, [question(name("example.com"), 257)])), NONE),
    ("a TXT string with a control character (tcpdump escapes it)", frame(message(46, 0x8180, [
        question(name("example.com"), 16)], [record(ptr(QNAME), 16, b"\x03a\x00b")]), 53, 40000), NONE),
    ("a TXT string with a byte above 0x7e", frame(message(38, 0x8180, [question(name("example.com"), 16)], [
        record(ptr(QNAME), 16, b"\x04caf\xe9")]), 53, 40000), NONE),
    ("answer, EDNS version 1 (tcpdump does not print it)", frame(message(41, 0x8180, [WWW], ar=[
        opt(512, ttl=0x00010000)]), 53, 40000), (0, 1)),
    ("answer, an extended rcode (tcpdump adds it to the rcode: BadVers)", frame(message(42, 0x8180, [WWW], ar=[
        opt(512, ttl=0x01000000)]), 53, 40000), NONE),
    ("a TXT string past its record's data", frame(message(43, 0x8180, [question(name("example.com"), 16)], [
        record(ptr(QNAME), 16, b"\x01a\x05")]), 53, 40000), NONE),
    ("data longer than the message", frame(message(39, 0x8180, [WWW], [
        record(ptr(QNAME), 1, bytes(4), rdlen=40)]), 53, 40000), NONE),
    ("records the message does not hold", frame(message(40, 0x8180, [WWW], counts=(1, 2, 0, 0)), 53, 40000), NONE),
    ("a message shorter than its header", frame(bytes(8)), NONE),
]

VERBOSITY = {"": 0, "-v": 1, "-vv": 2, "-vvv": 3, "-q": None, "-e": 0}


def _formatter(opts: str, compiled: bool) -> Formatter:
    return Formatter(1, options_from(opts.split()), fast=compiled, compiled=compiled)


@pytest.mark.parametrize("opts", list(VERBOSITY), ids=lambda o: o or "default")
def test_the_twins_print_each_message_alike_whole_and_cut(opts):
    packets = []
    for _what, data, _c_at in CASES:
        for cut in range(14, len(data) + 1):  # every snapshot length, the whole frame last
            packets.append((1700000000, len(packets), cut, len(data), data[:cut]))
    for data, length in _random_frames(3000, seed=5353):
        packets.append((1700000000, len(packets), len(data), length, data))
    c, py = _formatter(opts, True), _formatter(opts, False)
    for packet in packets:
        assert c.format(*packet) == py.format(*packet), (opts, packet[2], packet[4].hex())


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv"], ids=lambda o: o or "default")
def test_the_c_printer_prints_the_messages_it_knows_and_hands_back_the_others(opts):
    printer = _formatter(opts, True)._compiled_printer()
    level = VERBOSITY[opts]
    for what, data, c_at in CASES:
        line = printer.line(data, len(data), "", -1)
        assert (line is not None) == (level in c_at), f"{what} at {opts or '-n'}: {line!r}"
        if line is not None:
            assert line == _formatter(opts, False).format(0, 0, len(data), len(data), data).split(" ", 1)[1]


NAMES = ("www.example.com", "a.b", "mail.example.org", ".", "x\x01y.example", "_sip._udp.example.com")
RDATA = {1: lambda rng: rng.randbytes(rng.choice((4, 4, 4, 3, 6))), 28: lambda rng: rng.randbytes(16),
         2: lambda rng: name(rng.choice(NAMES)), 5: lambda rng: ptr(QNAME), 12: lambda rng: name(rng.choice(NAMES)),
         39: lambda rng: name("example.net"), 15: lambda rng: struct.pack("!H", rng.randrange(100)) + ptr(QNAME),
         33: lambda rng: struct.pack("!HHH", 1, 2, 5060) + name("sip.example.com"),
         16: lambda rng: rng.choice((b"\x03abc", b"\x03abc", b"\x00", b"\x02hi\x01!", b"\x05ab", b"\x03a\x7fb",
                                     b"\x03a\x00b", b'\x04a"\\b')),
         6: lambda rng: name("ns.example.com") + ptr(QNAME) + bytes(20), 13: lambda rng: b"\x01a\x01b",
         65: lambda rng: bytes(5), 257: lambda rng: b"\x00\x05issue"}


def _random_message(rng) -> bytes:
    """A message of random shape: flags, counts (some lying), question and record types and classes."""
    flags = rng.choice((0x0100, 0x8180, 0x8183, 0x8580, 0x0000, 0x8400, rng.getrandbits(16)))
    qtypes = (1, 1, 28, 12, 15, 16, 5, 2, 6, 33, 255, 65, 257, 13, 35, 39, 41, 43, 46, 47, 48, 252)
    qd = [question(rng.choice((name(rng.choice(NAMES)), ptr(QNAME))) if i else name(rng.choice(NAMES)),
                   rng.choice(qtypes), rng.choice((1, 1, 1, 0x8001, 3, 255)))
          for i in range(rng.choice((0, 1, 1, 1, 2)))]

    def records(opts=False):
        out = []
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
            if opts and rng.random() < 0.7:
                out.append(opt(rng.choice((512, 1232, 4096 | 0x8000)), ttl=rng.choice((0, 0x8000, 0x10000, 1 << 24)),
                               options=rng.choice((b"", b"", b"\x00\x0a\x00\x02ab"))))
                continue
            rtype = rng.choice((1, 1, 28, 2, 5, 12, 39, 15, 33, 16) if rng.random() < 0.9 else (6, 13, 65, 257))
            out.append(record(rng.choice((ptr(QNAME), b"\0", name("z.example"))), rtype, RDATA[rtype](rng),
                              ttl=rng.choice((0, 60, 3600, 86401, 1 << 31)), rclass=rng.choice((1,) * 8 + (0x8001, 3))))
        return out

    an, ns, ar = records(), records(), records(True)
    counts = [len(qd), len(an), len(ns), len(ar)]
    if rng.random() < 0.1:
        counts[rng.randrange(4)] += rng.choice((-1, 1, 3))
    return message(rng.getrandbits(16), flags, qd, an, ns, ar, counts=tuple(max(c, 0) for c in counts))


def _random_frames(count: int, seed: int):
    """(captured bytes, wire length): a fifth of them cut by the snapshot length."""
    rng = random.Random(seed)
    for _ in range(count):
        payload = _random_message(rng)
        port = rng.choice((53, 53, 5353))
        data = frame(payload, *((40000, port) if rng.random() < 0.5 else (port, 40000)), v6=rng.random() < 0.3)
        yield (data[:rng.randrange(42, len(data) + 1)] if rng.random() < 0.2 else data), len(data)


def _flipped(frames, count: int, seed: int):
    """Frames with one to three bytes of their message (or UDP header) changed, some to a byte that
    means something in a name (0, a pointer, a label length)."""
    rng = random.Random(seed)
    for _ in range(count):
        data, length = rng.choice(frames)
        data = bytearray(data)
        start = 42 if data[12:14] == b"\x08\x00" else 62
        for _flip in range(rng.randint(1, 3)):
            if len(data) > start:
                data[rng.randrange(start, len(data))] = rng.choice((rng.randrange(256), 0, 0xC0, 1, 0x3F))
        yield bytes(data), length


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv"], ids=lambda o: o or "default")
def test_where_the_c_printer_prints_a_message_tcpdump_prints_the_same(opts, tmp_path):
    """The C printer is the Python printer's twin, but it also prints only what tcpdump prints: a fix to
    fmt_dns (which punts nothing) cannot leave it printing an old line."""
    require_tool("tcpdump")
    frames = [(data, len(data)) for _what, data, _c_at in CASES] + list(_random_frames(3000, seed=53))
    frames += list(_flipped(frames, 5000, seed=54))
    path = tmp_path / "dns.pcap"
    write_pcap(path, 1, [(1700000000, i, len(f), length, f) for i, (f, length) in enumerate(frames)])
    tcpdump_text = {}  # packet number -> its lines (-#: each packet's first line starts with its number)
    for line in tcpdump_lines(path, [*opts.split(), "-#"]):
        number = re.match(r" *(\d+)  (?=\d\d:)", line)
        if number:
            tcpdump_text[int(number[1])] = [line[number.end():]]
        else:
            tcpdump_text[max(tcpdump_text)].append(line)
    c = _formatter(opts, True)
    printer = c._compiled_printer()
    printed = 0
    for i, (data, length) in enumerate(frames):
        if printer.line(data, length, "", -1) is not None:
            printed += 1
            assert c.format(1700000000, i, len(data), length, data) == "\n".join(tcpdump_text[i + 1]), (opts, i)
    assert printed > len(frames) // 20  # (at -vv a message has more records to punt on)


def test_the_c_printer_prints_every_dns_message_of_the_busy_mix():
    """The busy mix's DNS (a fifth of its packets: queries with EDNS, answers of every type it asks
    for, CNAME chains, NXDOMAIN) never reaches the Python printers, at any verbosity."""
    messages = []
    for data in busygen.packets(4000):
        ip = 14
        while data[ip - 2:ip] == b"\x81\x00":  # (some queries go on a VLAN)
            ip += 4
        ethertype = data[ip - 2:ip]
        if ethertype not in (b"\x08\x00", b"\x86\xdd"):
            continue
        v6 = ethertype == b"\x86\xdd"
        udp = ip + (40 if v6 else (data[ip] & 15) * 4)
        if data[ip + (6 if v6 else 9)] == 17 and 53 in struct.unpack("!HH", data[udp:udp + 4]):
            messages.append(data)
    assert len(messages) > 600
    for opts in ("", "-v", "-vv", "-vvv", "-e"):
        printer = _formatter(opts, True)._compiled_printer()
        for data in messages:
            assert printer.line(data, len(data), "", -1) is not None, (opts, data.hex())
