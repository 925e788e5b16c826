"""The jsonl header fields beside Wireshark's: ttl, ip_id, tcp_window, payload_len, ifindex, direction.

netlab's records and tshark's fields (first occurrence: the outer header) of the
same frames, on tcpdump's conformance captures and on traffic recorded in
namespaces (Ethernet, Linux cooked v1 and v2).
"""

from __future__ import annotations

import pytest

from netlab.capture.decode import Formatter
from tests.helpers import pcapfile, tshark
from tests.helpers.env import require_conformance
from tests.helpers.tcpdump import PCAPS

TSHARK_FIELDS = ("ip.ttl", "ipv6.hlim", "ip.id", "tcp.window_size_value", "tcp.len", "udp.length", "sll.pkttype",
                 "sll.ifindex", "ip.flags.mf", "ip.frag_offset", "ipv6.fraghdr.more", "ipv6.fraghdr.offset")
# Where the two decoders disagree on a malformed frame, and why.
DIFFERENT = {
    # an IPv4 packet under the IPv6 link type: tcpdump (and netlab) decode it by its version nibble, tshark refuses it
    "LINKTYPE_IPV6_invalid.pcap",
    # an IPv6 header cut short of 40 bytes: tshark still shows the hop limit, netlab leaves the IP fields null
    "ipv6_invalid_length.pcap",
}


def _number(text: str) -> int | None:
    return int(text, 0) if text else None


def expected(row: list[str], proto: str | None) -> tuple:
    ip_ttl, hlim, ip_id, window, tcp_len, udp_len, pkttype, ifindex, *fragment = row + [""] * (len(TSHARK_FIELDS) - len(row))
    payload = _number(tcp_len) if proto == "tcp" else _number(udp_len) - 8 if proto == "udp" and udp_len else None
    if any(flag not in ("", "0", "False") for flag in fragment):
        payload = None  # tshark reassembles and shows the datagram's length on its last fragment; netlab: null
    direction = None if not pkttype else "out" if pkttype == "4" else "in"
    return (_number(ip_ttl or hlim), _number(ip_id), _number(window), payload, _number(ifindex), direction)


def mine(record: dict) -> tuple:
    return (record["ttl"], record["ip_id"], record["tcp_window"], record["payload_len"], record["ifindex"],
            record["direction"])


def differences(pcap) -> list[str]:
    linktype, packets = pcapfile.read(str(pcap))
    formatter = Formatter(linktype)
    records = [formatter.record(*p) for p in packets]
    rows = tshark.fields(pcap, *TSHARK_FIELDS)
    assert len(rows) == len(records)
    return [f"frame {i + 1}: tshark {expected(row, rec['proto'])}, netlab {mine(rec)}"
            for i, (rec, row) in enumerate(zip(records, rows)) if expected(row, rec["proto"]) != mine(rec)]


def test_fields_equal_tsharks_on_tcpdumps_captures():
    require_conformance()
    checked = 0
    for pcap in sorted(PCAPS.glob("*.pcap*")):
        if pcap.name in DIFFERENT or pcap.name.startswith("timestamp_invalid"):
            continue
        assert differences(pcap) == [], pcap.name
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize("name", sorted(DIFFERENT))
def test_the_known_differences_are_still_there(name):
    """If tshark or netlab changes here, the list above is out of date."""
    require_conformance()
    assert len(differences(PCAPS / name)) == 1


@pytest.mark.privileged
def test_fields_equal_tsharks_on_recorded_traffic(recorded):
    for name, path in recorded.items():
        assert differences(path) == [], name
    linktype, packets = pcapfile.read(recorded["router-sll2"])
    records = [Formatter(linktype).record(*p) for p in packets]
    assert {r["direction"] for r in records} == {"in", "out"}  # the router receives and forwards
    assert len({r["ifindex"] for r in records}) >= 2  # on both of its veths
