"""Damaged capture files: real pcap and pcapng files with their headers and records mutated.

The seeds are real captures (tcpdump's conformance pcaps, and the same packets
rewritten as pcapng with the block kinds and IDB options libpcap reads). A
mutation changes one field that libpcap checks (a length, a magic, a version, a
link type, an if_tsresol, a trailer), a random header byte, or cuts the file;
``fields()`` says where those fields are, so a mutation lands on them rather
than in packet bytes, where only the printers would notice.
"""

from __future__ import annotations

import os
import random
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import pcapfile
from tests.helpers.cli import netlab_argv
from tests.helpers.env import ROOT

PCAPNG_SHB = 0x0A0D0D0A
BYTE_ORDER_MAGIC = 0x1A2B3C4D

# Small conformance pcaps with real packets of several link types (Ethernet, raw IPv4/IPv6, nanosecond).
SEED_PCAPS = ("whois.pcap", "dns_udp.pcap", "LINKTYPE_IPV4.pcap", "LINKTYPE_RAW_ipv6.pcap", "tcp-handshake-nano.pcap",
              "icmpv6-length-zero.pcapng", "mptcp-fclose.pcap", "802.1ad_QinQ.pcap")


@dataclass(frozen=True)
class Field:
    offset: int
    size: int      # 1, 2, 4 or 8 bytes
    order: str     # "<" or ">"
    name: str      # what it is, for the report of a failing case


# --- seeds -----------------------------------------------------------------------------------------------------

def block(btype: int, body: bytes, order: str = "<") -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack(order + "II", btype, len(body) + 12) + body + struct.pack(order + "I", len(body) + 12)


def option(code: int, value: bytes, order: str = "<") -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def pcapng_of(pcap: Path, order: str = "<", tsresol: int | None = None, tsoffset: int | None = None,
              second_interface: bool = False, simple: bool = False) -> bytes:
    """The packets of a pcap file as a pcapng file, each in an EPB (the first one an SPB with ``simple``).

    ``tsresol`` writes an if_tsresol option (6 and 9 are what capture tools write), ``tsoffset`` an
    if_tsoffset; ``second_interface`` a second IDB of the same link type, which the last packet names.
    """
    linktype, packets = pcapfile.read(str(pcap), nano=tsresol == 9)
    units = 10 ** (tsresol if tsresol is not None else 6)
    shb = block(PCAPNG_SHB, struct.pack(order + "IHHq", BYTE_ORDER_MAGIC, 1, 0, -1)
                + option(4, b"netlab tests", order) + option(0, b"", order), order)
    options = b""
    if tsresol is not None:
        options += option(9, bytes([tsresol]), order)
    if tsoffset is not None:
        options += option(14, struct.pack(order + "q", tsoffset), order)
    if options:
        options += option(0, b"", order)
    idb = block(1, struct.pack(order + "HHI", linktype, 0, 262144) + options, order)
    out = shb + idb + (idb if second_interface else b"")
    for i, (sec, frac, _caplen, length, data) in enumerate(packets):
        ticks = (sec - (tsoffset or 0)) * units + frac
        iface = 1 if second_interface and i == len(packets) - 1 else 0
        if simple and i == 0:
            out += block(3, struct.pack(order + "I", length) + data, order)
        else:
            out += block(6, struct.pack(order + "IIIII", iface, ticks >> 32 & 0xFFFFFFFF, ticks & 0xFFFFFFFF,
                                        len(data), length) + data, order)
        if i == 0:
            out += block(5, struct.pack(order + "IIII", 0, 0, 0, 0), order)  # an interface statistics block: skipped
    return out


def byte_swapped_pcap(blob: bytes) -> bytes:
    """A little-endian pcap file rewritten big-endian (what a SPARC or a Power machine writes)."""
    out = bytearray(struct.pack(">IHHiIII", *struct.unpack_from("<IHHiIII", blob)))
    off = 24
    while off + 16 <= len(blob):
        sec, frac, caplen, length = struct.unpack_from("<IIII", blob, off)
        out += struct.pack(">IIII", sec, frac, caplen, length) + blob[off + 16:off + 16 + caplen]
        off += 16 + caplen
    return bytes(out)


