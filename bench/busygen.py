"""Traffic as a busy network segment has it, for benchmarks that per-flow caches cannot game.

bench/pcapgen.py's mix has eight hosts and a few flows: a printer that caches per
flow hits every time there. This one draws, from a seeded random generator,
thousands of concurrent conversations among many hosts:

- TCP over IPv4 and IPv6 (about 70% of packets): each connection has random ephemeral
  ports, a handshake with MSS, SACK-permitted, timestamps and window scale, data in
  both directions with timestamps (some ACKs with SACK blocks), and ends with FIN or RST;
- DNS over UDP (about 12%): queries and answers of type A, AAAA, PTR, MX, TXT and CNAME
  chains, with name compression, and NXDOMAIN answers;
- NTP client/server exchanges, syslog, statsd, SSDP and a game server's datagrams (about 8%);
- ICMP echo, port unreachable quoting a UDP datagram, TTL exceeded; ICMPv6 echo and
  neighbour solicitations/advertisements (about 5%);
- ARP requests and replies, VLAN-tagged (802.1Q) IPv4 packets, and IPv4 fragments
  (first and later fragments of large UDP datagrams) (about 5%).

Every packet is well-formed: IPv4 header, TCP, UDP and ICMP checksums are right, so
tcpdump -v prints no "bad cksum". Conversations interleave: about 4,000 flows are open
at any time. `.venv/bin/python bench/busygen.py OUT.pcap [COUNT]` writes one; `tcpdump -n -r
OUT.pcap | awk '{print $3}'` and friends show the mix (the counts of a 500k file are in
bench/capture.py's output). Deterministic: the same COUNT gives the same file.
"""

from __future__ import annotations

import random
import struct

from netlab.capture.writer import PcapWriter
from netlab.core.inet import checksum

SEED = 20261205
OPEN_FLOWS = 4000  # conversations open at any moment


def _mac(rng: random.Random) -> bytes:
    return bytes([0x02]) + rng.randbytes(5)


class Hosts:
    """A few hundred IPv4 and IPv6 hosts, each with its MAC; addresses in documentation ranges."""

    def __init__(self, rng: random.Random):
        self.v4 = [bytes([10, 80 + i // 250, i % 250 + 1, rng.randrange(1, 255)]) for i in range(600)]
        self.v6 = [bytes.fromhex("20010db8") + rng.randbytes(12) for _ in range(300)]
        self.macs = {h: _mac(rng) for h in self.v4 + self.v6}
        self.servers4 = self.v4[:40]
        self.servers6 = self.v6[:20]
        self.resolver4, self.resolver6 = self.v4[0], self.v6[0]


def _ipv4(src: bytes, dst: bytes, proto: int, payload: bytes, ident: int, ttl: int = 64,
          frag: int = 0x4000, total: int | None = None) -> bytes:
    length = 20 + len(payload) if total is None else total
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, ident & 0xFFFF, frag, ttl, proto, 0, src, dst))
    struct.pack_into("!H", header, 10, checksum(bytes(header)))
    return bytes(header) + payload


def _ipv6(src: bytes, dst: bytes, nxt: int, payload: bytes, hlim: int = 64) -> bytes:
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nxt, hlim, src, dst) + payload


def _pseudo(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def _with_l4_checksum(src: bytes, dst: bytes, proto: int, segment: bytes, at: int) -> bytes:
    value = checksum(_pseudo(src, dst, proto, len(segment)) + segment)
    if proto == 17 and value == 0:
        value = 0xFFFF
    return segment[:at] + struct.pack("!H", value) + segment[at + 2:]


def _tcp(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int, options: bytes,
         payload: bytes, window: int) -> bytes:
    options += b"\x00" * (-len(options) % 4)
    offset = (20 + len(options)) // 4
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0, 0) + options + payload
    return _with_l4_checksum(src, dst, 6, segment, 16)


def _udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return _with_l4_checksum(src, dst, 17, segment, 6)


def _ip(src: bytes, dst: bytes, proto: int, payload: bytes, ident: int) -> bytes:
    return _ipv4(src, dst, proto, payload, ident) if len(src) == 4 else _ipv6(src, dst, proto, payload)


def _ether(hosts: Hosts, src: bytes, dst: bytes, payload: bytes) -> bytes:
    ethertype = 0x0800 if len(src) == 4 else 0x86DD
    return hosts.macs[dst] + hosts.macs[src] + struct.pack("!H", ethertype) + payload


