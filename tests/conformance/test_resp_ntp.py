"""RESP (Redis, TCP 6379) and NTP (UDP 123, all of it with -v) as tcpdump 4.99.3 prints them.

The segments and datagrams are built here (Ethernet/IPv4 or IPv6, checksums
right), written to a pcap, and printed by tcpdump and netlab with the same
options; every line must be the same. Then every prefix of each frame (what a
small -s leaves), then a busy segment from bench/busygen.py.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.frames import (
    A4, A6, B4, B6, assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, ip6, pseudo_header, udp)

ROOT = Path(__file__).resolve().parents[2]


def _tcp(sport: int, dport: int, payload: bytes, v6=False, seq=1000, flags=0x18) -> bytes:
    """A TCP segment (ack set, no options) in a frame, checksum right."""
    seg = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq, 5000, 5 << 4, flags, 502, 0, 0) + payload)
    src, dst = (A6, B6) if v6 else (A4, B4)
    struct.pack_into("!H", seg, 16, checksum(pseudo_header(src, dst, 6, len(seg)) + bytes(seg)))
    return ip6(6, bytes(seg)) if v6 else ip4(6, bytes(seg), frag=0x4000)


def _to_redis(payload: bytes, v6=False) -> bytes:
    return _tcp(40000, 6379, payload, v6)


def _from_redis(payload: bytes) -> bytes:
    return _tcp(6379, 40000, payload)


RESP_PAYLOADS = [
    b"+OK\r\n",                                              # simple string
    b"-ERR unknown command 'FOO'\r\n",                       # error
    b":1000\r\n", b":-42\r\n",                               # integers
    b"$5\r\nhello\r\n",                                      # bulk string
    b"$0\r\n\r\n",                                           # empty
    b"$-1\r\n",                                              # null
    b"$99999999999\r\nx\r\n",                                # too large for an int
    b"$2147483647\r\nab\r\n", b"$2147483648\r\n",            # INT_MAX (does not fit the segment), one more
    b"$-5\r\n", b"$-0\r\n", b"$-99999999999\r\n",            # negative and not -1
    b"$abc\r\n", b"$12x\r\n", b"$12\rx", b"$-\r\n",          # invalid lengths (the parse goes on after them)
    b"$3\r\nab\x00\xff\r\n",                                 # bytes escaped as tcpdump does
    b"$3\r\nabcdef\r\n",                                     # the CR LF is searched for after the string
    b"$10\r\nshort\r\n",                                     # longer than the segment
    b"*2\r\n$3\r\nGET\r\n$14\r\nsession:713848\r\n",         # a command
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n*2\r\n:1\r\n*1\r\n+x\r\n",   # nested arrays
    b"*0\r\n", b"*-1\r\n", b"*-2\r\n", b"*x\r\n",            # empty, null, negative, invalid arrays
    b"*3\r\n:1\r\n:2\r\n",                                   # an array that the segment ends inside
    b"*1\r\n" * 300 + b":7\r\n",                             # deep nesting
    b"PING\r\n", b"PING\nPING\r\n\r\nECHO hi\r\n",            # inline commands, pipelined
    b"\r\n\r\nINFO\n",                                       # blank lines first
    b"\r\n",                                                 # nothing but a line end
    b"GET key",                                              # an inline command without its line end
    b"*2\r\n$4\r\nINCR\r\n$1\r\nz\r\n" * 3,                  # pipelining
    b"+OK\r\n:1\r\n$-1\r\n-ERR x\r\n",                       # replies pipelined
    b"+no end",                                              # a simple string without CR LF
    bytes(range(256)),                                       # garbage on port 6379
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(40),   # TLS on port 6379
]

RESP_FRAMES = [_to_redis(p) for p in RESP_PAYLOADS] + [
    _from_redis(b"$8\r\n" + b"v" * 8 + b"\r\n"),
    _to_redis(b"*1\r\n$4\r\nPING\r\n", v6=True),
    _tcp(6379, 80, b"GET / HTTP/1.1\r\n\r\n"),               # tcpdump asks Redis's port first...
    _tcp(80, 6379, b"GET / HTTP/1.1\r\n\r\n"),               # ...whichever side it is on
    _tcp(22, 6379, b"SSH-2.0-OpenSSH_9.2\r\n"),
    _tcp(8080, 25, b"MAIL FROM:<a@b>\r\n"),                  # SMTP before HTTP
    _tcp(40000, 6379, b"", flags=0x11),                      # no payload: no RESP
    _tcp(40000, 6379, b"+OK\r\n", flags=0x14),               # RST with data: -v prints the RST data instead
]


def _ntp(first: int, stratum=2, poll=6, precision=-20, delay=0x00010010, dispersion=0x00000020,
         refid=b"\xc0\x00\x02\x01", ref=0, org=0, rec=0, xmt=0, tail=b"") -> bytes:
    return struct.pack("!BBbbII4sQQQQ", first, stratum, poll, precision, delay, dispersion, refid,
                       ref, org, rec, xmt) + tail


T0 = 3970013757 << 32


def _ntp_frame(payload: bytes, sport=40123, dport=123, v6=False) -> bytes:
    return ip6(17, udp(sport, dport, payload, v6=True)) if v6 else ip4(17, udp(sport, dport, payload), frag=0x4000)


def _control(first=0x16, control=0x02, seq=1, status=0, assoc=0, offset=0, count=0, data=b"") -> bytes:
    return struct.pack("!BBHHHHH", first, control, seq, status, assoc, offset, count) + data


NTP_PAYLOADS = [
    _ntp(0x23, stratum=0, delay=0, dispersion=0, refid=bytes(4), xmt=T0),                 # client (chrony's)
    _ntp(0x24, ref=T0 - (60 << 32), org=T0, rec=T0 + 5000, xmt=T0 + 9000),              # server
    _ntp(0x25, stratum=1, refid=b"GPS\x00", ref=T0, xmt=T0 + 0x80000000),                # broadcast, primary
    _ntp(0x21, poll=-3, precision=-6, org=T0 + 0xFFFFFFFF, rec=T0 - (5 << 32) + 7, xmt=T0),   # symmetric active
    _ntp(0x22, poll=17, org=T0 + 50, rec=T0 + 40, xmt=T0 + 50),                         # symmetric passive
    _ntp(0x20, stratum=16, poll=40, org=5 << 32, rec=(3 << 32) + 9, xmt=1),               # mode 0, stratum 16
    _ntp(0xE3, stratum=62, refid=bytes([10, 77, 0, 9])),                                # alarm, INFO_QUERY
    _ntp(0x64, stratum=63, refid=bytes([10, 77, 0, 9])),                                # +1s, INFO_REPLY
    _ntp(0xA4, stratum=255, ref=0xFFFFFFFFFFFFFFFF, org=1 << 32, rec=0xFFFFFFFF, xmt=(1 << 63)),   # -1s, dates far
    _ntp(0x1B, stratum=3, tail=struct.pack("!I", 7)),                                  # NTPv3 with a key id
    _ntp(0x24, tail=struct.pack("!I", 9) + bytes(range(16))),                          # key id + MD5
    _ntp(0x24, tail=struct.pack("!I", 9) + bytes(range(20))),                          # key id + SHA-1
    _ntp(0x24, tail=bytes(8)),                                                         # more bytes
    _ntp(0x27),                                                                        # mode 7 (reserved)
    bytes([0x23]) + bytes(20),                                                         # too short: invalid
    _control(),                                                                        # control request
    _control(control=0xA2, status=0x0615, assoc=1, count=4, data=b"abcd"),             # response, error, more
    _control(control=0xC1, count=40, data=b"x" * 4),                                   # count past the length
    _control()[:10],                                                                   # control too short
]

NTP_FRAMES = [_ntp_frame(p) for p in NTP_PAYLOADS] + [
    _ntp_frame(NTP_PAYLOADS[1], sport=123, dport=123),
    _ntp_frame(NTP_PAYLOADS[1], v6=True),
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-x", "-A", "-e", "-q", "-X -vv"])
def test_resp_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, RESP_FRAMES, opts)


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv", "-x", "-e -v", "-q -v", "-X -vv"])
def test_ntp_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, NTP_FRAMES, opts)


@pytest.mark.parametrize("name,frames", [("resp", RESP_FRAMES), ("ntp", NTP_FRAMES)])
def test_truncated_by_snaplen(tmp_path, name, frames):
    """Every prefix of every frame (-s 1, -s 2, ...): the same markers, and the same -x dumps."""
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, frames, ([], ["-v"], ["-x"]))


def _packets(lines: list[str]) -> list[list[str]]:
    """Lines grouped by packet: a packet's first line starts with its time stamp, the others with a tab or spaces."""
    out: list[list[str]] = []
    for line in lines:
        if line[:1].isdigit() or not out:
            out.append([line])
        else:
            out[-1].append(line)
    return out


