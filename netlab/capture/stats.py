"""--stats: who talks to whom, and in which protocol, by packets and bytes.

Fed with the decoder's per-packet records (src, dst, proto, sport, dport, len);
bytes are wire lengths. A host is counted once for every packet it sends or
receives; a flow is one direction of a conversation, as tcpdump prints it.
A flow's key is a Flow: the table shows it as tcpdump writes it
(``src.sport > dst.dport proto``), JSON as its fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

TOP = 10


class Flow(NamedTuple):
    src: str | None
    sport: int | None
    dst: str | None
    dport: int | None
    proto: str

    def __str__(self) -> str:
        return f"{_endpoint(self.src, self.sport)} > {_endpoint(self.dst, self.dport)} {self.proto}"

    def as_dict(self) -> dict:
        return self._asdict()


@dataclass(slots=True)
class Counter:
    key: str | Flow
    packets: int = 0
    bytes: int = 0

    def as_dict(self) -> dict:
        key = self.key.as_dict() if isinstance(self.key, Flow) else self.key
        return {"key": key, "packets": self.packets, "bytes": self.bytes}


class TalkerStats:
    def __init__(self) -> None:
        self.packets = 0
        self.bytes = 0
        self._hosts: dict[str, list[int]] = {}
        self._flows: dict[Flow, list[int]] = {}
        self._protos: dict[str, list[int]] = {}

    def add(self, record: dict) -> None:
        size = record.get("len") or 0
        self.packets += 1
        self.bytes += size
        src, dst = record.get("src"), record.get("dst")
        proto = record.get("proto") or record.get("link") or "other"
        for host in (src, dst):
            if host:
                _bump(self._hosts, host, size)
        if src or dst:
            _bump(self._flows, Flow(src, record.get("sport"), dst, record.get("dport"), proto), size)
        _bump(self._protos, proto, size)

    def top_hosts(self, n: int = TOP, by: str = "packets") -> list[Counter]:
        return _top(self._hosts, n, by)

    def top_flows(self, n: int = TOP, by: str = "packets") -> list[Counter]:
        return _top(self._flows, n, by)

    def protocols(self) -> list[Counter]:
        return _top(self._protos, len(self._protos), "packets")

    def as_dict(self, n: int = TOP) -> dict:
        return {
            "packets": self.packets,
            "bytes": self.bytes,
            "hosts_by_packets": [c.as_dict() for c in self.top_hosts(n, "packets")],
            "hosts_by_bytes": [c.as_dict() for c in self.top_hosts(n, "bytes")],
            "flows_by_packets": [c.as_dict() for c in self.top_flows(n, "packets")],
            "flows_by_bytes": [c.as_dict() for c in self.top_flows(n, "bytes")],
            "protocols": [c.as_dict() for c in self.protocols()],
        }


def _bump(table: dict, key, size: int) -> None:
    entry = table.get(key)
    if entry is None:
        table[key] = [1, size]
    else:
        entry[0] += 1
        entry[1] += size


def _endpoint(addr, port) -> str:
    if addr is None:
        return "?"
    return str(addr) if port is None else f"{addr}.{port}"  # tcpdump's way, IPv6 too


def _top(table: dict, n: int, by: str) -> list[Counter]:
    index = 0 if by == "packets" else 1
    # ties in the order of the key as the table shows it (a Flow's fields may be None: not comparable)
    ranked = sorted(table.items(), key=lambda kv: (-kv[1][index], -kv[1][1 - index], str(kv[0])))[:n]
    return [Counter(key, p, b) for key, (p, b) in ranked]


def render_table(stats: TalkerStats, n: int = TOP) -> str:
    from netlab.output import Column, table

    def pct(part: int, whole: int) -> str:
        return f"{100.0 * part / whole:.1f}%" if whole else "-"

    sections = [f"{stats.packets} packets, {stats.bytes} bytes"]
    for title, rows, header in (
        ("Top hosts by packets", stats.top_hosts(n, "packets"), "HOST"),
        ("Top hosts by bytes", stats.top_hosts(n, "bytes"), "HOST"),
        ("Top flows by packets", stats.top_flows(n, "packets"), "FLOW"),
        ("Top flows by bytes", stats.top_flows(n, "bytes"), "FLOW"),
        ("Protocols", stats.protocols(), "PROTO"),
    ):
        records = [{"key": str(c.key), "packets": c.packets, "bytes": c.bytes,
                    "pkt_pct": pct(c.packets, stats.packets), "byte_pct": pct(c.bytes, stats.bytes)} for c in rows]
        columns = [Column("key", header), Column("packets", "PACKETS", align="right"),
                   Column("pkt_pct", "%PKT", align="right"), Column("bytes", "BYTES", align="right"),
                   Column("byte_pct", "%BYTES", align="right")]
        sections.append(f"\n{title}\n" + table(records, columns))
    return "\n".join(sections)


def render_jsonl(stats: TalkerStats, n: int = TOP) -> str:
    from netlab.output import to_jsonl_line

    return to_jsonl_line(stats.as_dict(n))
