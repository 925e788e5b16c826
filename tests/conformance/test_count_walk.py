"""--count and filtered reading over the busy mix equal tcpdump's, now that C walks the mapped file.

The reader counts (and filters, with libpcap's bpf_filter) the records of a
plain pcap file in C, a big file in two threads that split it at a guessed
record boundary (_cprint_walk.c). Its verdicts must stay libpcap's: tcpdump
--count and tcpdump's printed lines are the oracle, on the busy mix (big
enough for the two-thread walk), on the same packets big-endian, in
nanoseconds, cut to a smaller snapshot length, as pcapng (which the walk
leaves to libpcap), and damaged (cut short, or a record length broken in the
middle: the packets before the damage are counted, then the error). The walks
see the file through a map of one window at a time: with small windows, whose
ends cut records, they count and hand out what one window does.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bench.busygen import write_busy_pcap
from netlab.capture import reader
from netlab.capture.reader import CaptureFileError, OfflineCapture
from tests.helpers import damage
from tests.helpers.env import require_tool

PACKETS = 30_000  # about 5.6 MB: past the size from which the C count walks in two threads
FILTERS = ["", "tcp and port 443", "udp", "icmp or icmp6", "vlan", "ip6 and tcp", "len > 1000", "greater 200 and udp",
           "ip[6:2] & 0x1fff != 0", "arp", "tcp[tcpflags] & tcp-syn != 0", "port 53", "tcp[100] = 0", "less 150"]
DAMAGED_FILTERS = ["", "tcp", "len > 1000"]


@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> Path:
    require_tool("tcpdump")
    path = tmp_path_factory.mktemp("busy") / "busy.pcap"
    write_busy_pcap(str(path), PACKETS)
    return path


@pytest.fixture(scope="module")
def variants(busy: Path, tmp_path_factory) -> dict[str, Path]:
    """The busy mix big-endian, in nanoseconds, with a 200-byte snapshot length, and as pcapng."""
    out = tmp_path_factory.mktemp("variants")
    blob = busy.read_bytes()
    nano = bytearray(blob)
    struct.pack_into("<I", nano, 0, 0xA1B23C4D)  # the fractions (below a million) are valid nanoseconds
    snap = bytearray(blob)
    struct.pack_into("<I", snap, 16, 200)  # the records keep their lengths: libpcap cuts them to 200 bytes
    files = {"big-endian": damage.byte_swapped_pcap(blob), "nano": bytes(nano), "snaplen-200": bytes(snap),
             "pcapng": damage.pcapng_of(busy)}
    paths = {}
    for name, data in files.items():
        paths[name] = out / f"{name}.{'pcapng' if name == 'pcapng' else 'pcap'}"
        paths[name].write_bytes(data)
    return paths


def tcpdump_count(path: Path, expression: str) -> bytes:
    return damage.run_tcpdump(path, "--count", *([expression] if expression else [])).stdout


def netlab_count(path: Path, expression: str):
    return damage.run_netlab(path, "--count", *([expression] if expression else []))


def counts_agree(path: Path, expression: str) -> int:
    """netlab --count prints tcpdump's count; the reader counts and yields as many. Returns the count."""
    theirs = tcpdump_count(path, expression)
    mine = netlab_count(path, expression)
    assert mine.returncode == 0, damage.error_lines(mine.stderr)
    assert mine.stdout == theirs, (path.name, expression)
    with OfflineCapture(str(path), expression or None) as capture:
        counted = capture.count()
    with OfflineCapture(str(path), expression or None) as capture:
        assert sum(len(batch) for batch in capture.batches()) == counted
    assert theirs == f"{counted} packet{'' if counted == 1 else 's'}\n".encode()
    return counted


@pytest.mark.parametrize("expression", FILTERS)
def test_count_equals_tcpdumps_on_the_busy_mix(busy, expression):
    counted = counts_agree(busy, expression)
    if expression in ("", "tcp and port 443", "udp", "port 53"):
        assert counted > 1000  # the comparison has packets to count


@pytest.mark.parametrize("variant", ["big-endian", "nano", "snaplen-200", "pcapng"])
@pytest.mark.parametrize("expression", ["", "tcp and port 443", "len > 1000", "ether[300] & 1 = 0"])
def test_count_equals_tcpdumps_on_other_layouts(variants, variant, expression):
    counts_agree(variants[variant], expression)


