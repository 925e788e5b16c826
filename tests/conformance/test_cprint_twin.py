"""The C printer (netlab.capture._cprint) prints what the Python printers print, packet for packet.

Two implementations of one printer must never drift: the C one prints the packets
it knows (and hands back the others), so for every packet of every capture here,
at every option set, the line of a Formatter with the C printer must equal the line
of a Formatter with the general Python printers alone. The captures: tcpdump's
conformance files, a busy-segment mix (bench/busygen.py), and fuzzed packets made
from it (bytes flipped, cut short, lengths changed), which walk the C printer's
bounds checks. The tcpdump suites (test_tcpdump_lines.py and friends) then tie the
Python printers to tcpdump itself.
"""

from __future__ import annotations

import os
import random
import zlib

import pytest

from bench import busygen
from netlab.capture import decode
from netlab.capture.decode import Formatter
from tests.helpers import pcapfile
from tests.helpers.tcpdump import PCAPS, needs_pcaps, options_from

SETS = ["", "-q", "-e", "-q -e", "-v", "-vv", "-vvv", "-e -v", "-q -v", "-tttt", "--nano", "-#", "-x", "-xx", "-X",
        "-A", "-# -e -X -tt", "-ttt", "-S", "-S -v"]
FUZZ_SETS = ["", "-v", "-vv", "-e", "-q", "-S"]
FUZZ_PACKETS = int(os.environ.get("NETLAB_FUZZ_PACKETS", "20000"))  # per option set: 120k in all

needs_cprint = pytest.mark.skipif(decode._cprint is None, reason="netlab.capture._cprint is not built")
pytestmark = needs_cprint


def _lines(linktype, packets, opts, compiled):
    fmt = Formatter(linktype, options_from(opts.split()), fast=compiled, compiled=compiled)
    return [fmt.format(*p) for p in packets]


def _assert_twins(linktype, packets, opts, name):
    c_lines = _lines(linktype, packets, opts, True)
    py_lines = _lines(linktype, packets, opts, False)
    for i, (c, py) in enumerate(zip(c_lines, py_lines)):
        assert c == py, f"{name} packet {i + 1} with {opts!r}"


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    path = tmp_path_factory.mktemp("twin") / "busy.pcap"
    busygen.write_busy_pcap(str(path), 20000)
    return pcapfile.read(str(path))


@needs_pcaps
@pytest.mark.parametrize("opts", SETS, ids=lambda o: o or "default")
def test_conformance_captures(opts):
    for pcap in sorted(PCAPS.iterdir()):
        linktype, packets = pcapfile.read(str(pcap), nano="--nano" in opts)
        _assert_twins(linktype, packets, opts, pcap.name)


@pytest.mark.privileged
@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-X"], ids=lambda o: o or "default")
def test_namespace_recordings(recorded, opts):
    """The real traffic the suite records in namespaces (Ethernet, cooked v1 and v2, raw IP)."""
    for name, path in sorted(recorded.items()):
        linktype, packets = pcapfile.read(path)
        _assert_twins(linktype, packets, opts, name)


@pytest.mark.parametrize("opts", SETS, ids=lambda o: o or "default")
def test_busy_mix(busy, opts):
    linktype, packets = busy
    _assert_twins(linktype, packets, opts, "busy mix")


def test_the_c_printer_prints_most_of_the_busy_mix(busy):
    """Not a speed test: proof that the twin tests above compare C lines, not only punts."""
    linktype, packets = busy
    printer = Formatter(linktype)._compiled_printer()
    printed = sum(printer.line(data, length, "", -1) is not None for _s, _f, _c, length, data in packets)
    assert printed / len(packets) > 0.95


