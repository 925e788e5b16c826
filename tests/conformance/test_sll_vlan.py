"""802.1Q tags inside Linux cooked captures (v1 and v2), line for line as tcpdump 4.99.3."""

from __future__ import annotations

import struct

import pytest

from tests.helpers.frames import ip4, udp
from tests.helpers.tcpdump import write_pcap
from tests.helpers.tcpdump import compare
from tests.helpers.env import require_tool

LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
SRC_MAC = bytes.fromhex("02004d000001")


def _ip_packet() -> bytes:
    return ip4(17, udp(5353, 53, b"\0" * 12))[14:]  # the IPv4 datagram without its Ethernet header


def _sll(protocol: int, payload: bytes, pkttype: int = 0) -> bytes:
    return struct.pack("!HHH8sH", pkttype, 1, 6, SRC_MAC + b"\0\0", protocol) + payload


def _sll2(protocol: int, payload: bytes, pkttype: int = 0) -> bytes:
    return struct.pack("!HHIHBB8s", protocol, 0, 1, 1, pkttype, 6, SRC_MAC + b"\0\0") + payload


def _frames(build) -> list[bytes]:
    ip = _ip_packet()
    return [
        build(0x8100, struct.pack("!HH", 100, 0x0800) + ip),  # one tag
        build(0x8100, struct.pack("!HH", (5 << 13) | 0x1000 | 7, 0x0800) + ip, pkttype=4),  # priority, DEI, outgoing
        build(0x8100, struct.pack("!HH", 100, 0x4321) + b"\0" * 20),  # a type nobody decodes
        build(0x88A8, struct.pack("!HH", 200, 0x8100) + struct.pack("!HH", 100, 0x0800) + ip),  # QinQ outer tag
        build(0x8100, b"\x00"),  # the tag cut short
    ]


@pytest.mark.parametrize("linktype,build", [(LINKTYPE_LINUX_SLL, _sll), (LINKTYPE_LINUX_SLL2, _sll2)],
                         ids=["sll", "sll2"])
@pytest.mark.parametrize("opts", ["", "-e", "-q", "-e -q", "-v", "-e -x"])
def test_vlan_in_cooked_capture_like_tcpdump(tmp_path, linktype, build, opts):
    require_tool("tcpdump")
    path = tmp_path / "vlan.pcap"
    frames = _frames(build)
    write_pcap(path, linktype, [(1700000000, i, len(f), len(f), f) for i, f in enumerate(frames)])
    same, total, diffs = compare(path, opts.split())
    assert total >= len(frames)  # unknown payloads add hex lines
    assert not diffs, "\n".join(diffs)


@pytest.mark.parametrize("opts", ["", "-e"])
def test_sll2_interface_index_without_a_name_prints_a_question_mark(tmp_path, opts):
    # tcpdump prints "?" where if_indextoname() finds nothing (0, or an interface since gone),
    # not the number that netlab.core.addr.interface_name answers there (ss's way)
    require_tool("tcpdump")
    path = tmp_path / "gone.pcap"
    ip = _ip_packet()
    frames = [struct.pack("!HHIHBB8s", 0x0800, 0, ifindex, 1, 0, 6, SRC_MAC + b"\0\0") + ip
              for ifindex in (0, 1, 0x7FFFFFF0, 0xFFFFFFFF)]
    write_pcap(path, LINKTYPE_LINUX_SLL2, [(1700000000, i, len(f), len(f), f) for i, f in enumerate(frames)])
    same, total, diffs = compare(path, opts.split())
    assert total == len(frames) and not diffs, "\n".join(diffs)
