"""ESP (IP 50) and ESP in UDP (NAT-T, 4500), OTV (8472), VXLAN-GPE (4790), LWAPP
(12222/12223), LISP (4342), Zephyr (2103/2104) and SOME/IP (30490) as tcpdump 4.99.3
prints them.

ESP over IPv4 and IPv6, NAT-T ESP and keep-alives; OTV carrying an Ethernet frame
(IPv4 inside, an unknown ethertype dumped in hex); VXLAN-GPE carrying Ethernet, IPv4
and IPv6, an unknown next protocol, too short; LWAPP data and control frames,
to and from the control port (with and without the AP identity), other versions;
LISP Map-Register and Map-Notify with IPv4/IPv6 EIDs and locators, authentication
data, xTR and site ids, other message types; Zephyr notices of each kind tcpdump
names, bad fields and non-Zephyr data; SOME/IP requests, notifications and errors;
every prefix of every packet too.
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import (A4, B4, MAC, assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, icmp, ip4, ip6,
                                  udp)


def esp(spi: int, seq: int, payload: bytes = bytes(range(24))) -> bytes:
    return struct.pack("!II", spi, seq) + payload


def otv(flags: int, overlay: int, instance: int, inner: bytes) -> bytes:
    return struct.pack("!I", flags << 24 | overlay)[:4] + struct.pack("!I", instance << 8) + inner


INNER_IP = ip4(1, icmp(8, 0, struct.pack("!HH", 7, 1) + b"ping"))
INNER_ODD = MAC + b"\x8c\xbc" + bytes(range(30))


def gpe(flags: int, nxt: int, vni: int, inner: bytes) -> bytes:
    return struct.pack("!BxxBI", flags, nxt, vni << 8) + inner


def someip(service: int, method: int, kind: int, code: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHIHHBBBB", service, method, 8 + len(payload), 1, 2, 1, 1, kind, code) + payload


def lwapp(version: int, frag: int, length: int, payload: bytes = b"") -> bytes:
    return struct.pack("!BBHH", version, frag, length, 0) + payload


def lwapp_msg(kind: int, seq: int, body: bytes, session: int = 0x1234) -> bytes:
    return struct.pack("!BBHI", kind, seq, len(body), session) + body


def lisp_register(kind=3, flags=0, records=b"", count=1, auth=bytes(20), key_id=1, tail=b"") -> bytes:
    return (struct.pack("!BBBBQHH", kind << 4 | flags, 0, 1 if kind == 3 else 0, count, 0x1122334455667788, key_id,
                        len(auth)) + auth + records + tail)


def eid(afi: int, prefix: bytes, mask: int, locators: bytes, count: int, act=0x50, ttl=1440) -> bytes:
    return struct.pack("!IBBBBHH", ttl, count, mask, act, 0, 0x0007, afi) + prefix + locators


def loc(afi: int, addr: bytes, flags=0x0005) -> bytes:
    return struct.pack("!BBBBHH", 1, 100, 255, 0, flags, afi) + addr


V4_EID = eid(1, bytes([10, 77, 0, 0]), 16, loc(1, A4) + loc(2, bytes(15) + b"\x01", flags=2) + loc(9, b""), 3)
V6_EID = eid(2, bytes.fromhex("fd770000000000000000000000000000"), 48, loc(1, B4, flags=0), 1, act=0x20)


def zephyr(kind=1, cls=b"MESSAGE", inst=b"personal", opcode=b"PERSONAL", sender=b"alice@LAB", recipient=b"bob@LAB",
           version=b"ZEPH0.2", extra=b"", fields=None) -> bytes:
    values = fields or [version, b"0x00000012", b"0x%08x" % kind, b"uid", b"0x1234", b"0x1", b"0x0", b"", cls, inst,
                        opcode, sender, recipient, b"format", b"0x1f2e", b"0", b"muid"]
    return b"\x00".join(values) + b"\x00" + extra


ZEPHYRS = [
    zephyr(), zephyr(recipient=b""), zephyr(opcode=b""), zephyr(kind=2, sender=b""), zephyr(kind=9), zephyr(kind=-1 & 0xFF),
    zephyr(kind=5, extra=b"SENT\x00"), zephyr(kind=5, extra=b"LOST\x00"), zephyr(kind=5),
    zephyr(cls=b"USER_LOCATE", opcode=b"USER_HIDE"), zephyr(cls=b"USER_LOCATE", opcode=b"USER_UNHIDE"),
    zephyr(cls=b"USER_LOCATE", opcode=b"LOCATE", inst=b"bob@LAB"), zephyr(cls=b"ZEPHYR_ADMIN", opcode=b"HELLO"),
    zephyr(cls=b"ZEPHYR_CTL", inst=b"CLIENT", opcode=b"SUBSCRIBE", extra=b"MESSAGE\x00*\x00\x00"),
    zephyr(cls=b"ZEPHYR_CTL", inst=b"CLIENT", opcode=b"SUBSCRIBE_NODEFS", extra=b"a\x00b\x00c\x00"),
    zephyr(cls=b"ZEPHYR_CTL", inst=b"CLIENT", opcode=b"UNSUBSCRIBE", extra=b"a\x00b"),
    zephyr(kind=5, cls=b"ZEPHYR_CTL", inst=b"CLIENT", opcode=b"SUBSCRIBE"),
    zephyr(cls=b"ZEPHYR_CTL", inst=b"CLIENT", opcode=b"GIMME"), zephyr(cls=b"ZEPHYR_CTL", inst=b"CLIENT", opcode=b"GIMMEDEFS"),
    zephyr(cls=b"ZEPHYR_CTL", inst=b"CLIENT", opcode=b"CLEARSUB"), zephyr(cls=b"ZEPHYR_CTL", inst=b"CLIENT", opcode=b"FLUSH"),
    zephyr(cls=b"ZEPHYR_CTL", inst=b"HM", opcode=b"BOOT"), zephyr(cls=b"ZEPHYR_CTL", inst=b"REALM", opcode=b"ADD_SUBSCRIBE"),
    zephyr(cls=b"ZEPHYR_CTL", inst=b"REALM", opcode=b"RLM_UNSUBSCRIBE"), zephyr(cls=b"ZEPHYR_CTL", inst=b"REALM", opcode=b"X"),
    zephyr(cls=b"ZEPHYR_CTL", inst=b"OTHER", opcode=b"X"), zephyr(cls=b"HM_CTL", inst=b"SERVER", opcode=b"SHUTDOWN"),
    zephyr(cls=b"HM_STAT", inst=b"HMST_CLIENT", opcode=b"GIMMESTATS"), zephyr(cls=b"HM_STAT", inst=b"X", opcode=b"Y"),
    zephyr(cls=b"WG_CTL", inst=b"Wg", opcode=b"Op\x01"), zephyr(cls=b"LOGIN", opcode=b"USER_FLUSH"),
    zephyr(cls=b"LOGIN", opcode=b"REALM-VISIBLE"), zephyr(cls=b"LOGIN", opcode=b"USER_LOGIN"),
    zephyr(version=b"ZEPH0.1"), zephyr(version=b"ZEPH"), zephyr(version=b"HELO"), zephyr()[:60], b"ZEPH0.2",
    b"not zephyr", zephyr(sender=b"\xe9l\xe8ve\x7f", cls=b"x" * 300),
    zephyr(fields=[b"ZEPH0.2", b"1", b"  -0x3", b"u", b"p", b"a", b"l", b"", b"c", b"i", b"o", b"s", b"r", b"f", b"0",
                   b"0", b"m"]),
]
FRAMES = [
    ip4(50, esp(0x1000, 5)), ip6(50, esp(0xDEADBEEF, 0xFFFFFFFF)), ip4(50, esp(1, 2, b"")),
    ip4(17, udp(4500, 4500, esp(0x6170692E, 0x72657175))), ip4(17, udp(40000, 4500, b"\xff")),
    ip4(17, udp(4500, 40000, b"\x00")), ip4(17, udp(4500, 40000, b"\xff\xff")), ip4(17, udp(4500, 40000, esp(7, 8, b""))),
    ip6(17, udp(4500, 4500, esp(0x10, 1), v6=True)),
    ip4(17, udp(40000, 8472, otv(0x08, 0xA6A6E4, 0x42CD26, INNER_IP))),
    ip4(17, udp(8472, 40000, otv(0xFF, 1, 2, INNER_ODD))), ip4(17, udp(8472, 40000, b"\x08\x00\x00")),
    ip4(17, udp(40000, 12222, lwapp(0x07, 3, 26, bytes(range(20))))), ip4(17, udp(40000, 12222, lwapp(0x00, 0, 4))),
    ip4(17, udp(12222, 40000, lwapp(0x40, 0, 6))), ip4(17, udp(12222, 40000, lwapp(0x1B, 1, 400, b"ab"))),
    ip4(17, udp(40000, 12223, bytes.fromhex("02004d000009") + lwapp(0x04, 0, 22, lwapp_msg(1, 1, b"\x01\x00\x01x")
                                                                           + lwapp_msg(22, 2, b"")))),
    ip4(17, udp(12223, 40000, lwapp(0x04, 0, 20, lwapp_msg(99, 3, b"abcd") + lwapp_msg(4, 4, b"xyz")))),
    ip4(17, udp(12223, 40000, lwapp(0x04, 0, 6, lwapp_msg(2, 5, b"")))), ip4(17, udp(12223, 40000, lwapp(0x84, 0, 0))),
    ip4(17, udp(40000, 4342, lisp_register(records=V4_EID + V6_EID, count=2))),
    ip4(17, udp(4342, 40000, lisp_register(flags=0x02, records=V6_EID, tail=bytes(range(16)) + struct.pack("!Q", 77)))),
    ip4(17, udp(4342, 40000, lisp_register(kind=4, flags=0x08, records=V4_EID, auth=b"", key_id=2, tail=bytes(10)))),
    ip4(17, udp(4342, 40000, lisp_register(records=eid(16387, b"lcaf", 0, b"", 0), key_id=7))),
    ip4(17, udp(4342, 40000, lisp_register(count=0, auth=bytes(4)))),
    ip4(17, udp(4342, 40000, lisp_register(records=V6_EID, tail=b"trailing"))),
    ip4(17, udp(4342, 40000, lisp_register(kind=1) + bytes(8))), ip4(17, udp(4342, 40000, b"\x50" + bytes(15))),
    ip4(17, udp(40000, 4790, gpe(0x0C, 3, 77, INNER_IP))), ip4(17, udp(4790, 40000, gpe(0x08, 1, 78, INNER_IP[14:]))),
    ip4(17, udp(4790, 40000, gpe(0x00, 2, 79, ip6(59, b"")[14:]))), ip4(17, udp(4790, 40000, gpe(0x0F, 9, 1, b"xy"))),
    ip4(17, udp(4790, 40000, gpe(0x08, 3, 1, INNER_ODD))), ip4(17, udp(4790, 40000, b"\x08\x00\x00\x01")),
    ip4(17, udp(40000, 30490, someip(0x1234, 1, 0x00, 0, b"args"))), ip4(17, udp(30490, 40000, someip(0x1234, 0x8001, 0x02, 0))),
    ip4(17, udp(30490, 40000, someip(7, 2, 0x81, 9))), ip4(17, udp(30490, 40000, someip(7, 2, 0x33, 0x40))),
    ip4(17, udp(30490, 40000, someip(7, 2, 0xA1, 15)[:15])),
] + [ip4(17, udp(40000 + i, 2103 + i % 2, z)) for i, z in enumerate(ZEPHYRS)]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x", "-X -v"])
def test_udp_tunnel_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_udp_tunnels_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x"]))
