"""The C twins of the application printers print what the Python printers print.

test_cprint_twin.py compares C and Python on the conformance captures and the busy
mix; those hold few of the branches of the application printers (HTTP responses,
non-HTTP bytes on port 80, lines cut by the capture, RESP errors and arrays, SSH
banners without their line end...). The frames here are built to walk them: each
is compared whole, then cut after every byte (what a small -s leaves), at the
option sets the C printer serves. A last test checks that the C printer prints
these lines itself (does not hand them all to the Python printers) and what a
user sees in them.
"""

from __future__ import annotations

import random
import struct

import pytest

from bench import busygen
from netlab.capture import decode
from netlab.capture.decode import Formatter
from tests.conformance.test_resp_ntp import NTP_FRAMES, NTP_PAYLOADS, RESP_FRAMES, T0, _ntp, _ntp_frame, _tcp
from tests.helpers.frames import ip4, udp
from tests.helpers import pcapfile
from tests.helpers.tcpdump import options_from

pytestmark = pytest.mark.skipif(decode._cprint is None, reason="netlab.capture._cprint is not built")

HTTP_PAYLOADS = [
    b"GET /index.html?id=7 HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n\x00\x01binary\xff",   # a body that is not text
    b"HTTP/1.1 404 Not Found\r\n",
    b"HTTP/1.0 20 OK\r\n", b"HTTP/1.1 099 x\r\n", b"HTTP/1.1 2x0 x\r\n",   # not a status code
    b"get / HTTP/1.0\r\n",                                                  # a command in lower case
    b"POST  /form   HTTP/1.1\r\nContent-Length: 0\r\n\r\n",                 # runs of blanks
    b"GET\t/ x\r\n", b"   GET /\r\n", b"\r\nGET /\r\n",                      # blanks before a token
    b"GET", b"GET /", b"GET /\r", b"GET /\rX\r\n", b"GET /\n",              # line ends, or none
    b"GET / HTTP/1.1\nHost: a\n\n",                                         # LF alone
    b"GET /a\tb HTTP/1.1\r\n",                                              # a tab inside the line
    b"GET / HTTP/1.1\r\nX: b\x01c\r\nY: d\r\n",                             # a control byte in a later line
    b"GET /caf\xc3\xa9 HTTP/1.1\r\n", b"\xc7ET / HTTP/1.1\r\n",             # bytes past ASCII
    b"G" * 127 + b" 200 x\r\n", b"G" * 128 + b" 200 x\r\n", b"G" * 129 + b" 200 x\r\n",   # long tokens
    b"HTTP/1.1 " + b"2" * 200 + b"\r\n",
    b"GET / HTTP/1.1\r\n" * 40,                                             # many lines
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(40),            # TLS on port 80
    bytes(range(256)),
]

SSH_PAYLOADS = [
    b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", b"SSH-2.0-dropbear\n", b"SSH-1.99-x\r\nmore\r\n",
    b"SSH-2.0-x", b"SSH-2.0-x\r", b"SSH-2.0-x\rY", b"SSH-2.0-a\tb\r\n", b"SSH-2.0-\x01\r\n", b"SSH-\r\n",
    b"SSH", b"SSX-2.0-x\r\n", b"\x00\x00\x01\x0c\x0a\x14" + bytes(30),
]

TEXT_PAYLOADS = {  # the other text protocols, by port
    21: [b"USER anonymous\r\n", b"220 (vsFTPd 3.0.5)\r\n", b"RETR file\r", b"\x01\x02"],
    25: [b"MAIL FROM:<a@example.com>\r\n", b"250 2.1.0 Ok\r\n", b"DATA\r\nSubject: x\r\n"],
    43: [b"example.com\r\n", b"% whois data\nline two\n"],
    554: [b"OPTIONS rtsp://cam/1 RTSP/1.0\r\nCSeq: 1\r\n\r\n", b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n",
          b"FOO bar\r\n", b"play rtsp://cam/1 RTSP/1.0\r\n"],
    8554: [b"TEARDOWN rtsp://cam/1 RTSP/1.0\r\n", b"RTSP/1.0 454 Session Not Found\r\n"],
}


SYSLOG_PAYLOADS = [
    b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    b"<0>x", b"<7>x", b"<191>x", b"<999>x", b"<1234>x", b"<>x", b"<1a>x", b"34>x", b"<13", b"<",
]