@pytest.mark.parametrize("expression", ["tcp and port 443", "udp port 53", "greater 300"])
def test_filtered_lines_equal_tcpdumps(busy, variants, expression):
    # only the matching records reach the printer: the same lines as tcpdump's, -x for the snapshot cut too
    for path, options in ((busy, ["-n"]), (variants["snaplen-200"], ["-n", "-x"]), (variants["nano"], ["-n", "--nano"]),
                          (variants["nano"], ["-n"]), (busy, ["-n", "--nano"]), (variants["big-endian"], ["-n"])):
        theirs = damage.run_tcpdump(path, *options, expression)
        mine = damage.run_netlab(path, *options, expression)
        assert mine.returncode == 0, damage.error_lines(mine.stderr)
        assert mine.stdout == theirs.stdout and theirs.stdout, (path.name, options, expression)


def damaged_files(busy: Path, out: Path) -> dict[str, Path]:
    blob = busy.read_bytes()
    offsets, at = [], 24
    while at < len(blob):
        offsets.append(at)
        at += 16 + struct.unpack_from("<I", blob, at + 8)[0]
    middle = offsets[len(offsets) // 2]
    broken = bytearray(blob)
    struct.pack_into("<I", broken, middle + 8, 0x7FFFFFF0)  # a caplen past any snapshot length
    files = {"cut-in-a-record": blob[:middle + 40], "cut-in-a-header": blob[:middle + 7],
             "caplen-broken": bytes(broken), "last-record-cut": blob[:-3]}
    paths = {}
    for name, data in files.items():
        paths[name] = out / f"{name}.pcap"
        paths[name].write_bytes(data)
    return paths


@pytest.mark.parametrize("expression", DAMAGED_FILTERS)
def test_damaged_files_count_up_to_the_damage_as_tcpdump(busy, tmp_path, expression):
    for name, path in damaged_files(busy, tmp_path).items():
        theirs = damage.run_tcpdump(path, "--count", *([expression] if expression else []))
        mine = netlab_count(path, expression)
        assert theirs.returncode != 0, name
        assert mine.returncode == 2, (name, damage.error_lines(mine.stderr))
        assert mine.stdout == theirs.stdout, (name, expression)
        errors = damage.error_lines(mine.stderr)
        assert len(errors) == 1 and errors[0].startswith(f"netlab: error: {path}: "), (name, errors)
        with pytest.raises(CaptureFileError) as raised, OfflineCapture(str(path), expression or None) as capture:
            capture.count()
        assert f"{raised.value.packets_before} packets\n".encode() == theirs.stdout, name


def test_damaged_file_prints_the_matching_lines_before_the_damage(busy, tmp_path):
    for name, path in damaged_files(busy, tmp_path).items():
        theirs = damage.run_tcpdump(path, "-n", "tcp and port 443")
        mine = damage.run_netlab(path, "-n", "tcp and port 443")
        assert mine.returncode == 2 and theirs.returncode != 0, name
        assert mine.stdout == theirs.stdout and theirs.stdout, name


@pytest.mark.parametrize("expression", ["", "tcp and port 443", "len > 1000"])
def test_many_small_windows_count_and_select_what_one_window_does(busy, tmp_path, monkeypatch, expression):
    def read(path):
        with OfflineCapture(str(path), expression or None) as capture:
            try:
                counted = capture.count()
            except CaptureFileError as err:
                counted = (err.packets_before, err.one_line())
        with OfflineCapture(str(path), expression or None) as capture:
            packets = []
            try:
                for batch in capture.batches():
                    packets += batch
            except CaptureFileError as err:
                packets.append(err.one_line())
        return counted, packets

    paths = {"whole": busy, **damaged_files(busy, tmp_path)}
    one_window = {name: read(path) for name, path in paths.items()}
    assert busy.stat().st_size < reader.WINDOW  # the file in one window
    for window in (4096 * 256 + 1, 4096 * 1100 + 7):  # about 1 MiB (one thread), 4.3 MiB (two): ends mid-record
        monkeypatch.setattr(reader, "WINDOW", window)
        for name, path in paths.items():
            assert read(path) == one_window[name], (window, name)
    assert one_window["whole"][0] == int(tcpdump_count(busy, expression).split()[0])
