"""Damaged capture files: netlab refuses what tcpdump refuses, reads what it reads, and prints the same packets first.

Each case is a real capture with one header or record field broken the way a
fuzzer or a bad disk breaks it. tcpdump (libpcap 1.10) is the oracle: same exit
status class, the same lines on stdout before the damage (the packets before
it stay printed), the same count with --count; and netlab's complaint is one
line, ``netlab: error: FILE: ...`` naming the place, with exit status 2.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import netlab
from netlab.capture.reader import CaptureFileError
from tests.helpers import damage
from tests.helpers.env import require_conformance, require_tool

PRINT_OPTIONS = (["-n"], ["-n", "-v"], ["-n", "-x"], ["-n", "-tt"], ["-n", "-ttt"], ["-n", "-tttt"], ["--count"],
                 ["-n", "tcp"], ["--count", "tcp"])
STAMP_OPTIONS = (["-n"], ["-n", "-tt"], ["-n", "-ttt"], ["-n", "-tttt"], ["-n", "--nano", "-tt"], ["-n", "--nano"])


@pytest.fixture(scope="module")
def pcaps() -> Path:
    require_tool("tcpdump")
    return require_conformance() / "tcpdump" / "pcaps"


def agree(path: Path, *args: str, refused: bool) -> str | None:
    """Run both tools on path; assert tcpdump's verdict is ``refused`` and netlab's matches it.

    Returns netlab's error line (None when the file was read whole).
    """
    theirs = damage.run_tcpdump(path, *args)
    mine = damage.run_netlab(path, *args)
    assert (theirs.returncode != 0) is refused, theirs.stderr.decode(errors="replace")
    assert mine.stdout == theirs.stdout, (args, damage.error_lines(theirs.stderr))
    errors = damage.error_lines(mine.stderr)
    assert b"Traceback" not in mine.stderr
    if not refused:
        assert mine.returncode == 0 and errors == [], errors
        return None
    assert mine.returncode == 2, errors
    assert len(errors) == 1 and errors[0].startswith(f"netlab: error: {path}: "), errors
    return errors[0]


def with_field(blob: bytes, name_ends: str, value: int, nth: int = 0) -> bytes:
    found = [f for f in damage.fields(blob) if f.name.endswith(name_ends)]
    return damage.set_field(blob, found[nth], value)


# --- pcapng: if_tsresol and if_tsoffset ------------------------------------------------------------------------

@pytest.mark.parametrize("tsresol", [0, 0x80, 1, 0x81, 19, 0xBF])
def test_odd_but_valid_if_tsresol_prints_what_tcpdump_prints(pcaps, tmp_path, tsresol):
    # 0 and 0x80 (one tick a second) made nanosecond stamps into seconds thousands of years away:
    # an internal error (OSError: [Errno 75]) before. tcpdump prints them, or "[Error converting time]".
    path = tmp_path / "res.pcapng"
    path.write_bytes(with_field(damage.pcapng_of(pcaps / "tcp-handshake-nano.pcap", tsresol=9), "if_tsresol", tsresol))
    for args in STAMP_OPTIONS:
        agree(path, *args, refused=False)


@pytest.mark.parametrize("tsresol, words", [(20, "resolution 10^-20 is too high"),
                                            (0xC0, "resolution 2^-64 is too high"), (0xFF, "resolution 2^-127 is too high")])
def test_if_tsresol_past_64_bits_is_refused(pcaps, tmp_path, tsresol, words):
    path = tmp_path / "res.pcapng"
    path.write_bytes(with_field(damage.pcapng_of(pcaps / "whois.pcap", tsresol=6), "if_tsresol", tsresol))
    for args in (["-n"], ["--count"]):
        error = agree(path, *args, refused=True)
        assert words in error and "block 1 at byte" in error


def test_if_tsresol_of_two_bytes_and_a_second_if_tsresol_are_refused(pcaps, tmp_path):
    blob = damage.pcapng_of(pcaps / "whois.pcap", tsresol=6)
    path = tmp_path / "len.pcapng"
    path.write_bytes(with_field(blob, "option 9 length", 2))
    assert "if_tsresol option with length 2 != 1" in agree(path, "-n", refused=True)
    twice = blob.replace(damage.option(9, b"\x06"), damage.option(9, b"\x06") * 2, 1)
    shb_len = struct.unpack_from("<I", twice, 4)[0]
    idb = bytearray(twice[shb_len:])
    new_len = struct.unpack_from("<I", idb, 4)[0] + 8
    struct.pack_into("<I", idb, 4, new_len)
    struct.pack_into("<I", idb, new_len - 4, new_len)
    path.write_bytes(twice[:shb_len] + bytes(idb))
    assert "more than one if_tsresol option" in agree(path, "-n", refused=True)


def test_if_tsoffset_far_away_prints_as_tcpdump_does(pcaps, tmp_path):
    path = tmp_path / "offset.pcapng"
    path.write_bytes(damage.pcapng_of(pcaps / "whois.pcap", tsresol=6, tsoffset=-(1 << 62)))
    # the first stamp no longer matches the offset: seconds far from 1970 either way
    path.write_bytes(with_field(path.read_bytes(), "ts_high", 0x7FFFFFFF))
    for args in (["-n"], ["-n", "-tt"], ["-n", "-tttt"], ["-n", "-ttt"], ["-n", "-ttttt"]):
        agree(path, *args, refused=False)


# --- pcapng: block lengths -------------------------------------------------------------------------------------

@pytest.mark.parametrize("delta", [4, 0x10000])
def test_trailing_length_that_disagrees_stops_after_the_packets_before(pcaps, tmp_path, delta):
    blob = damage.pcapng_of(pcaps / "whois.pcap")
    trailer = [f for f in damage.fields(blob) if f.name.endswith("trailing length")][6]  # the 4th packet's EPB
    path = tmp_path / "trailer.pcapng"
    path.write_bytes(damage.set_field(blob, trailer, damage.field_value(blob, trailer) + delta))
    for args in PRINT_OPTIONS:
        error = agree(path, *args, refused=True)
        assert "block total length in header and trailer don't match" in error
    assert damage.run_tcpdump(path, "--count").stdout == b"3 packets\n"  # the packets before it are counted


@pytest.mark.parametrize("length, words", [(8, "has a length of 8 < 12"), (0x5A, "that is not a multiple of 4"),
                                           (0xFFFFFFF0, "pcapng block size 4294967280 > maximum"),
                                           (0x1000, "truncated pcapng dump file")])
def test_block_lengths_libpcap_refuses(pcaps, tmp_path, length, words):
    blob = damage.pcapng_of(pcaps / "whois.pcap")
    header = [f for f in damage.fields(blob) if f.name.endswith("(type 6) length")][2]
    path = tmp_path / "length.pcapng"
    path.write_bytes(damage.set_field(blob, header, length))
    for args in (["-n"], ["--count"], ["-n", "tcp"]):
        assert words in agree(path, *args, refused=True)


def test_section_header_lengths(pcaps, tmp_path):
    blob = damage.pcapng_of(pcaps / "whois.pcap")
    path = tmp_path / "shb.pcapng"
    for length, words in ((20, "invalid length 20"), (2 << 20, "invalid length 2097152"), (0x1000, "truncated")):
        path.write_bytes(with_field(blob, "block 0 (type 168627466) length", length))
        assert words in agree(path, "-n", refused=True)


@pytest.mark.parametrize("minor, refused", [(0, False), (2, False), (1, True), (0xFFFF, True)])
def test_pcapng_versions(pcaps, tmp_path, minor, refused):
    path = tmp_path / "version.pcapng"
    path.write_bytes(with_field(damage.pcapng_of(pcaps / "whois.pcap"), "minor", minor))
    for args in (["-n"], ["--count"], ["--count", "tcp"]):  # 1.2: pcapy's older libpcap refuses it; tcpdump reads it
        agree(path, *args, refused=refused)


def test_packets_naming_a_missing_interface_or_an_odd_second_interface(pcaps, tmp_path):
    blob = damage.pcapng_of(pcaps / "dns_udp.pcap", tsresol=9, second_interface=True)
    path = tmp_path / "iface.pcapng"
    path.write_bytes(with_field(blob, "interface", 7, nth=1))
    assert "a packet arrived on interface 7" in agree(path, "-n", refused=True)
    path.write_bytes(with_field(blob, "(type 1) linktype", 113, nth=1))
    assert "different from the type of the first interface" in agree(path, "-n", refused=True)
    path.write_bytes(with_field(blob, "(type 1) snaplen", 1500, nth=1))
    assert "snapshot length 1500 different" in agree(path, "--count", refused=True)


def test_simple_packet_block_longer_than_its_block(pcaps, tmp_path):
    blob = damage.pcapng_of(pcaps / "dns_udp.pcap", tsresol=3, tsoffset=1_000_000_000, simple=True)
    path = tmp_path / "spb.pcapng"
    path.write_bytes(with_field(blob, "(type 3) len", 0x66))
    for args in (["-n"], ["--count"]):
        assert "block of type 3 in pcapng dump file is too short" in agree(path, *args, refused=True)


# --- link types -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("linktype, refused", [(12345, True), (14, True), (0xFFFFFFFF, True), (290, True),
                                               (147, False), (0x04000001, False), (289, False)])
def test_link_types_tcpdump_cannot_compile_for_are_refused(pcaps, tmp_path, linktype, refused):
    path = tmp_path / "lt.pcap"
    path.write_bytes(with_field((pcaps / "whois.pcap").read_bytes(), "linktype", linktype))
    for args in (["--count"], ["-w", str(tmp_path / "out.pcap")]):
        error = agree(path, *args, refused=refused)
        assert not refused or "unknown data link type" in error


@pytest.mark.parametrize("linktype", [277, 280, 289])
def test_link_types_newer_than_pcapy_s_libpcap_filter_as_in_tcpdump(pcaps, tmp_path, linktype):
    # pcapy's libpcap (1.9) called these unknown, tcpdump's (1.10) filters them by length and offsets.
    path = tmp_path / "new.pcap"
    path.write_bytes(with_field((pcaps / "whois.pcap").read_bytes(), "linktype", linktype))
    for args in (["--count", "len > 60"], ["--count", "link[0] = 82"]):  # (how a USER0 packet prints: not here)
        agree(path, *args, refused=False)
    assert "link-layer type filtering not implemented" in damage.run_netlab(path, "tcp").stderr.decode()


def test_pcapng_unknown_link_type(pcaps, tmp_path):
    path = tmp_path / "lt.pcapng"
    path.write_bytes(with_field(damage.pcapng_of(pcaps / "whois.pcap"), "(type 1) linktype", 0xFFFF))
    assert "unknown data link type 65535" in agree(path, "-n", refused=True)


# --- pcap: header and records -----------------------------------------------------------------------------------

@pytest.mark.parametrize("cut", [0, 2, 4, 20, 24, 30, 40, 100, 250])
def test_cut_files(pcaps, tmp_path, cut):
    path = tmp_path / "cut.pcap"
    path.write_bytes((pcaps / "whois.pcap").read_bytes()[:cut])
    refused = cut not in (24,)  # a header alone is a file of no packets
    for args in (["-n"], ["--count"], ["-n", "tcp"]):
        agree(path, *args, refused=refused)


def test_bad_magic_is_not_a_capture_file(pcaps, tmp_path):
    path = tmp_path / "magic.pcap"
    path.write_bytes(with_field((pcaps / "whois.pcap").read_bytes(), "magic", 0xA1B2C3D5))
    assert "unknown file format" in agree(path, "-n", refused=True)


@pytest.mark.parametrize("major, minor, refused", [(2, 5, True), (1, 4, True), (3, 0, True), (2, 2, False),
                                                   (2, 3, False), (543, 0, False), (543, 1, True)])
def test_pcap_versions(pcaps, tmp_path, major, minor, refused):
    blob = with_field(with_field((pcaps / "whois.pcap").read_bytes(), "version_major", major), "version_minor", minor)
    path = tmp_path / "version.pcap"
    path.write_bytes(blob)
    for args in (["-n"], ["--count", "tcp"]):
        agree(path, *args, refused=refused)


def test_caplen_past_the_snapshot_is_cut_to_it_and_past_the_maximum_refused(pcaps, tmp_path):
    blob = with_field((pcaps / "whois.pcap").read_bytes(), "snaplen", 40)
    path = tmp_path / "snap.pcap"
    path.write_bytes(blob)
    for args in (["-n", "-x"], ["-n", "-v"], ["--count"], ["-n", "tcp"]):
        agree(path, *args, refused=False)  # every record is longer than 40 bytes: cut to 40, as libpcap does
    path.write_bytes(with_field(blob, "caplen", 262145, nth=3))
    for args in (["-n", "-x"], ["--count"], ["-n", "tcp"]):
        assert "invalid packet capture length 262145, bigger than snaplen of 40" in agree(path, *args, refused=True)


def test_snapshot_length_zero_reads_as_the_maximum(pcaps, tmp_path):
    path = tmp_path / "zero.pcap"
    path.write_bytes(with_field((pcaps / "whois.pcap").read_bytes(), "snaplen", 0))
    agree(path, "-n", refused=False)
    assert "snapshot length 262144" in damage.run_netlab(path, "-n").stderr.decode()


def test_big_endian_file_with_a_damaged_record(pcaps, tmp_path):
    blob = damage.byte_swapped_pcap((pcaps / "whois.pcap").read_bytes())
    path = tmp_path / "be.pcap"
    path.write_bytes(with_field(blob, "caplen", 0x01000000, nth=5))
    for args in (["-n"], ["--count"], ["-n", "tcp"]):
        error = agree(path, *args, refused=True)
        assert "record 5 at byte" in error


def test_kuznetzov_pcap_reads_and_breaks_as_with_tcpdump(pcaps, tmp_path):
    blob = damage.kuznetzov_pcap((pcaps / "whois.pcap").read_bytes())
    path = tmp_path / "patched.pcap"
    path.write_bytes(blob)
    for args in (["-n", "-x"], ["--count"], ["-n", "tcp"]):
        agree(path, *args, refused=False)
    path.write_bytes(blob[:-30])
    for args in (["-n"], ["--count"], ["-n", "tcp"]):
        assert "truncated dump file" in agree(path, *args, refused=True)


# --- the Python API ---------------------------------------------------------------------------------------------

def test_api_reads_the_packets_before_the_damage_then_raises(pcaps, tmp_path):
    blob = damage.pcapng_of(pcaps / "whois.pcap")
    trailer = [f for f in damage.fields(blob) if f.name.endswith("trailing length")][6]
    path = tmp_path / "trailer.pcapng"
    path.write_bytes(damage.set_field(blob, trailer, 0))
    seen = []
    with pytest.raises(CaptureFileError) as err:
        for packet in netlab.capture.read(path):
            seen.append(packet)
    assert len(seen) == 3 and "don't match" in err.value.one_line()
    refused = tmp_path / "lt.pcap"
    refused.write_bytes(with_field((pcaps / "whois.pcap").read_bytes(), "linktype", 12345))
    with pytest.raises(CaptureFileError, match="unknown data link type 12345"):
        netlab.capture.read(refused)  # at the call, as a file that is no capture