def _frames():
    frames = []
    for payload in HTTP_PAYLOADS:
        frames += [_tcp(40000, 80, payload), _tcp(80, 40000, payload), _tcp(40000, 8080, payload, v6=True)]
    for payload in SSH_PAYLOADS:
        frames += [_tcp(22, 40000, payload), _tcp(40000, 22, payload, v6=True)]
    for port, payloads in TEXT_PAYLOADS.items():
        frames += [_tcp(40000, port, payload) for payload in payloads]
    return frames + [
        _tcp(80, 8080, b"GET / HTTP/1.1\r\n"),                  # both ports HTTP
        _tcp(21, 25, b"220 ready\r\n"),                         # FTP and SMTP: tcpdump asks SMTP first
        _tcp(40000, 80, b"GET / HTTP/1.1\r\n", flags=0x14),     # RST with data: -v prints the RST data
        _tcp(40000, 80, b"GET / HTTP/1.1\r\n", flags=0x38),     # URG
    ] + RESP_FRAMES + [
        _tcp(6379, 40000, b"-ERR wrong type\r\n+OK\r\n:12\r\n"),
        _tcp(6379, 40000, b"*2\r\n$1\r\na\r\n$-1\r\n*0\r\n"),
        _tcp(40000, 6379, b"$2147483646\r\nx\r\n"),
        _tcp(40000, 6379, b"*2147483647\r\n:1\r\n"),            # an array that promises more than it has
        _tcp(40000, 6379, b"$5\r\nab\r\n\r\n\r\n"),
    ] + NTP_FRAMES + [
        _ntp_frame(_ntp(0x23, poll=31, precision=-128, delay=0xFFFFFFFF, dispersion=0x8000FFFF, org=T0, rec=T0,
                        xmt=T0 - 1)),                        # extreme fields; equal seconds both ways
        _ntp_frame(_ntp(0x24, poll=-31, org=T0 + 5, rec=T0 + 7, xmt=T0 + 5)),
        _ntp_frame(_ntp(0x24, stratum=1, refid=b"\x01\xffA\x7f")),  # a clock name with bytes to escape
        _ntp_frame(_ntp(0x24, tail=bytes(4))[:52] + bytes(16)),  # a key id and MD5 digest of zeros
    ] + [ip4(17, udp(40514, 514, payload)) for payload in SYSLOG_PAYLOADS] + [
        ip4(17, udp(514, 514, SYSLOG_PAYLOADS[0])),
    ] + [frame + b"SSH-\r\n" for frame in (  # short frames with Ethernet padding after the datagram
        _tcp(22, 40000, b"SSH"), _tcp(40000, 80, b"GET"), _tcp(40000, 6379, b"+OK"),
        ip4(17, udp(40514, 514, b"<1")), _ntp_frame(b"\x23"))]


FRAMES = _frames()
OPTION_SETS = ["", "-v", "-vv", "-q", "-e", "-x", "-X -vv", "-A", "-e -v"]


def _packets(frames, cut=False):
    """The frames as capture records (one microsecond apart); cut: every prefix of each, the wire length whole."""
    out = []
    for frame in frames:
        for caplen in range(1, len(frame) + 1) if cut else (len(frame),):
            out.append((1700000000, len(out) % 1000000, caplen, len(frame), frame[:caplen]))
    return out


def _assert_twins(packets, opts):
    c_fmt = Formatter(1, options_from(opts.split()))
    py_fmt = Formatter(1, options_from(opts.split()), fast=False, compiled=False)
    assert c_fmt._compiled_printer() is not None
    for i, p in enumerate(packets):
        c, py = c_fmt.format(*p), py_fmt.format(*p)
        assert c == py, f"packet {i} ({p[2]} of {p[3]} bytes) with {opts!r}: {p[4][54:]!r}"


@pytest.mark.parametrize("opts", OPTION_SETS, ids=lambda o: o or "default")
def test_application_payloads(opts):
    _assert_twins(_packets(FRAMES), opts)


@pytest.mark.parametrize("opts", ["", "-v", "-x"], ids=lambda o: o or "default")
def test_application_payloads_cut_by_the_capture(opts):
    _assert_twins(_packets(FRAMES, cut=True), opts)


def _fuzzed(frames, count, seed):
    """The frames with bytes changed, mostly in the payload and often to the bytes the parsers look for
    (line ends, blanks, RESP's type bytes, digits), some cut short, some with a wire length that disagrees."""
    rng = random.Random(seed)
    for i in range(count):
        data = bytearray(rng.choice(frames))
        for _change in range(rng.randint(1, 4)):
            at = rng.randrange(54, len(data)) if len(data) > 54 and rng.random() < 0.8 else rng.randrange(len(data))
            data[at] = rng.choice((rng.randrange(256), 13, 10, 0x20, 0x2A, 0x24, 0x2D, 0x3A, 0x2B,
                                   0x30 + rng.randrange(10)))
        length = len(data)
        kind = rng.random()
        if kind < 0.3:
            data = data[:rng.randrange(1, len(data) + 1)]
        elif kind < 0.4:
            length = max(len(data), length + rng.randint(-20, 20))
        yield 1700000000, i % 1000000, len(data), length, bytes(data)


@pytest.mark.parametrize("opts", ["", "-v"], ids=lambda o: o or "default")
def test_fuzzed_application_payloads(opts):
    _assert_twins(list(_fuzzed(FRAMES, 10000, seed=12)), opts)


def _c_line(frame, opts=""):
    """The C printer's text for one frame (a fresh conversation), or None if it hands it back."""
    printer = Formatter(1, options_from(opts.split()))._compiled_printer()
    return printer.line(frame, len(frame), "", -1)


