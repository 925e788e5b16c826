"""DNS record types tcpdump 4.99.3 names by number, and answers the snapshot cuts.

tcpdump 4.99.3 knows fewer type names than the registry (``HTTPS? example.com``
is ``Type65? example.com``, CAA is ``Type257``); and where the capture ends
inside a question or a record, its line ends with `` [|domain]`` at the point
its own loops stop. Queries and answers of common and newer types (A, AAAA,
CNAME, MX, TXT, SRV, OPT, CAA, HTTPS, SVCB, TLSA, DS) are printed whole and cut
at every length.
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, udp


def _name(text: str) -> bytes:
    return b"".join(bytes([len(x)]) + x.encode() for x in text.split(".") if x) + b"\0"


def _dns(ident, flags, questions, answers=(), additional=()) -> bytes:
    body = struct.pack("!HHHHHH", ident, flags, len(questions), len(answers), 0, len(additional))
    for name, qtype in questions:
        body += _name(name) + struct.pack("!HH", qtype, 1)
    for rr in (*answers, *additional):
        body += rr
    return body


def _rr(qtype: int, rdata: bytes, name=b"\xc0\x0c", cls=1, ttl=300) -> bytes:
    return name + struct.pack("!HHIH", qtype, cls, ttl, len(rdata)) + rdata


def _frame(payload: bytes, sport=40000, dport=53) -> bytes:
    return ip4(17, udp(sport, dport, payload))


OPT = _rr(41, b"", name=b"\x00", cls=1232, ttl=0)
FRAMES = [
    _frame(_dns(1, 0x0120, [("example.com", 65)], additional=[OPT])),                     # HTTPS query
    _frame(_dns(2, 0x0100, [("example.com", 257)])),                                       # CAA query
    _frame(_dns(3, 0x0100, [("_443._tcp.example.com", 52)])),                              # TLSA
    _frame(_dns(4, 0x0100, [("example.com", 64), ("example.com", 43)])),                   # SVCB, DS
    _frame(_dns(5, 0x0100, [("example.com", 104), ("example.com", 109)])),                 # by number since 4.99
    _frame(_dns(1, 0x8180, [("example.com", 65)], [_rr(65, b"\x00\x01\x00\x00\x01\x00\x03\x02h2")], [OPT]), 53, 40000),
    _frame(_dns(2, 0x8180, [("example.com", 257)], [_rr(257, b"\x00\x05issueletsencrypt.org")]), 53, 40000),
    _frame(_dns(6, 0x8180, [("www.example.com", 1)],
                [_rr(5, _name("web.example.com")), _rr(1, bytes([10, 77, 0, 9]), name=b"\xc0\x2d"),
                 _rr(1, bytes([10, 77, 0, 10]), name=b"\xc0\x2d")], [OPT]), 53, 40000),
    _frame(_dns(7, 0x8180, [("example.com", 28)], [_rr(28, bytes(15) + b"\x01"), _rr(28, bytes(16))]), 53, 40000),
    _frame(_dns(8, 0x8180, [("example.com", 15)], [_rr(15, b"\x00\x0a" + _name("mx1.example.com")),
                                                  _rr(16, b"\x05hello\x05world")]), 53, 40000),
    _frame(_dns(9, 0x8180, [("_sip._udp.example.com", 33)],
                [_rr(33, struct.pack("!HHH", 10, 5, 5060) + _name("sip.example.com"))]), 53, 40000),
    _frame(_dns(10, 0x8183, [("nothing.example", 1)]), 53, 40000),
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv"])
def test_dns_type_names(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_dns_cut_by_snaplen(tmp_path):
    """Every prefix of every message: `` [|domain]`` where tcpdump puts it, at each verbosity."""
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-vv"], ["-vvv"], ["-x"]))
