"""The grammar of --stats and --follow values: light, so the CLI parses them at start-up.

--stats [KIND]: ``talkers`` (the default: top hosts, flows and protocols),
``conv[,LAYER...]`` and ``endpoints[,LAYER...]`` (LAYER: eth, ip, tcp, udp; all
four by default), ``io,SECONDS[,FILTER...]`` (packets and bytes per interval, per
pcap-filter), ``tcp`` (per-stream analysis).
--follow ``tcp,N`` (stream N, as Wireshark numbers them) or
``tcp,ADDR:PORT,ADDR:PORT`` (IPv6 as [ADDR]:PORT).
A bad value raises ValueError; netlab.cli.types turns it into the one-line refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LAYERS = ("eth", "ip", "tcp", "udp")
KINDS = ("talkers", "conv", "endpoints", "io", "tcp")
STATS_HINT = "give talkers, conv[,eth|ip|tcp|udp], endpoints[,eth|ip|tcp|udp], io,SECONDS[,FILTER]... or tcp"
FOLLOW_HINT = "give tcp,STREAM or tcp,ADDR:PORT,ADDR:PORT"
MIN_INTERVAL, MAX_INTERVAL = 0.001, 86400.0
_DECIMAL = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)\Z")
_ENDPOINT = re.compile(r"(\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<v4>[0-9.]+)):(?P<port>[0-9]{1,5})\Z")


@dataclass(frozen=True, slots=True)
class StatsSpec:
    kind: str
    layers: tuple[str, ...] = ()
    interval: float | None = None
    filters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FollowSpec:
    stream: int | None = None
    ends: tuple[tuple[str, int], tuple[str, int]] | None = None


def parse_stats(text: str) -> StatsSpec:
    kind, _, rest = text.partition(",")
    if kind not in KINDS:
        raise ValueError(STATS_HINT)
    if kind in ("talkers", "tcp"):
        if rest:
            raise ValueError(STATS_HINT)
        return StatsSpec(kind)
    if kind == "io":
        seconds, comma, filters = rest.partition(",")
        if not _DECIMAL.match(seconds) or not MIN_INTERVAL <= float(seconds) <= MAX_INTERVAL:
            raise ValueError(f"io takes an interval of seconds from {MIN_INTERVAL:g} to {MAX_INTERVAL:g}")
        wanted = tuple(f.strip() for f in filters.split(",")) if comma else ()
        if any(not f for f in wanted):
            raise ValueError("give a pcap-filter expression after each comma")
        return StatsSpec(kind, interval=float(seconds), filters=wanted)
    layers = tuple(rest.split(",")) if rest else LAYERS
    if any(layer not in LAYERS for layer in layers):
        raise ValueError(STATS_HINT)
    return StatsSpec(kind, layers=tuple(dict.fromkeys(layers)))


def parse_follow(text: str) -> FollowSpec:
    parts = text.split(",")
    if parts[0] != "tcp" or len(parts) not in (2, 3):
        raise ValueError(FOLLOW_HINT)
    if len(parts) == 2:
        if not re.fullmatch(r"[0-9]{1,10}", parts[1]):
            raise ValueError(FOLLOW_HINT)
        return FollowSpec(stream=int(parts[1]))
    return FollowSpec(ends=(_endpoint(parts[1]), _endpoint(parts[2])))


def _endpoint(text: str) -> tuple[str, int]:
    import ipaddress  # only when --follow names addresses: not at every start

    match = _ENDPOINT.match(text)
    if not match or int(match["port"]) > 65535:
        raise ValueError(FOLLOW_HINT)
    try:
        address = ipaddress.ip_address(match["v6"] or match["v4"])
    except ValueError:
        raise ValueError(FOLLOW_HINT) from None
    if (address.version == 6) != bool(match["v6"]):
        raise ValueError(FOLLOW_HINT)
    return str(address), int(match["port"])