def _timestamps(value: int, echo: int) -> bytes:
    return struct.pack("!BBBBII", 1, 1, 8, 10, value, echo)


class TcpFlow:
    """One connection: handshake, data both ways, then FIN/FIN or RST; yields a packet per step."""

    def __init__(self, rng: random.Random, hosts: Hosts, ident: int):
        v6 = rng.random() < 0.3
        self.client = rng.choice(hosts.v6 if v6 else hosts.v4)
        self.server = rng.choice(hosts.servers6 if v6 else hosts.servers4)
        self.sport = rng.randrange(32768, 61000)
        self.dport = rng.choice((443, 443, 443, 80, 22, 8080, 5432, 3306, 6379, 25))
        self.seq_c, self.seq_s = rng.getrandbits(32), rng.getrandbits(32)
        self.ts_c, self.ts_s = rng.getrandbits(31), rng.getrandbits(31)
        self.exchanges = rng.randrange(1, 12)
        self.reset = rng.random() < 0.1
        self.rng, self.hosts, self.ident = rng, hosts, ident
        self.steps = self._steps()

    def _segment(self, from_client: bool, flags: int, payload: bytes = b"", options: bytes | None = None) -> bytes:
        if from_client:
            src, dst, sport, dport, seq, ack = self.client, self.server, self.sport, self.dport, self.seq_c, self.seq_s
            self.ts_c += self.rng.randrange(1, 40)
            ts = _timestamps(self.ts_c, self.ts_s)
        else:
            src, dst, sport, dport, seq, ack = self.server, self.client, self.dport, self.sport, self.seq_s, self.seq_c
            self.ts_s += self.rng.randrange(1, 40)
            ts = _timestamps(self.ts_s, self.ts_c)
        if options is None:
            options = ts
        self.ident = (self.ident + 1) & 0xFFFF
        segment = _tcp(src, dst, sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF if flags & 0x10 else 0, flags,
                       options, payload, self.rng.choice((502, 509, 64240, 65160, 1024)))
        return _ether(self.hosts, src, dst, _ip(src, dst, 6, segment, self.ident))

    def _request(self) -> bytes:
        """What a client of this port sends: text protocols as text (tcpdump decodes them), else bytes."""
        rng = self.rng
        if self.dport in (80, 8080):
            path = "/" + "/".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 4)))
            return (f"GET {path}?id={rng.randrange(10**6)} HTTP/1.1\r\nHost: {rng.choice(WORDS)}.example.com\r\n"
                    f"User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n").encode()
        if self.dport == 6379:
            key = f"session:{rng.randrange(10**6)}"
            return f"*2\r\n$3\r\nGET\r\n${len(key)}\r\n{key}\r\n".encode()
        if self.dport == 25:
            return f"MAIL FROM:<{rng.choice(WORDS)}@example.com>\r\n".encode()
        return rng.randbytes(rng.randrange(40, 600))  # TLS, SSH after its banner, databases: opaque

    def _reply(self, part: int) -> bytes:
        rng = self.rng
        size = rng.choice((1448, 1448, 512, 90))
        if part == 0 and self.dport in (80, 8080):
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size * 3}\r\n\r\n"
            return head.encode() + rng.randbytes(max(0, size - len(head)))
        if part == 0 and self.dport == 6379:
            return f"${size - 8}\r\n".encode() + b"v" * (size - 8) + b"\r\n"
        if part == 0 and self.dport == 25:
            return b"250 2.1.0 Ok\r\n"
        return rng.randbytes(size)

    def _steps(self):
        # Linux's order: mss, sackOK, TS, nop, wscale (20 bytes)
        syn_opts = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + _timestamps(self.ts_c, 0)[2:] + b"\x01\x03\x03\x07"
        yield self._segment(True, 0x02, options=syn_opts)
        self.seq_c += 1
        synack_opts = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + _timestamps(self.ts_s, self.ts_c)[2:] + b"\x01\x03\x03\x07"
        yield self._segment(False, 0x12, options=synack_opts)
        self.seq_s += 1
        yield self._segment(True, 0x10)
        for _ in range(self.exchanges):
            request = self._request()
            yield self._segment(True, 0x18, request)
            self.seq_c += len(request)
            for part in range(self.rng.randrange(1, 4)):
                reply = self._reply(part)
                yield self._segment(False, 0x18 if len(reply) < 1448 else 0x10, reply)
                self.seq_s += len(reply)
            if self.rng.random() < 0.15:  # an ACK with a SACK block: a segment went missing
                left = (self.seq_s + 1448) & 0xFFFFFFFF
                sack = b"\x01\x01" + struct.pack("!BBII", 5, 10, left, (left + 1448) & 0xFFFFFFFF)
                yield self._segment(True, 0x10, options=_timestamps(self.ts_c, self.ts_s) + sack)
            else:
                yield self._segment(True, 0x10)
        if self.reset:
            yield self._segment(True, 0x14)
            return
        yield self._segment(True, 0x11)
        self.seq_c += 1
        yield self._segment(False, 0x11)
        self.seq_s += 1
        yield self._segment(True, 0x10)


