"""--stats conv and --stats endpoints: Wireshark's conversation and endpoint tables (eth, ip, tcp, udp).

Counted as Wireshark counts them (epan/conversation_table.c): bytes are wire
lengths; a conversation's side A is the sender of its first packet (as tshark
4.0 shows it). "ip" holds IPv4 and IPv6 (tshark: conv,ip and conv,ipv6); tcp
conversations are per stream, so a reused port pair is a new row, as in tshark.
Rows are sorted by bytes, then packets, both descending, then by start.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netlab.capture.statspec import LAYERS


@dataclass(slots=True, eq=False)  # hashed by identity: the table keeps each one's times beside it
class Conversation:
    type: str
    a: str
    a_port: int | None
    b: str
    b_port: int | None
    stream: int | None
    packets_a_to_b: int = 0
    bytes_a_to_b: int = 0
    packets_b_to_a: int = 0
    bytes_b_to_a: int = 0
    packets: int = 0
    bytes: int = 0
    start_ms: float = 0.0
    duration_ms: float = 0.0

    def as_dict(self) -> dict:
        return {key: getattr(self, key) for key in CONVERSATION_KEYS}


@dataclass(slots=True)
class Endpoint:
    type: str
    address: str
    port: int | None
    packets: int = 0
    bytes: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    rx_packets: int = 0
    rx_bytes: int = 0

    def as_dict(self) -> dict:
        return {key: getattr(self, key) for key in ENDPOINT_KEYS}


def _order_key(address: str) -> tuple:
    """Wireshark's cmp_address: the type, the length, then the bytes."""
    if ":" in address and address.count(":") == 5 and len(address) == 17:  # a MAC
        return (0, 6, bytes.fromhex(address.replace(":", "")))
    packed = ipaddress.ip_address(address).packed
    return (1, len(packed), packed)


def endpoints_of(view: dict, layer: str) -> tuple | None:
    """(src, sport, dst, dport) of a packet at this layer, or None when it has no such header."""
    if layer == "eth":
        return None if view["src_mac"] is None else (view["src_mac"], None, view["dst_mac"], None)
    if view["ttl"] is None:  # no IP header (ARP, another Ethernet type)
        return None
    if layer == "ip":
        return view["src"], None, view["dst"], None
    if view["proto"] != layer or view["sport"] is None:
        return None
    return view["src"], view["sport"], view["dst"], view["dport"]


class ConversationTable:
    """Counts conversations, or endpoints (``endpoints=True``), of these layers."""

    def __init__(self, layers: tuple[str, ...] = LAYERS, endpoints: bool = False):
        self.layers = layers
        self._by_endpoint = endpoints
        self.first_ns: int | None = None
        self._rows: dict[tuple, Conversation] = {}
        self._ends: dict[Conversation, list[int]] = {}  # [first ns, last ns]
        self._points: dict[tuple, Endpoint] = {}

    def add(self, view: dict, stream: int | None = None) -> None:
        ns, size = view["ns"], view["len"]
        if self.first_ns is None:
            self.first_ns = ns
        for layer in self.layers:
            ends = endpoints_of(view, layer)
            if ends is None:
                continue
            src, sport, dst, dport = ends
            if self._by_endpoint:
                self._endpoint(layer, src, sport, size, sent=True)
                self._endpoint(layer, dst, dport, size, sent=False)
            else:
                self._count(layer, src, sport, dst, dport, stream if layer == "tcp" else None, ns, size)

    def _count(self, layer, src, sport, dst, dport, stream, ns, size) -> None:
        rows = self._rows
        row = rows.get((layer, src, sport, dst, dport, stream))  # A to B
        if row is not None:
            row.packets_a_to_b += 1
            row.bytes_a_to_b += size
        else:
            row = rows.get((layer, dst, dport, src, sport, stream))  # B to A
            if row is None:  # a new conversation: its first packet's sender is A
                row = rows[(layer, src, sport, dst, dport, stream)] = Conversation(layer, src, sport, dst, dport, stream)
                self._ends[row] = [ns, ns]
                row.packets_a_to_b += 1
                row.bytes_a_to_b += size
                return
            row.packets_b_to_a += 1
            row.bytes_b_to_a += size
        ends = self._ends[row]
        if ns > ends[1]:
            ends[1] = ns
        elif ns < ends[0]:
            ends[0] = ns

    def _endpoint(self, layer, address, port, size, sent: bool) -> None:
        key = (layer, address, port)
        point = self._points.get(key)
        if point is None:
            point = self._points[key] = Endpoint(layer, address, port)
        if sent:
            point.tx_packets += 1
            point.tx_bytes += size
        else:
            point.rx_packets += 1
            point.rx_bytes += size

    def conversations(self, top: int | None = None) -> list[Conversation]:
        rows = []
        for row in self._rows.values():
            first, last = self._ends[row]
            row.packets = row.packets_a_to_b + row.packets_b_to_a
            row.bytes = row.bytes_a_to_b + row.bytes_b_to_a
            row.start_ms = (first - self.first_ns) / 1e6
            row.duration_ms = (last - first) / 1e6
            rows.append(row)
        return _ranked(rows, top, lambda r: r.start_ms)

    def endpoints(self, top: int | None = None) -> list[Endpoint]:
        rows = list(self._points.values())
        for row in rows:
            row.packets = row.tx_packets + row.rx_packets
            row.bytes = row.tx_bytes + row.rx_bytes
        return _ranked(rows, top, lambda r: (_order_key(r.address), r.port or 0))


def _ranked(rows: list, top: int | None, then) -> list:
    """Per layer (eth, ip, tcp, udp), the rows by bytes and packets (most first); top N of each layer."""
    out = []
    for layer in LAYERS:
        mine = sorted((r for r in rows if r.type == layer), key=lambda r: (-r.bytes, -r.packets, then(r)))
        out += mine[:top] if top is not None else mine
    return out


CONVERSATION_KEYS = ("type", "a", "a_port", "b", "b_port", "stream", "packets_a_to_b", "bytes_a_to_b",
                     "packets_b_to_a", "bytes_b_to_a", "packets", "bytes", "start_ms", "duration_ms")
ENDPOINT_KEYS = ("type", "address", "port", "packets", "bytes", "tx_packets", "tx_bytes", "rx_packets", "rx_bytes")


def conversation_columns():
    from netlab.output import Column

    return [Column("type", "TYPE"), Column("a", "A"), Column("a_port", "PORT A", align="right"),
            Column("b", "B"), Column("b_port", "PORT B", align="right"),
            Column("packets_a_to_b", "A>B PKTS", align="right"), Column("bytes_a_to_b", "A>B BYTES", align="right"),
            Column("packets_b_to_a", "B>A PKTS", align="right"), Column("bytes_b_to_a", "B>A BYTES", align="right"),
            Column("packets", "PACKETS", align="right"), Column("bytes", "BYTES", align="right"),
            Column("start_ms", "START ms", align="right", fmt=lambda v: f"{v:.3f}"),
            Column("duration_ms", "DURATION ms", align="right", fmt=lambda v: f"{v:.3f}")]


def endpoint_columns():
    from netlab.output import Column

    return [Column("type", "TYPE"), Column("address", "ADDRESS"), Column("port", "PORT", align="right"),
            Column("packets", "PACKETS", align="right"), Column("bytes", "BYTES", align="right"),
            Column("tx_packets", "TX PKTS", align="right"), Column("tx_bytes", "TX BYTES", align="right"),
            Column("rx_packets", "RX PKTS", align="right"), Column("rx_bytes", "RX BYTES", align="right")]
