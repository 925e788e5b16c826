"""BOOTP/DHCP (UDP 67/68) at every verbosity, as tcpdump 4.99.3 prints it.

The -v lines are the header fields that are set and one line per vendor option,
printed by the format tcpdump's table gives each tag: the four messages of a
lease (as dhclient and dnsmasq send them), a relay's, every special option
(client id, FQDN, relay agent information, classless routes, user class,
NetBIOS node type, overload), unknown tags, options whose length is wrong,
the CMU vendor area, and -vvv's PAD and END. Every prefix of every datagram
too (`` [|bootp]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, udp

CLIENT_MAC = bytes.fromhex("02004d000001")
COOKIE = bytes([99, 130, 83, 99])


def _opt(tag: int, value: bytes) -> bytes:
    return bytes([tag, len(value)]) + value


def _bootp(op=1, options=b"", vend=None, xid=0x4E4C0001, secs=0, flags=0, ciaddr=bytes(4), yiaddr=bytes(4),
           siaddr=bytes(4), giaddr=bytes(4), htype=1, hlen=6, hops=0, sname=b"", file=b"") -> bytes:
    if vend is None:
        vend = COOKIE + options + b"\xff"
    body = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr,
                       siaddr, giaddr, CLIENT_MAC + bytes(10), sname, file)
    return body + vend.ljust(64, b"\x00")


def _frame(payload: bytes, sport=68, dport=67) -> bytes:
    return ip4(17, udp(sport, dport, payload), frag=0x4000)


IP = bytes([10, 77, 0, 1])
SERVER = bytes([10, 77, 0, 2])
PRL = bytes([1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42, 249, 33, 252, 200])

DISCOVER = _bootp(options=_opt(53, b"\x01") + _opt(61, b"\x01" + CLIENT_MAC) + _opt(50, IP) + _opt(12, b"host1")
                  + _opt(55, PRL) + _opt(57, b"\x05\xdc"), secs=3)
OFFER = _bootp(2, _opt(53, b"\x02") + _opt(54, SERVER) + _opt(51, struct.pack("!I", 3600))
               + _opt(58, struct.pack("!I", 1800)) + _opt(59, struct.pack("!I", 3150)) + _opt(1, bytes([255, 255, 255, 0]))
               + _opt(28, bytes([10, 77, 0, 255])) + _opt(3, SERVER) + _opt(6, SERVER + bytes([10, 77, 0, 3]))
               + _opt(15, b"lab.example") + _opt(2, struct.pack("!i", -3600)) + _opt(42, SERVER),
               yiaddr=IP, siaddr=SERVER)
REQUEST = _bootp(options=_opt(53, b"\x03") + _opt(54, SERVER) + _opt(50, IP) + _opt(81, b"\x01\x00\x00host1")
                 + _opt(60, b"MSFT 5.0") + _opt(77, b"\x04abcd\x02xy"), flags=0x8000)
ACK = _bootp(2, _opt(53, b"\x05") + _opt(54, SERVER) + _opt(51, b"\xff\xff\xff\xff")
             + _opt(121, bytes([24, 10, 78, 0]) + SERVER + bytes([0]) + SERVER + bytes([32, 10, 1, 2, 3]) + SERVER)
             + _opt(249, bytes([8, 10]) + SERVER), yiaddr=IP, giaddr=bytes([10, 77, 9, 1]), hops=1)
RELAYED = _bootp(options=_opt(53, b"\x01") + _opt(82, _opt(1, b"eth0:100") + _opt(2, CLIENT_MAC) + _opt(9, b"\x00\x01xyz")
                                                   + _opt(6, b"sub")), giaddr=bytes([10, 77, 9, 1]), hops=1)
SPECIAL = _bootp(options=_opt(46, b"\x08") + _opt(52, b"\x03") + _opt(46, b"\x05") + _opt(52, b"")
                 + _opt(61, b"\x00text-id") + _opt(61, b"\x20ab") + _opt(61, b"") + _opt(81, b"\xf5\x01\x02a")
                 + _opt(81, b"ab") + _opt(121, b"\x21" + bytes(8)) + _opt(121, b"\x18\x0a") + _opt(121, b"\x18\x0a\x00\x00\x00")
                 + _opt(77, b"\x00") + _opt(77, b"\x05ab") + _opt(77, b"x") + _opt(82, b"\x01\x09ab"))
ODD = _bootp(options=_opt(53, b"\x01\x02") + _opt(53, b"\x63") + _opt(33, IP + SERVER + IP) + _opt(19, b"\x00\x01\x07")
             + _opt(26, b"\x05\xdc\x01") + _opt(1, b"\xff\xff\xff") + _opt(2, b"\x01\x02\x03\x04\x05")
             + _opt(200, b"\x01\x02\x03") + _opt(201, b"\x01\x02") + _opt(202, b"\x01\x02\x03\x04\x05\x06\x07\x08")
             + _opt(203, b"") + _opt(25, b"\x02\x40\x05\xdc") + _opt(23, b"\x40") + _opt(43, b"\x01\x02abc")
             + _opt(12, b"tab\tnul\x00hi\xe9") + b"\x00\x00\x00" + _opt(55, b"\x01\xfe\x03"),
             htype=6, hlen=8, xid=0, sname=b"boot-server", file=b"/pxelinux.0")

FRAMES = [
    _frame(DISCOVER), _frame(OFFER, 67, 68), _frame(REQUEST), _frame(ACK, 67, 68), _frame(RELAYED, 67, 67),
    _frame(SPECIAL), _frame(ODD),
    _frame(_bootp(vend=COOKIE + _opt(53, b"\x07") + b"\xff\x00\x00" + _opt(12, b"after-end"))),   # past END
    _frame(_bootp(vend=b"CMU\x00" + struct.pack("!I", 0x03000000) + bytes([255, 255, 0, 0]) + SERVER + IP
                  + bytes(8) + SERVER + bytes(4) + IP)),                                                     # CMU
    _frame(_bootp(vend=b"CMU\x00" + bytes(60))),
    _frame(_bootp(vend=b"\x01\x02\x03\x04")),                                                                  # unknown
    _frame(_bootp(vend=bytes(64))),
    _frame(_bootp(op=3, sname=b"x" * 64)),                                                                     # sname with no NUL
    _frame(_bootp(file=b"f" * 128)),
    _frame(_bootp(options=_opt(53, b"\x01"))[:240]),                                                           # no vendor area
    _frame(_bootp(options=_opt(53, b"\x01"))[:238]),
    _frame(_bootp(options=_opt(53, b"\x08") + _opt(15, b"x" * 40))[:250]),                                     # option past the datagram
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-vvv", "-q -v", "-e -v", "-x -vv", "-X -vvv"])
def test_dhcp_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_dhcp_truncated_by_snaplen(tmp_path):
    """Every prefix of the lease's four messages and the odd ones: the same markers and dumps as tcpdump."""
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-vvv"], ["-x", "-v"]))
