"""VRRP versions 2 and 3 (IPv4 and IPv6) as tcpdump 4.99.3 prints them.

Advertisements as keepalived sends them (TTL/hop limit 255, to 224.0.0.18 or
ff02::12), with one or several virtual addresses, simple-text and AH
authentication, a wrong checksum, a TTL that is not 255, unknown versions and
types; every prefix of every packet too (`` [|vrrp]``).
"""

from __future__ import annotations

import struct

import pytest

from netlab.core.inet import checksum
from tests.helpers.env import require_tool
from tests.helpers.frames import (
    A4, A6, LL6, assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, ip6, pseudo_header)

GROUP4 = bytes([224, 0, 0, 18])
GROUP6 = bytes.fromhex("ff020000000000000000000000000012")
VIPS = [bytes([10, 77, 0, 100]), bytes([10, 77, 0, 101]), bytes([10, 77, 0, 102])]


def _v2(vrid=51, prio=100, addrs=VIPS[:1], auth=0, intvl=1, password=b"", kind=1, version=2, bad=False) -> bytes:
    auth_data = password.ljust(8, b"\x00")[:8] if auth == 1 else bytes(8)
    body = bytearray(struct.pack("!BBBBBBH", version << 4 | kind, vrid, prio, len(addrs), auth, intvl, 0)
                     + b"".join(addrs) + auth_data)
    struct.pack_into("!H", body, 6, checksum(bytes(body)) ^ (0x1111 if bad else 0))
    return bytes(body)


def _v3(addrs, v6=False, vrid=7, prio=200, intvl=100, bad=False) -> bytes:
    body = bytearray(struct.pack("!BBBBHH", 0x31, vrid, prio, len(addrs), intvl & 0x0FFF, 0) + b"".join(addrs))
    src, dst = (LL6, GROUP6) if v6 else (A4, GROUP4)
    struct.pack_into("!H", body, 6, checksum(pseudo_header(src, dst, 112, len(body)) + bytes(body)) ^ (0x0101 if bad else 0))
    return bytes(body)


def _over4(body: bytes, ttl=255) -> bytes:
    return ip4(112, body, dst=GROUP4, ttl=ttl)


def _over6(body: bytes, hlim=255) -> bytes:
    return ip6(112, body, src=LL6, dst=GROUP6, hlim=hlim)


FRAMES = [
    _over4(_v2()),                                                          # keepalived's default
    _over4(_v2(addrs=VIPS, prio=254, intvl=3)),                             # several addresses
    _over4(_v2(auth=1, password=b"secret")),                                # simple text password
    _over4(_v2(auth=1, password=b"12345678")),                              # eight bytes, no NUL
    _over4(_v2(auth=2)),                                                    # AH
    _over4(_v2(auth=9)),                                                    # unknown auth type
    _over4(_v2(bad=True)),                                                  # wrong checksum
    _over4(_v2(), ttl=64),                                                  # TTL not 255
    _over4(_v2(addrs=[])),                                                  # no address
    _over4(_v2(kind=2)),                                                    # unknown type
    _over4(_v2(version=1)),                                                 # unknown version
    _over4(_v3(VIPS[:2])),                                                  # v3 over IPv4
    _over4(_v3(VIPS[:1], bad=True)),
    _over6(_v3([A6, bytes.fromhex("fd770000000000000000000000000064")], v6=True, intvl=4095)),   # v3 over IPv6
    _over6(_v3([A6], v6=True), hlim=1),
    _over4(_v2(addrs=VIPS)[:14]),                                           # addresses past the packet
]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-x", "-X -v"])
def test_vrrp_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_vrrp_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x"]))
