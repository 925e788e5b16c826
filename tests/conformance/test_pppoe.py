"""PPPoE discovery as tcpdump 4.99.3 prints it.

The four packets of a session set-up as pppd and an access concentrator send
them (PADI, PADO, PADR, PADS) and the PADT that ends it: service names, AC
names, host-uniq and cookies (text or hex), vendor tags, error tags, unknown
tags; odd headers (version, type, lengths that disagree, a PADI too long, an
unknown code, a frame too short). Every prefix of every frame too (`` [|pppoe]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump

CLIENT = bytes.fromhex("02004d000001")
AC = bytes.fromhex("02004d0000ac")
BROADCAST = b"\xff" * 6


def _tag(kind: int, value: bytes = b"") -> bytes:
    return struct.pack("!HH", kind, len(value)) + value


def _pppoe(code: int, tags: bytes, session=0, dst=BROADCAST, src=CLIENT, vt=0x11, plen=None, pad=True) -> bytes:
    frame = dst + src + b"\x88\x63" + struct.pack("!BBHH", vt, code, session, len(tags) if plen is None else plen) + tags
    return frame.ljust(60, b"\x00") if pad else frame


HOST_UNIQ = _tag(0x0103, b"\x2a\x00\x00\x00")
COOKIE = _tag(0x0104, bytes(range(16)))
FRAMES = [
    _pppoe(0x09, _tag(0x0101) + HOST_UNIQ),                                              # PADI
    _pppoe(0x07, _tag(0x0102, b"bras-1") + _tag(0x0101) + COOKIE + HOST_UNIQ, dst=CLIENT, src=AC),   # PADO
    _pppoe(0x19, _tag(0x0101, b"internet") + COOKIE + HOST_UNIQ, dst=AC),                 # PADR
    _pppoe(0x65, _tag(0x0101, b"internet") + HOST_UNIQ, session=0x1234, dst=CLIENT, src=AC),   # PADS
    _pppoe(0xA7, _tag(0x0203, b"session closed"), session=0x1234, dst=AC),               # PADT
    _pppoe(0x09, _tag(0x0105, b"\x00\x00\x0d\xe9abcdefgh") + _tag(0x0110, b"ab\x01\x02")
           + _tag(0x0120, b"\x05\xdc") + _tag(0x0201, b"x" * 100) + _tag(0x0777, b"tag?")),  # other tags
    _pppoe(0x09, _tag(0x0101) + _tag(0, b"") + _tag(0x0102, b"after EOL")),             # EOL ends the list
    _pppoe(0x09, _tag(0x0101), vt=0x21),                                                 # version 2
    _pppoe(0x09, _tag(0x0101), vt=0x13),                                                 # type 3
    _pppoe(0x09, _tag(0x0101), plen=1600, pad=False),                                    # PADI too long
    _pppoe(0x07, _tag(0x0101), plen=60, pad=False),                                      # length past the frame
    _pppoe(0x42, _tag(0x0101)),                                                          # unknown code
    BROADCAST + CLIENT + b"\x88\x63" + b"\x11\x09\x00",                                  # shorter than a header
]


@pytest.mark.parametrize("opts", ["", "-v", "-e", "-q", "-x", "-X -e"])
def test_pppoe_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_pppoe_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-e"], ["-x"]))
