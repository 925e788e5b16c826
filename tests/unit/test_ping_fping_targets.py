"""fping's target lists (-g, --file) and its number format, as pure functions."""

from __future__ import annotations

import pytest

from netlab.errors import UsageError
from netlab.ping import targets
from netlab.ping.ipopts import OptionPrinter
from netlab.ping.text import fping_line, fping_ms


def test_generate_block_and_range():
    assert targets.generate(["192.0.2.0/30"]) == ["192.0.2.1", "192.0.2.2"]  # no network, no broadcast
    assert targets.generate(["192.0.2.0/31"]) == ["192.0.2.0", "192.0.2.1"]
    assert targets.generate(["192.0.2.7/32"]) == ["192.0.2.7"]
    assert targets.generate(["192.0.2.254", "192.0.3.1"]) == ["192.0.2.254", "192.0.2.255", "192.0.3.0", "192.0.3.1"]
    for bad in (["2001:db8::/126"], ["10.0.0.0/8"], ["192.0.2.9", "192.0.2.1"], ["x"], ["a", "b", "c"], []):
        with pytest.raises(UsageError):
            targets.generate(bad)


def test_read_file_takes_first_words_and_skips_comments(tmp_path):
    path = tmp_path / "hosts"
    path.write_text("# header\n\n 192.0.2.1  extra\n192.0.2.2 # note\n")
    assert targets.read_file(str(path)) == ["192.0.2.1", "192.0.2.2"]
    (tmp_path / "empty").write_text("# nothing\n")
    with pytest.raises(UsageError, match="no host in it"):
        targets.read_file(str(tmp_path / "empty"))


def test_fping_number_format():
    assert [fping_ms(us) for us in (36, 1234, 12345, 123456, 2_000_000_000)] == \
        ["0.036", "1.23", "12.3", "123", "2.000e+06"]
    assert fping_line("h", 3, 3, 0, 0, 0, 0) == "h   : xmt/rcv/%loss = 3/0/100%"
    assert fping_line("h", 1, 2, 2, 40, 45, 50) == "h : xmt/rcv/%loss = 2/2/0%, min/avg/max = 0.040/0.045/0.050"


def test_record_route_text_as_iputils():
    hops = bytes([10, 77, 0, 1, 10, 77, 0, 2])
    option = bytes([1, 7, 39, 4 + len(hops)]) + hops + bytes(39 - 3 - len(hops))  # NOP, RR, len, ptr
    printer = OptionPrinter(lambda a: a)
    assert printer.text(option) == "\nNOP\nRR: \t10.77.0.1\n\t10.77.0.2\n"
    assert printer.text(option) == "\nNOP\t(same route)"
