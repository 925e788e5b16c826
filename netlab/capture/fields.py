"""The header fields of a --format jsonl record and of --stats: src, dst, proto, ports, ttl, window...

src and dst are the addresses of the highest header decoded: IP's, ARP's sender
and target IPs, else (another Ethernet type) the MACs; src_mac and dst_mac are
the Ethernet header's, for every Ethernet frame. ifindex and direction come from
the Linux cooked headers (v2 has both, v1 the direction alone). payload_len is
what the IP header's lengths say the TCP or UDP payload is (Wireshark's
tcp.len / the UDP length less its header), whatever was captured of it; null
in a fragment, which holds only part of it.

A decoder of its own rather than a by-product of the printers: the printers
produce text fragments as tcpdump prints them (relative sequence numbers,
options, truncation markers) and keep no values, and the fields must be the raw
header values even where tcpdump's line shows something else. Deriving them
from the printers would mean every printer returning values too, on the hot
path that prints lines; this walk reads a handful of offsets per packet.
"""

from __future__ import annotations

import struct

from netlab.capture import linktypes
from netlab.capture.fmt_base import ip4, ip6, mac
from netlab.capture.fmt_link import VLAN_TYPES
from netlab.capture.fmt_tcp import FLAGS

_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_U32LE = struct.Struct("<I")

# the cooked headers' packet type: 0-3 arrived (to us, broadcast, multicast, another host), 4 we sent
_DIRECTIONS = {0: "in", 1: "in", 2: "in", 3: "in", 4: "out"}

_IP_PROTOS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp6", 2: "igmp", 47: "gre", 50: "esp", 51: "ah", 132: "sctp"}


# the fields fill() sets, in the order a --format jsonl record shows them; each null until read
NAMES = ("src_mac", "dst_mac", "src", "dst", "proto", "sport", "dport", "tcp_flags", "seq", "ack", "icmp_type", "ttl",
         "ip_id", "tcp_window", "payload_len", "ifindex", "direction")
NULLS = dict.fromkeys(NAMES)


def fill_or_leave(linktype: int, d: bytes, rec: dict) -> int | None:
    """fill(), where a malformed packet keeps what was read before the fault and the rest null
    (the payload offset is then None): what the records and the statistics both want."""
    try:
        return fill(linktype, d, rec)
    except Exception:
        return None


def fill(linktype: int, d: bytes, rec: dict) -> int | None:
    """Fill the record's header fields (raw header values, no relative numbers).

    Returns where the TCP or UDP payload starts in ``d`` (None without one), for
    the statistics that read it. Raises on a frame too short for the headers it
    claims (the caller leaves the fields null).
    """
    kind = linktypes.kind(linktype)
    if kind == "ether":
        p, etype = 14, _U16.unpack_from(d, 12)[0]
        while etype in VLAN_TYPES:
            etype = _U16.unpack_from(d, p + 2)[0]
            p += 4
        # the link addresses; src/dst too until a network header (IP, ARP) says better
        rec["src_mac"] = rec["src"] = mac(d[6:12])
        rec["dst_mac"] = rec["dst"] = mac(d[0:6])
    elif kind == "sll" or kind == "sll2":
        p, type_off = linktypes.HEADERS[kind]
        etype = _U16.unpack_from(d, type_off)[0]
        if kind == "sll":
            rec["direction"] = _DIRECTIONS.get(_U16.unpack_from(d, 0)[0])
        else:
            rec["ifindex"] = _U32.unpack_from(d, 4)[0]
            rec["direction"] = _DIRECTIONS.get(d[10])
    elif kind == "null" or kind == "loop":
        fam = _U32LE.unpack_from(d)[0] if kind == "null" else _U32.unpack_from(d)[0]
        if fam & 0xFFFF0000:
            fam = _U32.unpack_from(d)[0]
        p, etype = 4, 0x0800 if fam == 2 else 0x86DD if fam in (24, 28, 30) else 0
    elif kind == "raw":
        p = 0
        etype = 0x0800 if d[0] >> 4 == 4 else 0x86DD if d[0] >> 4 == 6 else 0
    else:
        return None
    if etype in (0x0806, 0x8035):
        rec["proto"] = "arp"
        hln, pln = d[p + 4], d[p + 5]
        if pln == 4:  # sender and target IPs, as tcpdump's line names them; the MACs stay in src_mac/dst_mac
            rec["src"] = ip4(d[p + 8 + hln:p + 12 + hln])
            rec["dst"] = ip4(d[p + 8 + 2 * hln + 4:p + 12 + 2 * hln + 4])
        return None
    if etype == 0x0800 and d[p] >> 4 == 4:  # another version: tcpdump prints "IP version error", no fields
        hl = (d[p] & 15) * 4
        proto = d[p + 9]
        rec["src"], rec["dst"] = ip4(d[p + 12:p + 16]), ip4(d[p + 16:p + 20])
        rec["ttl"], rec["ip_id"] = d[p + 8], _U16.unpack_from(d, p + 4)[0]
        later_fragment = _U16.unpack_from(d, p + 6)[0] & 0x1FFF
        fragment = _U16.unpack_from(d, p + 6)[0] & 0x3FFF  # more fragments, or an offset
        l4 = p + hl
        ip_end = p + _U16.unpack_from(d, p + 2)[0]  # where the IP packet ends, as its header says
    elif etype == 0x86DD and d[p] >> 4 == 6:
        proto = d[p + 6]
        rec["src"], rec["dst"] = ip6(d[p + 8:p + 24]), ip6(d[p + 24:p + 40])
        rec["ttl"] = d[p + 7]  # the hop limit
        l4 = p + 40
        ip_end = l4 + _U16.unpack_from(d, p + 4)[0]
        later_fragment = fragment = 0
        while proto in (0, 43, 60, 44):
            if proto == 44:
                later_fragment = _U16.unpack_from(d, l4 + 2)[0] & 0xFFF8
                fragment = _U16.unpack_from(d, l4 + 2)[0] & 0xFFF9
                proto, l4 = d[l4], l4 + 8
            else:
                proto, l4 = d[l4], l4 + ((d[l4 + 1] + 1) << 3)
    else:
        return None
    rec["proto"] = _IP_PROTOS.get(proto, "ip-proto-%u" % proto)
    if later_fragment:
        return None
    if proto in (6, 17, 132) and l4 + 4 <= len(d):
        rec["sport"], rec["dport"] = struct.unpack_from("!HH", d, l4)
        if proto == 6 and l4 + 14 <= len(d):
            rec["seq"], rec["ack"] = struct.unpack_from("!II", d, l4 + 4)
            rec["tcp_flags"] = FLAGS[d[l4 + 13]]
            if l4 + 16 <= len(d):
                rec["tcp_window"] = _U16.unpack_from(d, l4 + 14)[0]  # as sent: not scaled
            data = l4 + (d[l4 + 12] >> 4) * 4
            if not fragment:  # a first fragment holds part of the payload: its length is the whole datagram's
                rec["payload_len"] = max(ip_end - data, 0)
            return data
        if proto == 17:
            if not fragment:
                rec["payload_len"] = max(ip_end - l4 - 8, 0)
            return l4 + 8
    elif proto in (1, 58) and l4 < len(d):
        rec["icmp_type"] = d[l4]
    return None
