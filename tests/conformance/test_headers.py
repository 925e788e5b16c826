"""IPv4 options and fragments, IPv6 extension headers, every TCP option: crafted, then compared.

The frames are built here with correct checksums; tcpdump and netlab print
the same pcap with the same options, also cut at every byte.
"""

from __future__ import annotations

import struct

import pytest

from netlab.core.inet import checksum
from tests.helpers import frames as frames_lib
from tests.helpers.frames import A4, A6, B4, B6, MAC, assert_like_tcpdump, ip4, pseudo_header, udp, write_frames
from tests.helpers.frames import icmp
from tests.helpers.tcpdump import check_truncations
from tests.helpers.env import require_tool


def tcp(sport, dport, seq, ack, flags, options=b"", payload=b"", v6=False, win=512):
    off = (20 + len(options)) // 4
    seg = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + options + payload)
    src, dst = (A6, B6) if v6 else (A4, B4)
    struct.pack_into("!H", seg, 16, checksum(pseudo_header(src, dst, 6, len(seg)) + bytes(seg)))
    return bytes(seg)


def ip6(nxt, payload):
    return frames_lib.ip6(nxt, payload, flow=0xBEEF)  # a flow label, for -v to show


def opt_tlv(kind, data=b""):
    return bytes([kind, 2 + len(data)]) + data


def pad4(b):
    return b + b"\x00" * (-len(b) % 4)


def frames():
    out = []
    # IPv4 options: RR, NOP+timestamp, router alert, security, EOL; fragments
    out.append(ip4(1, icmp(8, 0, struct.pack("!HH", 1, 1)), options=b"\x07\x0b\x08" + A4 + bytes(4) + b"\x00"))
    out.append(ip4(17, udp(40000, 40001, b"x" * 10), options=b"\x94\x04\x00\x00"))
    out.append(ip4(17, udp(40000, 40001, b"x" * 10), options=b"\x01\x44\x0c\x05\x00" + bytes(7)))
    out.append(ip4(17, udp(40000, 40001, b"y" * 10), options=b"\x82\x0b" + bytes(9) + b"\x00"))
    out.append(ip4(17, udp(40000, 40001, b"z" * 1000)[:400], frag=0x2000, ident=99, tot=428))
    out.append(ip4(17, b"z" * 400, frag=0x2000 | 50, ident=99))
    out.append(ip4(17, b"z" * 208, frag=100, ident=99))
    out.append(ip4(6, tcp(40000, 5555, 1, 0, 2)[:20], frag=0x4000, tos=0x03))
    # IPv6 extension headers
    hbh = bytes([58, 0]) + b"\x05\x02\x00\x00\x01\x00"
    out.append(ip6(0, hbh + icmp(143, 0, struct.pack("!HH", 0, 0))))
    dst = bytes([17, 0]) + b"\x01\x04\x00\x00\x00\x00"
    out.append(ip6(60, dst + udp(40000, 40001, b"d" * 8, v6=True)))
    rt0 = bytes([6, 2, 0, 1, 0, 0, 0, 0]) + B6
    out.append(ip6(43, rt0 + tcp(40000, 5555, 1, 0, 2, v6=True)))
    frag0 = bytes([17, 0]) + struct.pack("!HI", 0x0001, 0xCAFE)
    out.append(ip6(44, frag0 + udp(40000, 40001, b"f" * 16, v6=True)[:16]))
    frag1 = bytes([17, 0]) + struct.pack("!HI", 16, 0xCAFE)
    out.append(ip6(44, frag1 + b"f" * 8))
    out.append(ip6(59, b""))
    # TCP options, each of them, and relative numbers with SACK
    mss, ws, sackok = opt_tlv(2, b"\x05\xb4"), opt_tlv(3, b"\x07"), opt_tlv(4)
    ts = opt_tlv(8, struct.pack("!II", 1000, 0))
    out.append(ip4(6, tcp(40000, 5555, 100, 0, 2, pad4(mss + sackok + ts + b"\x01" + ws))))
    out.append(ip4(6, tcp(5555, 40000, 900, 101, 0x12, pad4(mss + b"\x01\x01" + sackok + b"\x01" + ws))))
    out.append(ip4(6, tcp(40000, 5555, 101, 901, 0x10)))
    out.append(ip4(6, tcp(40000, 5555, 101, 901, 0x18, payload=b"p" * 100)))
    sack = opt_tlv(5, struct.pack("!IIII", 1901, 2901, 3901, 4901))
    out.append(ip4(6, tcp(5555, 40000, 901, 201, 0x10, b"\x01\x01" + sack)))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, pad4(opt_tlv(19, bytes(range(16)))))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, pad4(opt_tlv(28, b"\x80\x03")))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, pad4(opt_tlv(34, b"\x01\x02\x03\x04")))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, pad4(opt_tlv(34)))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, pad4(opt_tlv(99, b"\xaa\xbb\xcc")))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, pad4(opt_tlv(30, b"\x00\x81" + bytes(8)) + b"\x00"))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, b"\x00" + bytes(3))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, pad4(opt_tlv(2, b"\x05")))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x10, b"\x02\x09" + bytes(6))))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x39, payload=b"u" * 3)))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x14, payload=b"rst data")))
    out.append(ip4(6, tcp(40000, 5555, 201, 901, 0x00, payload=b"n")))
    out.append(ip4(6, tcp(40000, 40000, 201, 901, 0x11)))
    out.append(MAC + b"\x86\xdd" + struct.pack("!IHBB16s16s", 0x60000000, 32, 6, 64, A6, B6)
               + tcp(40000, 5555, 7, 9, 0x10, b"\x01\x01\x08\x0a" + bytes(8), v6=True))
    return out


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x"])
def test_headers_and_options(tmp_path, opts):
    require_tool("tcpdump")
    path = tmp_path / "hdr.pcap"
    fs = frames()
    write_frames(path, fs)
    assert assert_like_tcpdump(path, opts) >= len(fs)


