"""--stats io,SECONDS[,FILTER...]: packets and bytes per interval, per pcap-filter, as tshark -z io,stat.

Intervals start at the first packet (as tshark's do) and run to the last one;
empty intervals are rows of zeros. Without a filter there is one series, every
packet (filter null); with filters, one series per filter, each judged by libpcap.
Times are integer nanoseconds, so a packet on an interval's edge falls in the
same interval as in tshark.
"""

from __future__ import annotations

from dataclasses import dataclass

BAR_WIDTH = 40


@dataclass(slots=True)
class Interval:
    filter: str | None
    start_ms: float
    end_ms: float
    packets: int
    bytes: int

    def as_dict(self) -> dict:
        return {key: getattr(self, key) for key in INTERVAL_KEYS}


INTERVAL_KEYS = ("filter", "start_ms", "end_ms", "packets", "bytes")


class IoStats:
    def __init__(self, interval: float, filters: tuple[str, ...], linktype: int):
        self.step_ns = round(interval * 1e9)
        self.filters = filters or (None,)
        self._matchers = [_matcher(f, linktype) if f else None for f in self.filters]
        self.first_ns: int | None = None
        self.last_ns: int | None = None
        self._counts: list[dict[int, list[int]]] = [{} for _ in self.filters]

    def add(self, view: dict) -> None:
        ns = view["ns"]
        if self.first_ns is None:
            self.first_ns = ns
        self.last_ns = ns if self.last_ns is None else max(self.last_ns, ns)
        slot = (ns - self.first_ns) // self.step_ns
        for match, counts in zip(self._matchers, self._counts):
            if match is None or match(view["data"], view["len"]):
                cell = counts.setdefault(slot, [0, 0])
                cell[0] += 1
                cell[1] += view["len"]

    def intervals(self) -> list[Interval]:
        """Every interval of every series, interval by interval; the last one ends at the last packet."""
        if self.first_ns is None:
            return []
        span = self.last_ns - self.first_ns
        slots = span // self.step_ns + 1
        rows = []
        for slot in range(slots):
            start = slot * self.step_ns
            end = min(start + self.step_ns, span) if slot == slots - 1 else start + self.step_ns
            for name, counts in zip(self.filters, self._counts):
                packets, size = counts.get(slot, (0, 0))
                rows.append(Interval(name, start / 1e6, end / 1e6, packets, size))
        return rows


def _matcher(expression: str, linktype: int):
    """libpcap's verdict; a filter that can match nothing on this link type (icmp on raw IPv6) counts zeros,
    as tshark's column does, where libpcap would refuse it as a capture filter."""
    from netlab.capture.bpf import matcher
    from netlab.errors import UsageError

    try:
        return matcher(expression, linktype)
    except UsageError as err:
        if "rejects all packets" not in str(err):
            raise
        return lambda data, length: False


def columns():
    from netlab.output import Column

    return [Column("start_ms", "START ms", align="right", fmt=lambda v: f"{v:.3f}"),
            Column("end_ms", "END ms", align="right", fmt=lambda v: f"{v:.3f}"),
            Column("filter", "FILTER", fmt=lambda v: "all" if v is None else v),
            Column("packets", "PACKETS", align="right"), Column("bytes", "BYTES", align="right")]


def chart(rows: list[Interval], width: int = BAR_WIDTH) -> str:
    """Each interval's packets as a bar of block characters (eighths), one line per interval and series."""
    if not rows:
        return ""
    most = max(r.packets for r in rows) or 1
    label = max(len(_label(r)) for r in rows)
    lines = []
    for r in rows:
        eighths = round(r.packets * width * 8 / most)
        bar = "\u2588" * (eighths // 8) + ("" if eighths % 8 == 0 else chr(0x2590 - eighths % 8))
        lines.append(f"{_label(r):>{label}} |{bar:<{width}}| {r.packets}")
    return "\n".join(lines)


def _label(row: Interval) -> str:
    where = f"{row.start_ms / 1000:.3f}s"
    return where if row.filter is None else f"{where} {row.filter}"