@pytest.fixture(scope="module")
def busy_pcap(tmp_path_factory):
    path = tmp_path_factory.mktemp("busy") / "busy.pcap"
    subprocess.run([sys.executable, str(ROOT / "bench" / "busygen.py"), str(path), "20000"], check=True,
                   cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    return path


@pytest.mark.parametrize("opts", ["", "-v", "-vv"])
def test_busy_segment_resp_and_ntp(busy_pcap, opts):
    """bench/busygen.py's busy mix: every packet to or from Redis or NTP prints as tcpdump prints it.

    Only those packets: the mix has others that netlab does not decode yet
    (syslog with -v; a random source port that is a service tcpdump knows).
    """
    require_tool("tcpdump")
    from tests.helpers.tcpdump import netlab_lines, tcpdump_lines

    args = opts.split()
    want, got = _packets(tcpdump_lines(busy_pcap, args)), _packets(netlab_lines(busy_pcap, args))
    assert len(want) == len(got) == 20000
    ours = [(w, g) for w, g in zip(want, got) if any(".6379 " in x or ".6379:" in x or ".123:" in x or ".123 " in x
                                                    for x in w[:2])]
    assert sum("RESP" in "".join(w) for w, _ in ours) > 100
    assert sum("NTPv4" in "".join(w) for w, _ in ours) > 50
    wrong = [(w, g) for w, g in ours if w != g]
    assert not wrong, "\n".join("tcpdump: %s\nnetlab:  %s" % ("\n".join(w), "\n".join(g)) for w, g in wrong[:3])