def test_headers_and_options_truncated(tmp_path):
    require_tool("tcpdump")
    path = tmp_path / "hdr.pcap"
    write_frames(path, frames())
    check_truncations(path, tmp_path)


def app_frames():
    """TCP payloads on the ports tcpdump names: HTTP, FTP, RTSP, SMTP, WHOIS, SSH, DNS."""
    out = []
    payloads = (b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 404 Not Found\r\n", b"HELLO world\r\n",
                b"220 FTP server ready\r\n", b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n", b"PLAY rtsp://x/ RTSP/1.0\r\n",
                b"USER anonymous\r\n", b"\x00\x01binary", b"SSH-2.0-netlab_1.0\r\n", b"no line end")
    for port in (80, 8080, 21, 554, 8554, 25, 43, 22):
        for payload in payloads:
            out.append(ip4(6, tcp(40000, port, 1, 1, 0x18, payload=payload)))
    return out


@pytest.mark.parametrize("opts", ["", "-v", "-q"])
def test_tcp_application_lines(tmp_path, opts):
    require_tool("tcpdump")
    path = tmp_path / "apps.pcap"
    fs = app_frames()
    write_frames(path, fs)
    assert assert_like_tcpdump(path, opts) >= len(fs)


def vxlan_frames():
    """VXLAN (port 4789) around an inner ICMP echo, a TCP segment and an ARP, and a cut one."""
    inner_mac = bytes.fromhex("0a0000000002" "0a0000000001")
    inner = [ip4(1, icmp(8, 0, struct.pack("!HH", 5, 1) + bytes(16)))[12:],
             ip4(6, tcp(40000, 5555, 77, 88, 0x18, payload=b"hi"))[12:],
             b"\x08\x06" + struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, inner_mac[6:], A4, bytes(6), B4)]
    out = []
    for i, payload in enumerate(inner):
        vx = struct.pack("!BxxxI", 0x08, (100 + i) << 8) + inner_mac + payload
        out.append(ip4(17, udp(50000 + i, 4789, vx)))
    out.append(ip4(17, udp(50009, 4789, struct.pack("!BxxxI", 0x00, 7 << 8) + inner_mac[:8])))
    return out


@pytest.mark.parametrize("opts", ["", "-e", "-q", "-v", "-x"])
def test_vxlan(tmp_path, opts):
    require_tool("tcpdump")
    path = tmp_path / "vxlan.pcap"
    fs = vxlan_frames()
    write_frames(path, fs)
    assert assert_like_tcpdump(path, opts) >= len(fs)


def test_vxlan_truncated(tmp_path):
    require_tool("tcpdump")
    path = tmp_path / "vxlan.pcap"
    write_frames(path, vxlan_frames())
    check_truncations(path, tmp_path)