@pytest.mark.parametrize("frame,opts,tail", [
    (_tcp(80, 40000, HTTP_PAYLOADS[1]), "", ", length 67: HTTP: HTTP/1.1 200 OK"),
    (_tcp(40000, 80, HTTP_PAYLOADS[0]), "-v", ", length 69: HTTP, length: 69\n\tGET /index.html?id=7 HTTP/1.1"
                                              "\n\tHost: www.example.com\n\tAccept: */*\n\t"),
    (_tcp(40000, 80, HTTP_PAYLOADS[4]), "", ", length 16: HTTP"),
    (_tcp(40000, 80, b"GET /"), "", ", length 5: HTTP: GET / [|http]"),
    (_tcp(40000, 8080, bytes(range(256))), "", ", length 256: HTTP"),
    (_tcp(22, 40000, SSH_PAYLOADS[0]), "", ": SSH: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"),
    (_tcp(22, 40000, SSH_PAYLOADS[-1]), "", ", length 36"),
    (_tcp(40000, 21, b"USER anonymous\r\n"), "", ": FTP: USER anonymous"),
    (_tcp(40000, 25, b"MAIL FROM:<a@example.com>\r\n"), "", ": SMTP: MAIL FROM:<a@example.com>"),
    (_tcp(40000, 554, b"RTSP/1.0 200 OK\r\n"), "", ": RTSP: RTSP/1.0 200 OK"),
    (_tcp(40000, 43, b"example.com\r\n"), "", ": WHOIS: example.com"),
    (_tcp(40000, 6379, b"*2\r\n$3\r\nGET\r\n$3\r\nk\x01y\r\n"), "", ': RESP "GET" "k^Ay"'),
    (_tcp(6379, 40000, b"-ERR x\r\n$-1\r\n*0\r\n:5\r\n"), "", ': RESP "ERR x" null empty "5"'),
    (_tcp(6379, 40000, b"$10\r\nshort\r\n"), "", ": RESP [|resp]"),
    (_tcp(40000, 6379, b"PING\r\n\r\nGET key"), "", ': RESP "PING" [|resp]'),
    (_ntp_frame(NTP_PAYLOADS[0]), "", ": NTPv4, Client, length 48"),
    (_ntp_frame(NTP_PAYLOADS[1]), "-v", "\n\t    Originator - Transmit Timestamp: +0.000002095"),
    (_ntp_frame(NTP_PAYLOADS[15]), "-v", ", Status=0, Assoc.=0, Offset=0, Count=0"),
    (ip4(17, udp(40514, 514, SYSLOG_PAYLOADS[0])), "", ": SYSLOG auth.critical, length: 76"),
    (ip4(17, udp(40514, 514, b"<999>x")), "", ": SYSLOG unknown (124).debug, length: 6"),
])
def test_the_c_printer_prints_application_lines(frame, opts, tail):
    line = _c_line(frame, opts)
    assert line is not None, "handed to the Python printers"
    assert line.endswith(tail), line


TCP_APP_PORTS = {80, 8080, 22, 6379, 25, 21, 43, 554, 8554}
UDP_APP_PORTS = {123, 514}


def _app_port(frame):
    """("tcp" or "udp", the application port) of an unfragmented IPv4/IPv6 frame for one of the
    twins' ports, with a payload; else None."""
    ethertype = frame[12:14]
    if ethertype == b"\x08\x00" and not struct.unpack_from("!H", frame, 20)[0] & 0x3FFF:
        proto, l4 = frame[23], 14 + (frame[14] & 15) * 4
    elif ethertype == b"\x86\xdd":
        proto, l4 = frame[20], 54
    else:
        return None
    if proto == 6 and len(frame) > l4 + (frame[l4 + 12] >> 4) * 4:
        ports, kind = TCP_APP_PORTS, "tcp"
    elif proto == 17:
        ports, kind = UDP_APP_PORTS, "udp"
    else:
        return None
    port = next((p for p in struct.unpack_from("!HH", frame, l4) if p in ports), None)
    return (kind, port) if port else None


@pytest.mark.parametrize("opts", ["", "-v"], ids=lambda o: o or "default")
def test_the_c_printer_prints_the_busy_mix_application_packets(tmp_path, opts):
    """Every HTTP, SSH, Redis, SMTP, NTP and syslog packet of bench/busygen.py's mix is printed in C
    (syslog's -v lines excepted: the Python printer's), which is what makes these packets cheap."""
    path = tmp_path / "busy.pcap"
    busygen.write_busy_pcap(str(path), 20000)
    _linktype, packets = pcapfile.read(str(path))
    printer = Formatter(1, options_from(opts.split()))._compiled_printer()
    seen, punted = {}, []
    for _s, _f, _c, length, data in packets:
        app = _app_port(data)
        if app is None or (opts and app == ("udp", 514)):
            continue
        seen[app] = seen.get(app, 0) + 1
        if printer.line(data, length, "", -1) is None:
            punted.append(app)
    assert {port for _kind, port in seen} >= {80, 8080, 22, 6379, 25, 123}, seen
    assert not punted, punted[:10]
