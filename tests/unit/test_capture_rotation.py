"""-C/-W/-G's names and turns (netlab.capture.rotation), as tcpdump.c's MakeFilename() and
dump_packet_and_trunc() make them; the clock of -G is given, the files are real."""

from __future__ import annotations

import time

import pytest

from netlab.capture.reader import OfflineCapture
from netlab.capture.rotation import FileLimitReached, Rotation, RotatingPcapWriter, file_name


@pytest.mark.parametrize("files,width", [(0, 0), (1, 0), (2, 1), (10, 1), (11, 2), (100, 2), (101, 3)])
def test_number_width_is_the_digits_of_files_minus_one(files, width):
    assert Rotation(size_limit=1, files=files).width == width


def test_names():
    assert file_name("out", 0, 0, None) == "out"
    assert file_name("out", 1, 0, None) == "out1"
    assert file_name("out", 0, 2, None) == "out00"
    assert file_name("out", 7, 2, None) == "out07"
    when = int(time.mktime((2026, 12, 5, 9, 7, 3, 0, 0, -1)))  # local time, as tcpdump's strftime
    assert file_name("cap-%Y%m%d-%H%M%S.pcap", 0, 0, when) == "cap-20261205-090703.pcap"
    assert file_name("a%%b", 3, 1, when) == "a%b3"
    odd = b"\xff-%Y".decode("utf-8", "surrogateescape")  # bytes that are not UTF-8 stay as they are
    assert file_name(odd, 0, 0, when) == b"\xff-2026".decode("utf-8", "surrogateescape")


class Clock:
    """-G's clock, moved by the test."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def packet(i: int) -> tuple:
    data = i.to_bytes(4, "big") * 25
    return (1000 + i, 0, len(data), len(data), data)


def numbers(path) -> list[int]:
    return [int.from_bytes(p[4][:4], "big") for p in OfflineCapture(str(path))]


def test_time_rotation_with_W_stops_before_the_file_past_the_last(tmp_path):
    clock = Clock(1_000_000.0)
    writer = RotatingPcapWriter(str(tmp_path / "t-%s"), 1, 262144, False, False, Rotation(files=2, seconds=10),
                                clock=clock)
    writer.write(*packet(0))
    clock.now += 9.9  # not yet: whole seconds, 9 of 10
    writer.write(*packet(1))
    clock.now += 0.1
    writer.write(*packet(2))  # the second file
    clock.now += 25
    with pytest.raises(FileLimitReached, match="^Maximum file limit reached: 2$"):
        writer.write(*packet(3))
    writer.close()
    assert writer.names == [str(tmp_path / "t-1000000"), str(tmp_path / "t-1000010")]
    assert numbers(tmp_path / "t-1000000") == [0, 1] and numbers(tmp_path / "t-1000010") == [2]


def test_time_and_size_together_restart_the_number_at_each_time_file(tmp_path):
    clock = Clock(2_000_000.0)
    with RotatingPcapWriter(str(tmp_path / "g%s-"), 1, 262144, False, False,
                            Rotation(size_limit=250, files=3, seconds=5), clock=clock) as writer:
        for i in range(4):  # 24-byte header + 116 per packet: a new file once past 250 bytes
            writer.write(*packet(i))
        clock.now += 5
        writer.write(*packet(4))
    names = ["g2000000-0", "g2000000-1", "g2000005-0"]
    assert writer.names == [str(tmp_path / name) for name in names]
    assert [numbers(tmp_path / name) for name in names] == [[0, 1], [2, 3], [4]]