DNS_TYPES = {"A": 1, "AAAA": 28, "PTR": 12, "MX": 15, "TXT": 16, "CNAME": 5}
WORDS = ("www", "api", "mail", "cdn", "static", "db", "auth", "login", "img", "files", "status", "eu", "us")
DOMAINS = ("example.com", "example.net", "example.org", "test", "invalid", "corp.example")


def _name(labels: list[str]) -> bytes:
    return b"".join(bytes([len(x)]) + x.encode() for x in labels) + b"\0"


def _dns(rng: random.Random, hosts: Hosts, ident: int):
    """A query and its answer over UDP (to the resolver, v4 or v6)."""
    v6 = rng.random() < 0.25
    client = rng.choice(hosts.v6 if v6 else hosts.v4)
    resolver = hosts.resolver6 if v6 else hosts.resolver4
    sport, qid = rng.randrange(1024, 65536), rng.getrandbits(16)
    qtype = rng.choice(("A", "A", "A", "AAAA", "AAAA", "PTR", "MX", "TXT", "CNAME"))
    labels = [rng.choice(WORDS), *rng.choice(DOMAINS).split(".")]
    if qtype == "PTR":
        labels = [str(rng.randrange(1, 255)) for _ in range(4)] + ["in-addr", "arpa"]
    question = _name(labels) + struct.pack("!HH", DNS_TYPES[qtype], 1)
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1) + question + b"\0\0\x29\x04\xd0\0\0\0\0\0\0"  # EDNS0
    yield _ether(hosts, client, resolver, _ip(client, resolver, 17, _udp(client, resolver, sport, 53, query), ident))
    if rng.random() < 0.1:  # NXDOMAIN
        answer = struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
    else:
        records = []
        owner = b"\xc0\x0c"  # a pointer to the question's name
        if qtype == "CNAME" or (qtype in ("A", "AAAA") and rng.random() < 0.3):
            target = _name([rng.choice(WORDS), "edge", rng.choice(DOMAINS).split(".")[0], "net"])
            records.append(owner + struct.pack("!HHIH", 5, 1, 300, len(target)) + target)
            owner = b"\xc0" + bytes([12 + len(question) + 10 + 2])  # the CNAME target's name
        if qtype in ("A", "CNAME"):
            for _ in range(rng.randrange(1, 4)):
                records.append(owner + struct.pack("!HHIH", 1, 1, rng.randrange(30, 3600), 4) + rng.choice(hosts.v4))
        elif qtype == "AAAA":
            for _ in range(rng.randrange(1, 3)):
                records.append(owner + struct.pack("!HHIH", 28, 1, rng.randrange(30, 3600), 16) + rng.choice(hosts.v6))
        elif qtype == "PTR":
            target = _name(["host" + str(rng.randrange(1000)), "example", "com"])
            records.append(owner + struct.pack("!HHIH", 12, 1, 3600, len(target)) + target)
        elif qtype == "MX":
            for pref in (10, 20):
                target = _name([f"mx{pref // 10}", "example", "com"])
                records.append(owner + struct.pack("!HHIHH", 15, 1, 3600, len(target) + 2, pref) + target)
        elif qtype == "TXT":
            text = b"v=spf1 include:_spf.example.com ~all"
            records.append(owner + struct.pack("!HHIHB", 16, 1, 300, len(text) + 1, len(text)) + text)
        answer = struct.pack("!HHHHHH", qid, 0x8180, 1, len(records), 0, 0) + question + b"".join(records)
    yield _ether(hosts, resolver, client, _ip(resolver, client, 17, _udp(resolver, client, 53, sport, answer), ident + 1))