def _fuzzed(packets, count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        ts, frac, caplen, length, data = rng.choice(packets)
        data = bytearray(data)
        for _flip in range(rng.randint(1, 3)):
            data[rng.randrange(min(len(data), 96))] = rng.randrange(256)
        kind = rng.random()
        if kind < 0.3:  # cut short by the snapshot length
            data = data[:rng.randrange(1, len(data) + 1)]
        elif kind < 0.4:  # a wire length that disagrees with the headers
            length = max(len(data), length + rng.randint(-40, 40))
        yield ts, frac, len(data), max(length, len(data)), bytes(data)


@pytest.mark.parametrize("opts", FUZZ_SETS, ids=lambda o: o or "default")
def test_fuzzed_packets(busy, opts):
    linktype, packets = busy
    fuzzed = list(_fuzzed(packets, FUZZ_PACKETS, seed=zlib.crc32(opts.encode())))  # the same packets every run
    _assert_twins(linktype, fuzzed, opts, "fuzzed")


def _batch_text(linktype, packets, opts, compiled, size=1024):
    fmt = Formatter(linktype, options_from(opts.split()), fast=compiled, compiled=compiled)
    return "".join(fmt.format_batch(packets[i:i + size]) for i in range(0, len(packets), size))


@pytest.mark.parametrize("opts", ["", "-e", "-v", "-q", "-tttt", "--nano", "-#", "-x", "-xx", "-X", "-XX", "-A", "-AA",
                                  "-ttt"], ids=lambda o: o or "default")
def test_batches_print_what_packets_print(busy, opts):
    """format_batch (the C loop over a whole batch, in the common case) = format() packet by packet."""
    linktype, packets = busy
    fuzzed = list(_fuzzed(packets, 3000, seed=7))
    data = packets[0][4]
    odd = [(0, 0, len(data), len(data), data),                 # the epoch
           (2 ** 40, 5, len(data), len(data), data),           # a stamp no clock converts
           (1, 2, 0, 0, b""), (1, 2, 10, 5, data[:10]),       # record headers tcpdump calls invalid
           (1, 2_000_000, len(data), len(data), data)]         # a fraction out of range
    fuzzed[100:100] = odd  # (they go through general(), in the middle of a batch)
    for name, sample in (("busy mix", packets), ("fuzzed", fuzzed)):
        want = "".join(line + "\n" for line in _lines(linktype, sample, opts, False))
        assert _batch_text(linktype, sample, opts, True) == want, name


@needs_pcaps
def test_batches_of_the_conformance_captures():
    for opts in ("", "-v", "--nano", "-X", "-AA"):
        for pcap in sorted(PCAPS.iterdir()):
            linktype, packets = pcapfile.read(str(pcap), nano="--nano" in opts)
            want = "".join(line + "\n" for line in _lines(linktype, packets, opts, False))
            assert _batch_text(linktype, packets, opts, True, size=7) == want, (pcap.name, opts)


def _read_all(path, monkeypatch, in_c):
    from netlab.capture import reader

    monkeypatch.setattr(reader, "_c_records", reader._c_records if in_c else None)
    packets, error = [], None
    try:
        with reader.OfflineCapture(str(path)) as capture:
            for batch in capture.batches(333):
                packets.append(batch)
    except reader.CaptureFileError as err:
        error = str(err)
    return packets, error


@needs_pcaps
def test_the_c_record_reader_reads_what_the_python_one_reads(tmp_path, monkeypatch):
    """reader.py's record loop in C (_cprint.records) and in Python: the same batches and the same
    verdict, on every conformance capture and on the busy mix cut and damaged at random places."""
    import shutil

    busy_path = tmp_path / "busy.pcap"
    busygen.write_busy_pcap(str(busy_path), 3000)
    blob = busy_path.read_bytes()
    rng = random.Random(11)
    files = sorted(PCAPS.iterdir()) + [busy_path]
    for i in range(20):
        damaged = bytearray(blob[:rng.randrange(24, len(blob))])
        if i % 2:  # a record header with a wild caplen
            at = rng.randrange(24, len(damaged) - 16)
            damaged[at + 8:at + 12] = rng.randbytes(4)
        path = tmp_path / f"damaged{i}.pcap"
        path.write_bytes(bytes(damaged))
        files.append(path)
    files.append(tmp_path / "big.pcap")  # as written on a big-endian machine
    files[-1].write_bytes(_big_endian(blob))
    for path in files:
        assert _read_all(path, monkeypatch, True) == _read_all(path, monkeypatch, False), path.name


def _big_endian(blob: bytes) -> bytes:
    """A little-endian classic pcap rewritten in big-endian byte order."""
    import struct

    out = bytearray(struct.pack(">IHHiIII", *struct.unpack_from("<IHHiIII", blob)))
    pos = 24
    while pos + 16 <= len(blob):
        sec, frac, caplen, length = struct.unpack_from("<IIII", blob, pos)
        out += struct.pack(">IIII", sec, frac, caplen, length) + blob[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
    return bytes(out)
