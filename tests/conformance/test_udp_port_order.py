"""Which printer a UDP datagram gets when both its ports have one: tcpdump's order, not the source's.

tcpdump's udp_print asks for the ports it knows in a fixed order, each as source
or destination (DNS first, then mDNS, TFTP, BOOTP, RIP, NAT-T, SNMP, NTP, Zephyr,
RX, DHCPv6, Babel, RADIUS, LWAPP, syslog, OTV, VXLAN, LISP, VXLAN-GPE, MPLS, SOME/IP):
a DNS query from port 7002 is DNS, not RX. Here every pair
of registered ports, both ways round, against tcpdump, through both printers (the
C one hands such datagrams to the Python one).
"""

from __future__ import annotations

import itertools

import pytest

from tests.helpers.env import require_tool
from tests.helpers.frames import assert_frames_like_tcpdump, ip4, udp

# a DNS query: what each port's printer makes of it is different enough to tell them apart
QUERY = bytes.fromhex("12340100000100000000000003777777076578616d706c6503636f6d0000010001")
PORTS = [53, 5353, 69, 67, 520, 4500, 161, 123, 2104, 7002, 547, 6696, 1812, 12223, 12222, 514, 8472, 4789, 4342, 4790,
         6635, 30490]


@pytest.mark.parametrize("opts", ["", "-v"])
def test_both_ports_known(tmp_path, opts):
    require_tool("tcpdump")
    frames = [ip4(17, udp(a, b, QUERY)) for a, b in itertools.permutations(PORTS, 2)]
    assert_frames_like_tcpdump(tmp_path, frames, opts)
