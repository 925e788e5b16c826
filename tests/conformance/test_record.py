"""The --format jsonl record and the two formatting paths (fast and general)."""

from __future__ import annotations

import json
import re

import pytest

from netlab.capture.decode import Formatter
from netlab.capture.linktypes import linktype_name
from netlab.capture.options import FormatOptions
from tests.helpers import pcapfile
from tests.helpers.tcpdump import needs_pcaps, OPTION_SETS, options_from, PCAPS, tcpdump_lines

KEYS = ["time", "len", "caplen", "link", "src_mac", "dst_mac", "src", "dst", "proto", "sport", "dport", "tcp_flags", "seq", "ack",
        "icmp_type", "ttl", "ip_id", "tcp_window", "payload_len", "ifindex", "direction", "summary"]


def test_linktype_names_are_tcpdumps():
    assert linktype_name(1) == "EN10MB (Ethernet)"
    assert linktype_name(113) == "LINUX_SLL (Linux cooked v1)"
    assert linktype_name(276) == "LINUX_SLL2 (Linux cooked v2)"
    assert linktype_name(0) == "NULL (BSD loopback)"
    assert linktype_name(101) == "RAW (Raw IP)"
    assert linktype_name(228) == "IPV4 (Raw IPv4)"


@needs_pcaps
def test_record_fields_of_a_tcp_handshake():
    linktype, packets = pcapfile.read(str(PCAPS / "tcp-handshake-nano.pcap"))
    fmt = Formatter(linktype, FormatOptions(utc=True))
    recs = [fmt.record(*p) for p in packets]
    assert [list(r) for r in recs] == [KEYS] * 3
    syn, synack, ack = recs
    assert syn["link"] == "LINUX_SLL" and syn["proto"] == "tcp"
    assert (syn["src"], syn["sport"], syn["dst"], syn["dport"]) == ("131.155.215.69", 46656, "137.116.81.94", 80)
    assert (syn["tcp_flags"], syn["seq"], syn["ack"]) == ("S", 797190859, 0)
    assert (synack["tcp_flags"], synack["ack"]) == ("S.", 797190860)
    assert ack["tcp_flags"] == "."
    assert syn["time"] == pytest.approx(1418145369.924505)
    assert syn["len"] == syn["caplen"] == 76 and syn["icmp_type"] is None
    want = tcpdump_lines(PCAPS / "tcp-handshake-nano.pcap", [])
    assert [r["summary"] for r in recs] == want
    json.dumps(recs)  # plain JSON types only


@pytest.mark.privileged
def test_record_fields_of_arp_icmp_udp(recorded):
    linktype, packets = pcapfile.read(recorded["veth-ether"])
    fmt = Formatter(linktype, FormatOptions(utc=True))
    recs = [fmt.record(*p) for p in packets]
    arp = next(r for r in recs if r["proto"] == "arp")
    assert (arp["src"], arp["dst"]) == ("10.77.0.1", "10.77.0.2")  # ARP's sender and target IPs
    mac = r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"  # the Ethernet header's addresses
    assert re.match(mac, arp["src_mac"]) and re.match(mac, arp["dst_mac"])
    echo = next(r for r in recs if r["proto"] == "icmp")
    assert echo["icmp_type"] == 8 and echo["sport"] is None
    echo6 = next(r for r in recs if r["proto"] == "icmp6" and r["icmp_type"] == 128)
    assert echo6["dst"] == "fd77::2"
    udp = next(r for r in recs if r["proto"] == "udp")
    assert udp["dport"] == 40002 and udp["tcp_flags"] is None
    assert [r["summary"] for r in recs] == tcpdump_lines(recorded["veth-ether"], [])


@pytest.mark.privileged
@pytest.mark.parametrize("opts", ["", "-tt", "-#", "-X", "--nano -tttt", "-S"])
def test_general_path_alone_matches_tcpdump(recorded, opts):
    """The fast path skipped: the general printers give tcpdump's lines for the common shapes too."""
    args = opts.split()
    for path in recorded.values():
        linktype, packets = pcapfile.read(path, nano="--nano" in args)
        fmt = Formatter(linktype, options_from(args), fast=False)
        got = "".join(fmt.format(*p) + "\n" for p in packets).split("\n")[:-1]
        assert got == tcpdump_lines(path, args)


@needs_pcaps
@pytest.mark.parametrize("opts", [*OPTION_SETS[:6], "-S"], ids=lambda o: o or "default")
def test_fast_and_general_paths_agree(opts):
    for pcap in sorted(PCAPS.iterdir()):
        linktype, packets = pcapfile.read(str(pcap), nano="--nano" in opts)
        fast = Formatter(linktype, options_from(opts.split()))
        slow = Formatter(linktype, options_from(opts.split()), fast=False)
        assert [fast.format(*p) for p in packets] == [slow.format(*p) for p in packets], pcap.name
