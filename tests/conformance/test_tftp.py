"""TFTP (UDP 69) as tcpdump 4.99.3 prints it.

Read and write requests as PXE clients and tftp(1) send them (mode, options),
OACK, DATA, ACK, ERROR with each code and an unknown one, unknown opcodes,
strings without their NUL, datagrams too short for their opcode; and every
prefix of every datagram (`` [|tftp]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump, ip4, ip6, udp


def _frame(payload: bytes, sport=40000, dport=69, v6=False) -> bytes:
    if v6:
        return ip6(17, udp(sport, dport, payload, v6=True))
    return ip4(17, udp(sport, dport, payload))


PAYLOADS = [
    b"\x00\x01pxelinux.0\x00octet\x00tsize\x000\x00blksize\x001408\x00",   # PXE read request
    b"\x00\x02upload.bin\x00netascii\x00",                                  # write request
    b"\x00\x01f\x00octet\x00\x00\x00",                                      # empty option strings
    b"\x00\x06tsize\x0026666\x00blksize\x001408\x00",                      # OACK
    b"\x00\x03\x00\x01" + b"x" * 32,                                       # DATA
    b"\x00\x04\x00\x01",                                                   # ACK
    *[b"\x00\x05" + struct.pack("!H", code) + b"message\x00" for code in range(9)],   # ERROR codes
    b"\x00\x05\x00\x01",                                                   # ERROR without a message
    b"\x00\x05\x00\x01no nul",                                             # message without its NUL
    b"\x00\x07abc",                                                        # unknown opcode
    b"\x00\x01",                                                           # RRQ without a name
    b"\x00\x01name-only\x00",                                              # RRQ without a mode
    b"\x00\x01no-nul",                                                     # name without its NUL
    b"\x00\x01f\x00octet\x00tsize",                                        # option without its NUL
    b"\x00\x03\x00",                                                       # DATA without a block number
    b"\x00",                                                               # too short
    b"\x00\x01tab\there\xe9\x00oc\x01tet\x00",                              # bytes escaped
]

FRAMES = [_frame(p) for p in PAYLOADS] + [_frame(PAYLOADS[0], v6=True), _frame(PAYLOADS[5], sport=69, dport=50000)]


@pytest.mark.parametrize("opts", ["", "-v", "-e", "-q", "-x", "-X -v"])
def test_tftp_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_tftp_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x"]))