def _ntp(rng: random.Random, hosts: Hosts, ident: int):
    client, server = rng.choice(hosts.v4), rng.choice(hosts.servers4)
    now = 3_970_000_000 + rng.getrandbits(20)
    request = struct.pack("!BBbbII4sQQQQ", 0x23, 0, 6, -20, 0, 0, b"\0" * 4, 0, 0, 0, now << 32)
    yield _ether(hosts, client, server, _ipv4(client, server, 17, _udp(client, server, 123, 123, request), ident))
    reply = struct.pack("!BBbbII4sQQQQ", 0x24, 2, 6, -23, 0x10, 0x20, bytes([192, 0, 2, 1]), (now - 60) << 32,
                        now << 32, (now << 32) + 5000, (now << 32) + 9000)
    yield _ether(hosts, server, client, _ipv4(server, client, 17, _udp(server, client, 123, 123, reply), ident + 1))


UDP_SERVICES = {  # port -> a payload as that service sends it (27015: a game server, opaque bytes)
    514: b"<134>Dec  5 05:00:00 web01 nginx: 10.80.1.9 - - GET /api/v1/items 200",
    8125: b"api.requests:1|c\napi.latency:23|ms|@0.5",
    1900: b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n",
    27015: None,
}


def _other_udp(rng: random.Random, hosts: Hosts, ident: int) -> bytes:
    src, dst = rng.choice(hosts.v4), rng.choice(hosts.servers4)
    dport = rng.choice(tuple(UDP_SERVICES))
    payload = UDP_SERVICES[dport] or rng.randbytes(rng.randrange(20, 400))
    return _ether(hosts, src, dst, _ipv4(src, dst, 17, _udp(src, dst, rng.randrange(1024, 65536), dport, payload), ident))


def _icmp(kind: int, code: int, rest: bytes) -> bytes:
    body = struct.pack("!BBH", kind, code, 0) + rest
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def _icmp6(src: bytes, dst: bytes, kind: int, code: int, rest: bytes) -> bytes:
    body = struct.pack("!BBH", kind, code, 0) + rest
    value = checksum(_pseudo(src, dst, 58, len(body)) + body)
    return body[:2] + struct.pack("!H", value) + body[4:]


def _control(rng: random.Random, hosts: Hosts, ident: int):
    """ICMP echo and errors, ICMPv6 echo and neighbour discovery."""
    kind = rng.randrange(5)
    if kind == 0:
        a, b = rng.choice(hosts.v4), rng.choice(hosts.v4)
        echo = struct.pack("!HH", rng.getrandbits(16), rng.getrandbits(16)) + bytes(range(56))
        yield _ether(hosts, a, b, _ipv4(a, b, 1, _icmp(8, 0, echo), ident))
        yield _ether(hosts, b, a, _ipv4(b, a, 1, _icmp(0, 0, echo), ident + 1))
    elif kind == 1:  # port unreachable, quoting the datagram that caused it
        a, b = rng.choice(hosts.v4), rng.choice(hosts.servers4)
        sent = _ipv4(a, b, 17, _udp(a, b, rng.randrange(1024, 65536), rng.randrange(20000, 30000), b"probe"), ident)
        yield _ether(hosts, a, b, sent)
        yield _ether(hosts, b, a, _ipv4(b, a, 1, _icmp(3, 3, b"\0\0\0\0" + sent[:28]), ident + 1))
    elif kind == 2:  # TTL exceeded from a router, quoting a TCP SYN
        a, b, router = rng.choice(hosts.v4), rng.choice(hosts.servers4), rng.choice(hosts.v4)
        syn = _ipv4(a, b, 6, _tcp(a, b, rng.randrange(32768, 61000), 443, rng.getrandbits(32), 0, 0x02, b"", b"", 64240),
                    ident, ttl=1)
        yield _ether(hosts, router, a, _ipv4(router, a, 1, _icmp(11, 0, b"\0\0\0\0" + syn[:28]), ident + 1))
    elif kind == 3:
        a, b = rng.choice(hosts.v6), rng.choice(hosts.v6)
        echo = struct.pack("!HH", rng.getrandbits(16), rng.getrandbits(16)) + bytes(range(56))
        yield _ether(hosts, a, b, _ipv6(a, b, 58, _icmp6(a, b, 128, 0, echo)))
        yield _ether(hosts, b, a, _ipv6(b, a, 58, _icmp6(b, a, 129, 0, echo)))
    else:  # neighbour solicitation and advertisement, with link-layer address options
        a, b = rng.choice(hosts.v6), rng.choice(hosts.v6)
        solicited = bytes.fromhex("ff0200000000000000000001ff") + b[-3:]
        ns = b"\0\0\0\0" + b + b"\x01\x01" + hosts.macs[a]
        frame = _ipv6(a, solicited, 58, _icmp6(a, solicited, 135, 0, ns), hlim=255)
        yield b"\x33\x33\xff" + b[-3:] + hosts.macs[a] + b"\x86\xdd" + frame
        na = b"\x60\0\0\0" + b + b"\x02\x01" + hosts.macs[b]
        yield _ether(hosts, b, a, _ipv6(b, a, 58, _icmp6(b, a, 136, 0, na), hlim=255))


