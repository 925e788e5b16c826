"""The C walks over pcap records (_cprint_walk.c) where the two-thread count guesses wrong.

The count of a big file starts a second walk at a record boundary it guesses
past the middle; a guess inside a packet's bytes must cost time, never a wrong
count. Packets made of header-like bytes are that trap: each holds a chain of
fake records that looks, to the guess, like the file's own.
"""

from __future__ import annotations

import os
import struct

import pytest

try:
    from netlab.capture import _cprint
except ImportError:  # not built here; CI builds it and must not skip
    _cprint = None

pytestmark = pytest.mark.skipif(_cprint is None and not os.environ.get("CI"),
                                reason="netlab.capture._cprint is not built (scripts/install.sh --test builds it)")

SECONDS = 1_733_000_000


def fake_records(size: int) -> bytes:
    """``size`` bytes of back-to-back 24-byte records (16-byte header, 8 bytes of data) that look real."""
    one = struct.pack("<IIII", SECONDS, 5, 8, 8) + b"\x11" * 8
    return (one * (size // len(one) + 1))[:size]


def pcap_of(payloads: list[bytes]) -> bytes:
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for i, data in enumerate(payloads):
        out.append(struct.pack("<IIII", SECONDS, i, len(data), len(data)) + data)
    return b"".join(out)


@pytest.mark.parametrize("threads", [1, 2])
def test_count_is_right_when_the_second_walk_starts_inside_a_packet(threads):
    blob = pcap_of([fake_records(100_000 + 13 * i) for i in range(60)])  # 6 MB: walked in two threads
    records, matched, end = _cprint.count(blob, 24, len(blob), False, 262144, 262144, None, threads)
    assert (records, matched, end) == (60, 60, len(blob))


@pytest.mark.parametrize("threads", [1, 2])
def test_count_stops_at_damage_past_the_middle(threads):
    payloads = [bytes(1000 + i % 7) for i in range(6000)]
    blob = bytearray(pcap_of(payloads))
    at = 24
    for _ in range(4500):
        at += 16 + struct.unpack_from("<I", blob, at + 8)[0]
    struct.pack_into("<I", blob, at + 8, 300_000)  # past the 256 KiB maximum: damage at record 4500
    records, matched, end = _cprint.count(bytes(blob), 24, len(blob), False, 262144, 262144, None, threads)
    assert (records, matched, end) == (4500, 4500, at)


def test_count_stops_at_the_chunk_bound():
    blob = pcap_of([bytes(100) for _ in range(10)])
    records, _, end = _cprint.count(blob, 24, 24 + 116 * 3 + 1, False, 262144, 262144, None, 1)
    assert (records, end) == (4, 24 + 116 * 4)  # records starting before the bound, whole


ACCEPT_ALL = struct.pack("=HBBI", 0x06, 0, 0, 262144)  # BPF_RET|BPF_K 262144: every packet, whole


def offsets_of(blob: bytes) -> list[int]:
    out, at = [], 24
    while at < len(blob):
        out.append(at)
        at += 16 + struct.unpack_from("<I", blob, at + 8)[0]
    return out


def sizes_and_payload(trap: bool):
    """Packets of fake records (the second walk's guess is wrong) or of zeros (it is right)."""
    sizes = [100_000 + 13 * i for i in range(60)] if trap else [1000 + i % 7 for i in range(6000)]
    return sizes, (fake_records if trap else bytes)


@pytest.mark.parametrize("trap", [True, False])
@pytest.mark.parametrize("threads", [1, 2])
def test_scan_and_take_give_every_record_once_in_order(threads, trap):
    from netlab.capture.bpf import load_bpf_filter

    assert load_bpf_filter()
    sizes, payload = sizes_and_payload(trap)
    blob = pcap_of([payload(n) for n in sizes])
    hits, records, end = _cprint.scan(blob, 24, len(blob), False, 262144, 262144, ACCEPT_ALL, threads)
    assert (records, end) == (len(sizes), len(blob))
    assert [24 + h for h in struct.unpack(f"={len(hits) // 4}I", hits)] == offsets_of(blob)
    packets = _cprint.take(blob, 24, hits, 0, len(sizes), False, 262144)
    assert [p[:4] for p in packets] == [(SECONDS, i, n, n) for i, n in enumerate(sizes)]
    assert all(p[4] == payload(n) for p, n in zip(packets, sizes))
    cut = _cprint.take(blob, 24, hits, len(sizes) - 2, len(sizes) + 40, False, 200)  # cut to the snapshot length
    assert [(p[2], p[3], p[4]) for p in cut] == [(200, n, payload(200)) for n in sizes[-2:]]
