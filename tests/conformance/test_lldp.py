"""LLDP as tcpdump 4.99.3 prints it, at every verbosity.

Frames built as lldpd and switches send them (to 01:80:c2:00:00:0e): chassis and
port ids of every subtype, TTL, descriptions, capabilities, management addresses
(IPv4, IPv6, MAC, unknown families, with an OID), IEEE 802.1 (PVID, protocol
VLAN, VLAN name, protocol identity, link aggregation) and 802.3 (MAC/PHY, power
via MDI, link aggregation, maximum frame size) TLVs, unknown TLVs, short and
overlong TLVs. Every prefix of every frame too (`` [|lldp]``).
"""

from __future__ import annotations

import struct

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, assert_prefixes_like_tcpdump

LLDP_MAC = bytes.fromhex("0180c200000e")
SRC = bytes.fromhex("02004d0000aa")


def _tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!H", kind << 9 | len(value)) + value


def _org(oui: int, subtype: int, value: bytes) -> bytes:
    return _tlv(127, oui.to_bytes(3, "big") + bytes([subtype]) + value)


def _frame(*tlvs: bytes, end=True) -> bytes:
    return LLDP_MAC + SRC + b"\x88\xcc" + b"".join(tlvs) + (b"\x00\x00" if end else b"")


D1, D3 = 0x0080C2, 0x00120F
LLDPD = _frame(
    _tlv(1, b"\x04" + SRC), _tlv(2, b"\x03" + SRC), _tlv(3, b"\x00\x78"), _tlv(5, b"switch1"),
    _tlv(6, b"Debian GNU/Linux 12 (bookworm) Linux 6.1.0 #1 SMP x86_64"), _tlv(7, b"\x00\x14\x00\x10"),
    _tlv(8, b"\x05\x01\x0a\x4d\x00\x01\x02\x00\x00\x00\x02\x00"),
    _tlv(8, b"\x11\x02" + bytes.fromhex("fd770000000000000000000000000001") + b"\x02\x00\x00\x00\x02\x00"),
    _tlv(4, b"veth0"),
    _org(D3, 1, b"\x03\x6c\x01\x00\x10"), _org(D3, 4, b"\x05\xee"), _org(D1, 1, b"\x00\x64"),
    _org(D1, 3, b"\x00\x64\x05mgmt0"), _org(D1, 7, b"\x03\x00\x00\x00\x07"))
SWITCH = _frame(
    _tlv(1, b"\x07chassis-local"), _tlv(2, b"\x05Gi1/0/1"), _tlv(3, b"\x00\x00"), _tlv(1, b"\x01comp"),
    _tlv(1, b"\x02alias"), _tlv(1, b"\x03port"), _tlv(1, b"\x06eth0"), _tlv(1, b"\x05\x01\x0a\x4d\x00\x09"),
    _tlv(1, b"\x09what"), _tlv(2, b"\x01alias"), _tlv(2, b"\x02comp"), _tlv(2, b"\x04\x06" + SRC),
    _tlv(2, b"\x06circuit"), _tlv(2, b"\x07local"), _tlv(2, b"\x08eight"),
    _tlv(7, b"\x00\xff\x00\x00"), _tlv(7, b"\x00\x00\x00\x00"),
    _tlv(8, b"\x07\x06" + SRC + b"\x03\x00\x00\x00\x09\x04abcd"),
    _tlv(8, b"\x03\x09ab\x01\x00\x00\x00\x00"),
    _org(D1, 2, b"\x06\x00\x0a"), _org(D1, 4, b"\x04\x88\x8e\x01\x03"), _org(D1, 5, b"\x00\x01"),
    _org(D3, 2, b"\x0f\x01\x03"), _org(D3, 3, b"\x01\x00\x00\x00\x01"), _org(D3, 7, b"\x00"),
    _tlv(127, b"\x00\x80\xc2"), _org(0x00000C, 1, b"cisco"), _tlv(12, b"future"))
ODD = [
    _frame(_tlv(1, b"\x04" + SRC), _tlv(5, b"name\x00padding")),         # NUL inside the name
    _frame(_tlv(1, b"\x04\x01\x02"), end=False),                         # MAC subtype too short
    _frame(_tlv(3, b"\x01")),                                            # TTL too short
    _frame(_tlv(7, b"\x00\x04")),                                        # capabilities too short
    _frame(_tlv(8, b"\x09\x01\x0a\x4d")),                                # management address past the TLV
    _frame(_tlv(1, b"\x05\x02\x0a")),                                    # IPv6 chassis too short
    _frame(_tlv(5, b"truncated")[:2] + b"abc", end=False),               # TLV past the frame
    _frame(_tlv(5, b"host"), end=False),                                 # no end TLV
    _frame(_org(D1, 3, b"\x00\x64\x09short"), _org(D3, 1, b"\x03"), _org(D1, 1, b""), _org(D3, 4, b"")),
]

FRAMES = [LLDPD, SWITCH, *ODD]


@pytest.mark.parametrize("opts", ["", "-v", "-vv", "-e", "-q", "-e -v", "-x", "-X -v"])
def test_lldp_lines(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, FRAMES, opts)


def test_lldp_truncated_by_snaplen(tmp_path):
    require_tool("tcpdump")
    assert_prefixes_like_tcpdump(tmp_path, FRAMES, ([], ["-v"], ["-x"]))