def kuznetzov_pcap(blob: bytes) -> bytes:
    """A little-endian pcap file in the patched format of Alexey Kuznetzov's libpcap (24-byte record headers)."""
    out = bytearray(struct.pack("<I", 0xA1B2CD34) + blob[4:24])
    off = 24
    while off + 16 <= len(blob):
        caplen = struct.unpack_from("<I", blob, off + 8)[0]
        out += blob[off:off + 16] + struct.pack("<iHBx", 2, 0x0800, 0) + blob[off + 16:off + 16 + caplen]
        off += 16 + caplen
    return bytes(out)


def seeds(pcaps: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of every seed file: the conformance captures and pcapng and big-endian forms of them."""
    out = [(name, (pcaps / name).read_bytes()) for name in SEED_PCAPS if (pcaps / name).exists()]
    whois, dns, raw6, nano = (pcaps / n for n in ("whois.pcap", "dns_udp.pcap", "LINKTYPE_RAW_ipv6.pcap",
                                                    "tcp-handshake-nano.pcap"))
    out += [
        ("whois-be.pcap", byte_swapped_pcap(whois.read_bytes())),
        ("whois-kuznetzov.pcap", kuznetzov_pcap(whois.read_bytes())),
        ("whois.pcapng", pcapng_of(whois)),
        ("whois-be.pcapng", pcapng_of(whois, order=">", tsresol=6)),
        ("dns-nano.pcapng", pcapng_of(dns, tsresol=9, second_interface=True)),
        ("dns-offset.pcapng", pcapng_of(dns, tsresol=3, tsoffset=1_000_000_000, simple=True)),
        ("raw6-binary.pcapng", pcapng_of(raw6, tsresol=0x94)),  # 2^-20 s
        ("nano.pcapng", pcapng_of(nano, tsresol=9)),
    ]
    return out


# --- where the fields are ---------------------------------------------------------------------------------------

def fields(blob: bytes) -> list[Field]:
    """The header and record fields of a pcap or pcapng file, as far as its lengths can be followed."""
    if len(blob) < 4:
        return []
    if struct.unpack_from("<I", blob)[0] == PCAPNG_SHB:
        return _pcapng_fields(blob)
    return _pcap_fields(blob)


def _pcap_fields(blob: bytes) -> list[Field]:
    magic = struct.unpack_from("<I", blob)[0]
    order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D, 0xA1B2CD34) else ">"
    header = 24 if magic in (0xA1B2CD34, 0x34CDB2A1) else 16  # Kuznetzov's records are longer
    out = [Field(0, 4, order, "magic"), Field(4, 2, order, "version_major"), Field(6, 2, order, "version_minor"),
           Field(8, 4, order, "thiszone"), Field(16, 4, order, "snaplen"), Field(20, 4, order, "linktype")]
    out = [f for f in out if f.offset + f.size <= len(blob)]
    off, n = 24, 0
    while off + header <= len(blob):
        for delta, name in ((0, "ts_sec"), (4, "ts_frac"), (8, "caplen"), (12, "len")):
            out.append(Field(off + delta, 4, order, f"record {n} {name}"))
        off += header + struct.unpack_from(order + "I", blob, off + 8)[0]
        n += 1
    return out


def _pcapng_fields(blob: bytes) -> list[Field]:
    out: list[Field] = []
    off, n, order = 0, 0, "<"
    while off + 12 <= len(blob):
        if struct.unpack_from("<I", blob, off)[0] == PCAPNG_SHB:
            order = ">" if struct.unpack_from("<I", blob, off + 8)[0] == 0x4D3C2B1A else "<"
        btype, length = struct.unpack_from(order + "II", blob, off)
        where = f"block {n} (type {btype})"
        out += [Field(off, 4, order, f"{where} type"), Field(off + 4, 4, order, f"{where} length")]
        if length < 12 or off + length > len(blob):
            break
        out.append(Field(off + length - 4, 4, order, f"{where} trailing length"))
        body = off + 8
        if btype == PCAPNG_SHB:
            out += [Field(body, 4, order, f"{where} byte-order magic"), Field(body + 4, 2, order, f"{where} major"),
                    Field(body + 6, 2, order, f"{where} minor")]
        elif btype == 1:
            out += [Field(body, 2, order, f"{where} linktype"), Field(body + 4, 4, order, f"{where} snaplen")]
            pos = body + 8
            while pos + 4 <= off + length - 4:
                code, size = struct.unpack_from(order + "HH", blob, pos)
                out += [Field(pos, 2, order, f"{where} option code"),
                        Field(pos + 2, 2, order, f"{where} option {code} length")]
                if code == 9 and size >= 1:
                    out.append(Field(pos + 4, 1, order, f"{where} if_tsresol"))
                if code == 0:
                    break
                pos += 4 + size + (-size % 4)
        elif btype == 6:
            for delta, name in ((0, "interface"), (4, "ts_high"), (8, "ts_low"), (12, "caplen"), (16, "len")):
                out.append(Field(body + delta, 4, order, f"{where} {name}"))
        elif btype == 3:
            out.append(Field(body, 4, order, f"{where} len"))
        off += length
        n += 1
    return out


# --- mutations --------------------------------------------------------------------------------------------------

def set_field(blob: bytes, field: Field, value: int) -> bytes:
    out = bytearray(blob)
    code = {1: "B", 2: "H", 4: "I", 8: "Q"}[field.size]
    struct.pack_into(field.order + code, out, field.offset, value & ((1 << 8 * field.size) - 1))
    return bytes(out)


def field_value(blob: bytes, field: Field) -> int:
    return struct.unpack_from(field.order + {1: "B", 2: "H", 4: "I", 8: "Q"}[field.size], blob, field.offset)[0]


def mutate(blob: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One damaged copy of blob, and what was done to it (for the report)."""
    found = fields(blob)
    kind = rng.choice(["field", "field", "field", "field", "cut", "byte", "tsresol"])
    if kind == "tsresol":
        tsresol = [f for f in found if f.name.endswith("if_tsresol")]
        if tsresol:
            f = rng.choice(tsresol)
            value = rng.choice([0, 0x80, 1, 5, 10, 19, 20, 63 | 0x80, 64 | 0x80, 0xFF, rng.randrange(256)])
            return set_field(blob, f, value), f"{f.name} = {value:#x}"
        kind = "field"
    if kind == "field" and found:
        f = rng.choice(found)
        old = field_value(blob, f)
        top = (1 << 8 * f.size) - 1
        value = rng.choice([0, top, old + 1, old - 1, old + 4, old - 4, old ^ (1 << rng.randrange(8 * f.size)),
                            rng.randrange(top + 1), old * 2, old // 2, 0x80000000 & top, 262145, 65535, 1, 2])
        return set_field(blob, f, value), f"{f.name}: {old:#x} -> {value & top:#x}"
    if kind == "byte":
        limit = min(len(blob), 96)
        pos = rng.randrange(limit) if limit else 0
        out = bytearray(blob)
        if out:
            out[pos] = rng.choice([0, 0xFF, out[pos] ^ (1 << rng.randrange(8)), rng.randrange(256)])
        return bytes(out), f"byte {pos} -> {out[pos]:#x}" if out else "empty"
    # A cut: often just inside a field, where libpcap's "truncated" messages come from.
    if found and rng.random() < 0.6:
        f = rng.choice(found)
        cut = max(0, f.offset + rng.randrange(-2, f.size + 2))
    else:
        cut = rng.randrange(len(blob) + 1)
    return blob[:cut], f"cut at byte {cut} of {len(blob)}"


# --- running both tools -----------------------------------------------------------------------------------------

def run_tcpdump(path: Path, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(["tcpdump", *args, "-r", str(path)], capture_output=True, timeout=timeout,
                          env=dict(os.environ, TZ="GMT0"))


def run_netlab(path: Path, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    env = dict(os.environ, TZ="GMT0", PYTHONPATH=str(ROOT))
    env.pop("NETLAB_DEBUG", None)
    return subprocess.run(netlab_argv("capture", *args, "-r", str(path)), capture_output=True, timeout=timeout,
                          env=env)


def error_lines(stderr: bytes) -> list[str]:
    """What a tool said on stderr besides its "reading from file" line."""
    return [line for line in stderr.decode(errors="replace").splitlines() if not line.startswith("reading from file")]
