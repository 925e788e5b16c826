"""Wireshark's tshark (Debian's, 4.0), the reference for capture's statistics: run it, read its fields.

require_tool makes a missing tshark a skip here and a failure in CI.
"""

from __future__ import annotations

import os
import subprocess

from tests.helpers.env import require_tool


def run(*args: str) -> str:
    """tshark's stdout; its complaints (it warns about running as root) stay on stderr."""
    require_tool("tshark")
    proc = subprocess.run(["tshark", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, TZ="GMT0", LC_ALL="C"))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def fields(pcap, *names: str, display_filter: str | None = None) -> list[list[str]]:
    """One row per frame: the first occurrence of each field ('' where the frame has none)."""
    args = ["-r", str(pcap), "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    if display_filter:
        args += ["-Y", display_filter]
    for name in names:
        args += ["-e", name]
    return [line.split("\t") for line in run(*args).splitlines()]


# tshark -z conv / endpoints / io,stat print tables for people; these read them back.
# conv prints sizes of 1000 bytes and more in whole kB or MB (cut, not rounded): `same_size` compares.


def _split(endpoint: str, with_port: bool) -> tuple[str, int | None]:
    if not with_port:
        return endpoint, None
    address, _, port = endpoint.rpartition(":")
    return address, int(port)


TITLES = {"eth": ("Ethernet",), "ip": ("IPv4", "IPv6"), "tcp": ("TCP",), "udp": ("UDP",)}


def sections(pcap) -> dict[str, list[str]]:
    """One tshark run: -z conv and -z endpoints of every type; title ("TCP Conversations") -> its lines."""
    args = ["-n", "-r", str(pcap), "-q"]
    for kind in ("eth", "ip", "ipv6", "tcp", "udp"):
        args += ["-z", f"conv,{kind}", "-z", f"endpoints,{kind}"]
    found: dict[str, list[str]] = {}
    current = None
    for line in run(*args).splitlines():
        if line.endswith(("Conversations", "Endpoints")) and not line.startswith(" "):
            current = found.setdefault(line.strip(), [])
        elif current is not None and line and not line.startswith(("=", "Filter", " ")):
            current.append(line)
    return found


def conversations(tables: dict, layer: str) -> list[dict]:
    """The -z conv rows of a layer (ip: IPv4 and IPv6) from ``sections()``."""
    rows = []
    for title in TITLES[layer]:
        for line in tables.get(f"{title} Conversations", []):
            left, right = line.split("<->")
            words = right.split()
            a, a_port = _split(left.strip(), layer in ("tcp", "udp"))
            b, b_port = _split(words[0], layer in ("tcp", "udp"))
            rows.append({"a": a, "a_port": a_port, "b": b, "b_port": b_port,
                         "packets_b_to_a": int(words[1]), "bytes_b_to_a": " ".join(words[2:4]),
                         "packets_a_to_b": int(words[4]), "bytes_a_to_b": " ".join(words[5:7]),
                         "packets": int(words[7]), "bytes": " ".join(words[8:10]),
                         "start_s": float(words[10]), "duration_s": float(words[11])})
    return rows


def same_size(count: int, shown: str) -> bool:
    """Whether tshark's "922 bytes" / "159 kB" / "2 MB" is this byte count."""
    number, unit = shown.split()
    scale = {"bytes": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3}[unit]
    return count // scale == int(number)


def endpoints(tables: dict, layer: str) -> list[dict]:
    """The -z endpoints rows of a layer (ip: IPv4 and IPv6) from ``sections()``."""
    rows = []
    for title in TITLES[layer]:
        for line in tables.get(f"{title} Endpoints", []):
            words = line.split()
            port = int(words.pop(1)) if layer in ("tcp", "udp") else None
            address, numbers = words[0], [int(w) for w in words[1:7]]
            rows.append(dict(zip(("address", "port", "packets", "bytes", "tx_packets", "tx_bytes", "rx_packets",
                                  "rx_bytes"), [address, port, *numbers])))
    return rows


def io_stat(pcap, interval: str, *filters: str) -> list[list[tuple[int, int]]]:
    """tshark -q -z io,stat,INTERVAL[,FILTER]...: per interval, (frames, bytes) of each column."""
    spec = ",".join(["io,stat", interval, *filters])
    rows = []
    for line in run("-n", "-r", str(pcap), "-q", "-z", spec).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or "<>" not in cells[0]:
            continue
        numbers = [int(n) for cell in cells[1:] for n in cell.split()]
        rows.append(list(zip(numbers[::2], numbers[1::2])))
    return rows


def follow(pcap, which: str) -> str:
    return run("-n", "-r", str(pcap), "-q", "-z", f"follow,tcp,ascii,{which}")