def _link(rng: random.Random, hosts: Hosts, ident: int):
    """ARP, 802.1Q-tagged IPv4, and IPv4 fragments."""
    kind = rng.randrange(3)
    if kind == 0:
        a, b = rng.choice(hosts.v4), rng.choice(hosts.v4)
        request = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, hosts.macs[a], a, b"\0" * 6, b)
        yield b"\xff" * 6 + hosts.macs[a] + b"\x08\x06" + request
        reply = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, hosts.macs[b], b, hosts.macs[a], a)
        yield hosts.macs[a] + hosts.macs[b] + b"\x08\x06" + reply
    elif kind == 1:  # a DNS query on a VLAN: the tag goes between the MACs and the ethertype
        frame = next(_dns(rng, hosts, ident))
        yield frame[:12] + struct.pack("!HH", 0x8100, rng.choice((10, 20, 100))) + frame[12:]
    else:  # a 3000-byte UDP datagram in three fragments
        a, b = rng.choice(hosts.v4), rng.choice(hosts.v4)
        datagram = _udp(a, b, rng.randrange(1024, 65536), 27015, rng.randbytes(2992))
        for offset in (0, 1480, 2960):
            chunk = datagram[offset:offset + 1480]
            more = 0x2000 if offset + 1480 < len(datagram) else 0
            yield _ether(hosts, a, b, _ipv4(a, b, 17, chunk, ident, frag=more | (offset // 8)))


def packets(count: int):
    """``count`` packets of the busy mix, conversations interleaved (deterministic)."""
    rng = random.Random(SEED)
    hosts = Hosts(rng)
    ident = 1
    flows = [TcpFlow(rng, hosts, rng.getrandbits(16)) for _ in range(OPEN_FLOWS)]
    made = 0
    while made < count:
        roll = rng.random()
        if roll < 0.70:  # a step of one open TCP connection; a closed one is replaced by a new one
            i = rng.randrange(OPEN_FLOWS)
            step = next(flows[i].steps, None)
            if step is None:
                flows[i] = TcpFlow(rng, hosts, rng.getrandbits(16))
                step = next(flows[i].steps)
            batch = [step]
        elif roll < 0.82:
            batch = list(_dns(rng, hosts, ident))
        elif roll < 0.86:
            batch = list(_ntp(rng, hosts, ident))
        elif roll < 0.90:
            batch = [_other_udp(rng, hosts, ident)]
        elif roll < 0.95:
            batch = list(_control(rng, hosts, ident))
        else:
            batch = list(_link(rng, hosts, ident))
        ident = (ident + 2) & 0xFFFF
        for frame in batch[:count - made]:
            yield frame
            made += 1


def write_busy_pcap(path: str, count: int, start: int = 1_733_000_000) -> None:
    """``count`` packets of the busy mix, a few microseconds apart."""
    with PcapWriter(path, linktype=1) as writer:
        usec = 0
        for data in packets(count):
            usec += 3 + (usec * 7) % 11
            writer.write(start + usec // 1_000_000, usec % 1_000_000, len(data), len(data), data)


if __name__ == "__main__":
    import sys

    write_busy_pcap(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
