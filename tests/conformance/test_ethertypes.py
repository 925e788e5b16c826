"""Ethernet frames of every ethertype tcpdump 4.99.3 names, and of unknown ones, as tcpdump prints them.

tcpdump names a type by print-ether.c's ethertype_values (-e, and the line of a type it has no
printer for); an unknown type's payload is its ND_DEFAULTPRINT hex-and-ASCII dump, which -q, -x
and -X suppress but -A and -AA do not (the -A dump follows it).
"""

from __future__ import annotations

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import MAC, assert_frames_like_tcpdump, write_frames
from tests.helpers.tcpdump import netlab_lines, tcpdump_lines

# the numbers of print-ether.c's ethertype_values (ethertype.h), in its order; types below
# 0x0600 are lengths in an Ethernet header (an 802.3 frame with LLC)
TCPDUMP_TYPES = (
    0x0800, 0x8847, 0x8848, 0x86DD, 0x8100, 0x9100, 0x88A8, 0x9200, 0x88E5, 0x0200, 0x0806, 0x8035, 0x0600,
    0x0500, 0x1000, 0x6001, 0x6002, 0x6003, 0x6004, 0x6007, 0x6558, 0x8038, 0x803C, 0x803E, 0x805B, 0x805C,
    0x809B, 0x80F3, 0x8137, 0x880B, 0x8808, 0x8809, 0x8863, 0x8864, 0x888E, 0x8899, 0x886F, 0x8870, 0x894F,
    0x9000, 0xFEFE, 0x00FE, 0xABCD, 0x8902, 0x893A, 0x88CC, 0x88CA, 0x0707, 0x8947, 0x1111, 0x88A2, 0x88F7,
    0xD28B,
)
# names netlab once had that tcpdump does not: tcpdump prints these as "Unknown"
UNKNOWN_TYPES = (0x88B5, 0x8906, 0x8914, 0x22F3, 0x88E7, 0x1234, 0xFFFF)

# types tcpdump hands to a printer netlab lacks: netlab prints the frame as a type without a
# printer (the -e line's link part, then the payload's default dump)
NO_PRINTER = {
    0x0707: "GeoNet (old): print-geonet.c", 0x8947: "GeoNet: print-geonet.c", 0x1111: "CALM FAST: print-calm-fast.c",
    0x6003: "DECnet: print-decnet.c", 0x809B: "Appletalk: print-atalk.c", 0x80F3: "Appletalk ARP: print-atalk.c",
    0x8137: "IPX: print-ipx.c", 0x8808: "MPCP: print-mpcp.c", 0x8809: "Slow Protocols: print-slow.c",
    0x880B: "PPP: print-ppp.c", 0x8864: "PPPoE session: print-pppoe.c's session part",
    0x886F: "MS NLB heartbeat: print-msnlb.c", 0x8870: "Jumbo: tcpdump reads LLC after it",
    0x888E: "EAPOL: print-eap.c", 0x8899: "Realtek: print-realtek.c", 0x88A2: "AoE: print-aoe.c",
    0x88CA: "TIPC: print-tipc.c", 0x88E5: "802.1AE MACsec: print-macsec.c", 0x88F7: "PTP: print-ptp.c",
    0x8902: "CFM: print-cfm.c", 0xABCD: "CFM (old): print-cfm.c", 0x894F: "NSH: print-nsh.c",
    0x9000: "Loopback: print-loopback.c", 0xD28B: "Arista: print-arista.c", 0xFEFE: "OSI: print-isoclns.c",
}
# of those, the ones whose -e line tcpdump does not begin with the link header netlab prints
OTHER_LINK_HEADER = {
    0x8899: "print-realtek.c prints its own header instead",
    0xD28B: "print-arista.c prints the link header after its own fields",
    0x8870: "tcpdump decodes the payload as LLC",
}

PAYLOAD = b"hello, ethertype world! " + bytes(range(24))
OPTIONS = ["", "-q", "-e", "-A", "-AA", "-x", "-X", "-e -v"]


def _frame(etype: int) -> bytes:
    return MAC + etype.to_bytes(2, "big") + PAYLOAD


PRINTED = [t for t in TCPDUMP_TYPES + UNKNOWN_TYPES if t not in NO_PRINTER]


@pytest.mark.parametrize("opts", OPTIONS)
def test_every_ethertype_like_tcpdump(tmp_path, opts):
    require_tool("tcpdump")
    assert_frames_like_tcpdump(tmp_path, [_frame(t) for t in PRINTED], "-n " + opts)


@pytest.mark.parametrize("etype", sorted(set(NO_PRINTER) - set(OTHER_LINK_HEADER)), ids="0x{:04x}".format)
def test_types_without_printer_begin_like_tcpdump(tmp_path, etype):
    """netlab's -e line is where tcpdump's begins: the link header with tcpdump's name."""
    require_tool("tcpdump")
    path = tmp_path / "f.pcap"
    write_frames(path, [_frame(etype)])
    want, got = tcpdump_lines(path, ["-n", "-e"]), netlab_lines(path, ["-n", "-e"])
    assert got[0].endswith(", length %d: " % len(_frame(etype)))
    assert want[0].startswith(got[0]), (want[0], got[0])


@pytest.mark.parametrize("opts", OPTIONS)
def test_arp_of_unknown_operation_dumped_under_every_option(tmp_path, opts):
    """print-arp.c calls ND_DEFAULTPRINT unguarded: the dump comes with -q, -x and -X too."""
    require_tool("tcpdump")
    arp = bytes.fromhex("0001 0800 0604 004d") + bytes(range(20))  # Ethernet/IPv4, operation 77
    assert_frames_like_tcpdump(tmp_path, [MAC + b"\x08\x06" + arp, MAC + b"\x80\x35" + arp], "-n " + opts)
