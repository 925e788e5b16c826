"""Every ICMP and ICMPv6 kind the issue names, crafted here and printed by tcpdump and netlab.

Unreachable codes, redirect, time exceeded, parameter problem, timestamps,
router advertisement; for IPv6 the unreachable codes, packet too big, neighbor
and router discovery with their options, redirect, MLDv1 and MLDv2. Checksums
are right, so -v shows the same "sum ok" verdicts on both sides.
"""

from __future__ import annotations

import struct

import pytest

from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.frames import A6, B4, B6, LL6, MAC, assert_like_tcpdump, icmp, ip4, ip6, pseudo_header, write_frames


def quoted_udp() -> bytes:
    """The IPv4 + UDP header an ICMP error quotes (and 20 bytes of what followed)."""
    udp = struct.pack("!HHHH", 40000, 40001, 28, 0)
    return ip4(17, udp + bytes(20), src=B4, dst=bytes([10, 77, 9, 9]), ttl=63, ident=9)[len(MAC) + 2:]


def icmp6(typ: int, code: int, rest: bytes, src=A6, dst=B6, hlim=64) -> bytes:
    body = bytearray(struct.pack("!BBH", typ, code, 0) + rest)
    struct.pack_into("!H", body, 2, checksum(pseudo_header(src, dst, 58, len(body)) + bytes(body)))
    return ip6(58, bytes(body), src, dst, hlim)


def quoted6() -> bytes:
    udp = struct.pack("!HHHH", 40000, 40001, 16, 0) + bytes(8)
    return ip6(17, udp, src=B6, dst=bytes.fromhex("fd77" + "00" * 13 + "09"), hlim=63)[len(MAC) + 2:]


def frames():
    out = []
    for code in range(16):
        mtu = struct.pack("!HH", 0, 1400 if code == 4 else 0)
        out.append(ip4(1, icmp(3, code, mtu + quoted_udp())))
    for code in range(4):
        out.append(ip4(1, icmp(5, code, bytes([10, 77, 0, 254]) + quoted_udp())))
    out.append(ip4(1, icmp(11, 0, bytes(4) + quoted_udp())))
    out.append(ip4(1, icmp(11, 1, bytes(4) + quoted_udp())))
    out.append(ip4(1, icmp(12, 0, bytes([20, 0, 0, 0]) + quoted_udp())))
    out.append(ip4(1, icmp(4, 0, bytes(4) + quoted_udp())))
    out.append(ip4(1, icmp(13, 0, struct.pack("!HHIII", 5, 1, 3600000, 0, 0))))
    out.append(ip4(1, icmp(14, 0, struct.pack("!HHIII", 5, 1, 3600000, 3600123, 3600124))))
    out.append(ip4(1, icmp(9, 0, struct.pack("!BBH", 1, 2, 1800) + bytes([10, 77, 0, 254]) + struct.pack("!I", 0))))
    out.append(ip4(1, icmp(10, 0, bytes(4))))
    out.append(ip4(1, icmp(8, 0, struct.pack("!HH", 99, 1) + bytes(56)), options=b"\x07\x0b\x04" + bytes(8) + b"\x00"))
    # IPv6
    for code in range(7):
        out.append(icmp6(1, code, bytes(4) + quoted6()))
    out.append(icmp6(2, 0, struct.pack("!I", 1280) + quoted6()))
    out.append(icmp6(3, 0, bytes(4) + quoted6()))
    out.append(icmp6(3, 1, bytes(4) + quoted6()))
    for code in range(4):
        out.append(icmp6(4, code, struct.pack("!I", 40) + quoted6()))
    lladdr = bytes([1, 1]) + bytes.fromhex("02004d000001")
    out.append(icmp6(133, 0, bytes(4) + lladdr, src=LL6, dst=bytes.fromhex("ff02" + "00" * 13 + "02"), hlim=255))
    prefix = struct.pack("!BBBBIII16s", 3, 4, 64, 0xC0, 86400, 14400, 0, bytes.fromhex("fd77" + "00" * 14))
    mtu = struct.pack("!BBHI", 5, 1, 0, 1500)
    rdnss = struct.pack("!BBHI16s", 25, 3, 0, 600, B6)
    ra = struct.pack("!BBHII", 64, 0x08, 1800, 0, 0) + lladdr + mtu + prefix + rdnss
    out.append(icmp6(134, 0, ra, src=LL6, dst=bytes.fromhex("ff02" + "00" * 13 + "01"), hlim=255))
    out.append(icmp6(135, 0, bytes(4) + B6 + lladdr, hlim=255))
    out.append(icmp6(136, 0, struct.pack("!I", 0xE0000000) + B6 + bytes([2, 1]) + bytes.fromhex("02004d000002"),
                     hlim=255))
    out.append(icmp6(137, 0, bytes(4) + bytes.fromhex("fd77" + "00" * 13 + "fe") + B6 + lladdr, hlim=255))
    group = bytes.fromhex("ff02" + "00" * 12 + "0001" + "00fb")
    out.append(icmp6(130, 0, struct.pack("!HH", 1000, 0) + bytes(16), src=LL6, hlim=1))       # MLDv1 general query
    out.append(icmp6(131, 0, struct.pack("!HH", 0, 0) + group, src=LL6, hlim=1))            # MLDv1 report
    out.append(icmp6(132, 0, struct.pack("!HH", 0, 0) + group, src=LL6, hlim=1))            # MLDv1 done
    out.append(icmp6(130, 0, struct.pack("!HH", 10000, 0) + group + struct.pack("!BBH", 2, 125, 1) + A6,
                     src=LL6, hlim=1))                                                          # MLDv2 query
    out.append(icmp6(128, 0, struct.pack("!HH", 7, 3) + b"netlab"))
    out.append(icmp6(200, 0, bytes(4)))
    return out


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q"])
def test_icmp_kinds(tmp_path, opts):
    require_tool("tcpdump")
    path = tmp_path / "icmp.pcap"
    fs = frames()
    write_frames(path, fs)
    assert assert_like_tcpdump(path, opts) >= len(fs)


def test_icmp_kinds_truncated(tmp_path):
    """Every prefix of every kind: the same markers and dumps as tcpdump."""
    require_tool("tcpdump")
    from tests.helpers.tcpdump import check_truncations
    path = tmp_path / "icmp.pcap"
    write_frames(path, frames())
    check_truncations(path, tmp_path)
