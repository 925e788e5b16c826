"""The pcap writer and reader against libpcap and tcpdump as oracles."""

from __future__ import annotations

import struct
import subprocess

import pytest

from netlab.capture.reader import OfflineCapture
from netlab.capture.writer import PcapWriter
from netlab.errors import UsageError
from tests.helpers.env import CONFORMANCE, require_tool

WHOIS = CONFORMANCE / "tcpdump" / "pcaps" / "whois.pcap"


def whois_packets():
    return list(OfflineCapture(str(WHOIS)))


def test_writer_output_reads_back_in_libpcap(tmp_path):
    import pcapy

    packets = whois_packets()
    path = tmp_path / "w.pcap"
    with PcapWriter(str(path), linktype=1) as writer:
        for packet in packets:
            writer.write(*packet)
    handle = pcapy.open_offline(str(path))
    assert handle.datalink() == 1
    back = []
    while True:
        header, data = handle.next()
        if header is None:
            break
        back.append((*header.getts(), header.getcaplen(), header.getlen(), data))
    assert back == packets


def test_packet_buffered_file_is_whole_after_every_packet(tmp_path):
    packets = whois_packets()
    path = tmp_path / "u.pcap"
    writer = PcapWriter(str(path), linktype=1, packet_buffered=True)
    try:
        size = 24
        assert path.stat().st_size == size  # the header alone: an empty, valid capture
        for n, packet in enumerate(packets, 1):
            writer.write(*packet)
            size += 16 + len(packet[4])
            assert path.stat().st_size == size
            assert [p[:4] for p in OfflineCapture(str(path))] == [p[:4] for p in packets[:n]]
    finally:
        writer.close()


def test_buffered_writer_writes_only_whole_records(tmp_path):
    path = tmp_path / "b.pcap"
    big = bytes(1500)
    with PcapWriter(str(path), linktype=1) as writer:
        for i in range(1000):  # 1.5 MB: several flushes at the buffer size
            writer.write(i, 0, len(big), len(big), big)
            assert (path.stat().st_size - 24) % (16 + 1500) == 0
    assert sum(1 for _ in OfflineCapture(str(path))) == 1000


def test_nanosecond_writer_reads_like_tcpdump(tmp_path):
    require_tool("tcpdump")
    path = tmp_path / "n.pcap"
    packets = whois_packets()[:3]
    with PcapWriter(str(path), linktype=1, nano=True) as writer:
        for i, (sec, usec, caplen, length, data) in enumerate(packets):
            writer.write(sec, usec * 1000 + 123 + i, caplen, length, data)
    out = subprocess.run(["tcpdump", "-tt", "--nano", "-n", "-r", str(path)], capture_output=True, text=True).stdout
    stamps = [line.split()[0] for line in out.splitlines()]
    assert stamps == [f"{sec}.{usec * 1000 + 123 + i:09d}" for i, (sec, usec, *_) in enumerate(packets)]
    assert [p[1] for p in OfflineCapture(str(path), nano=True)] == [usec * 1000 + 123 + i for i, (_, usec, *_) in enumerate(packets)]


def test_big_endian_pcap_reads_like_tcpdump(tmp_path):
    """A pcap written on a big-endian machine: swapped header and record fields."""
    require_tool("tcpdump")
    raw = WHOIS.read_bytes()
    magic, major, minor, zone, sigfigs, snaplen, linktype = struct.unpack_from("<IHHiIII", raw)
    out = bytearray(struct.pack(">IHHiIII", magic, major, minor, zone, sigfigs, snaplen, linktype))
    pos = 24
    while pos < len(raw):
        sec, usec, caplen, length = struct.unpack_from("<IIII", raw, pos)
        out += struct.pack(">IIII", sec, usec, caplen, length) + raw[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen
    path = tmp_path / "be.pcap"
    path.write_bytes(bytes(out))
    assert list(OfflineCapture(str(path))) == whois_packets()
    theirs = subprocess.run(["tcpdump", "-tt", "-n", "-r", str(path)], capture_output=True, text=True).stdout
    assert len(theirs.splitlines()) == len(whois_packets())


def test_unwritable_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError) as err:
        PcapWriter(str(tmp_path / "no" / "such" / "dir.pcap"), linktype=1)
    assert "cannot write" in err.value.one_line()


def test_damaged_record_length_is_reported_not_swallowed(tmp_path):
    raw = bytearray(WHOIS.read_bytes())
    struct.pack_into("<I", raw, 24 + 8, 0x7FFFFFFF)  # the first record's caplen
    path = tmp_path / "bad.pcap"
    path.write_bytes(bytes(raw))
    from netlab.capture.reader import CaptureFileError

    with pytest.raises(CaptureFileError) as err:
        list(OfflineCapture(str(path)))
    assert "invalid packet capture length 2147483647" in err.value.message


_WRITE_UNTIL_CTRL_C = r'''
import signal, struct, sys
from netlab.capture.writer import PcapWriter

def final(signum, frame):  # the CLI's second Ctrl-C: raise wherever the writer is
    raise KeyboardInterrupt

signal.signal(signal.SIGINT, final)
writer = PcapWriter(sys.argv[1], linktype=1, packet_buffered=True)
try:
    print("ready", flush=True)
    for i in range(5_000_000):
        writer.write(i, 0, 64, 64, struct.pack("<I", i) * 16)
except KeyboardInterrupt:
    pass
finally:
    writer.close()
'''


def test_ctrl_c_during_a_write_never_writes_a_record_twice(tmp_path):
    # A Ctrl-C that lands just after write() returned, before the writer noted it, made
    # close() write the same bytes again (30 of 30 such runs were corrupt before the fix).
    import os
    import random
    import signal
    import sys
    import time

    from tests.helpers.env import ROOT

    for trial in range(8):
        path = tmp_path / f"int{trial}.pcap"
        proc = subprocess.Popen([sys.executable, "-c", _WRITE_UNTIL_CTRL_C, str(path)], stdout=subprocess.PIPE,
                                env=dict(os.environ, PYTHONPATH=str(ROOT)))
        try:
            assert proc.stdout.readline() == b"ready\n"
            time.sleep(random.uniform(0.01, 0.04))
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=20) == 0
        finally:
            proc.kill()
            proc.wait()
        packets = list(OfflineCapture(str(path)))  # a damaged or doubled record raises or misreads
        assert packets, "nothing was written before the Ctrl-C"
        assert packets == [(i, 0, 64, 64, struct.pack("<I", i) * 16) for i in range(len(packets))]


def test_full_disk_is_one_error_and_the_file_is_closed(tmp_path):
    from netlab.capture.writer import PcapWriter

    with pytest.raises(UsageError) as err:
        PcapWriter("/dev/full", linktype=1)  # the header is written at once
    assert err.value.one_line() == ("netlab: error: cannot write /dev/full: No space left on device "
                                    "(the disk is full or the file too big; write elsewhere)")
    writer = PcapWriter(str(tmp_path / "ok.pcap"), linktype=1)
    fd = writer._fd
    import os

    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, fd)  # the disk fills up under a running capture
    os.close(full)
    writer.write(1, 2, 4, 4, b"abcd")
    with pytest.raises(UsageError):
        writer.flush()
    writer.close()  # no second error: the failed bytes are not retried
    with pytest.raises(OSError):
        os.fstat(fd)  # closed
