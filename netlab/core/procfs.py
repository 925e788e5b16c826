"""What /proc tells: sysctls (kernel knobs) and TCP counters.

* ``sysctl(key)`` / ``knobs()``: net.core.somaxconn and friends, read for the
  namespace of the calling thread.
* ``counters()``: the Tcp and TcpExt counters of /proc/net/snmp and
  /proc/net/netstat as a ``Counters`` snapshot; ``after.delta(before)`` gives
  what happened in between.

Which process holds which socket is netlab.core.owners.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

KNOBS = (
    "net.core.somaxconn",
    "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_abort_on_overflow",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.ip_local_port_range",
)


def _sysctl_path(key: str) -> str:
    return "/proc/sys/" + key.replace(".", "/")


def sysctl(key: str) -> str:
    """The value of a sysctl as text (``net.core.somaxconn`` -> ``"4096"``)."""
    with open(_sysctl_path(key)) as f:
        return f.read().strip()


def knobs(keys: Iterable[str] = KNOBS) -> dict[str, str]:
    """The kernel knobs that shape listen queues and TIME-WAIT, by sysctl name."""
    values = {}
    for key in keys:
        try:
            values[key] = sysctl(key)
        except OSError:
            values[key] = None
    return values


# ---------------------------------------------------------------- counters


@dataclass(frozen=True)
class Counters:
    """A snapshot of SNMP-style counters: {"TcpExt": {"ListenOverflows": 3, ...}, "Tcp": {...}}."""

    groups: dict[str, dict[str, int]]

    def get(self, group: str, name: str) -> int:
        return self.groups.get(group, {}).get(name, 0)

    def delta(self, before: "Counters") -> "Counters":
        """What changed since ``before`` (self minus before), counter by counter."""
        return Counters(
            {
                group: {name: value - before.get(group, name) for name, value in values.items()}
                for group, values in self.groups.items()
            }
        )


def _parse_snmp_file(path: str, groups: dict[str, dict[str, int]]) -> None:
    # The files hold pairs of lines: "Group: Name1 Name2 ..." then "Group: v1 v2 ...".
    with open(path) as f:
        lines = f.read().splitlines()
    for header, values in zip(lines[::2], lines[1::2]):
        group, _, names = header.partition(":")
        _, _, nums = values.partition(":")
        target = groups.setdefault(group, {})
        for name, num in zip(names.split(), nums.split()):
            target[name] = int(num)


def counters(proc_net: str = "/proc/thread-self/net") -> Counters:
    """Tcp, TcpExt, Udp, IpExt, ... counters of the calling thread's namespace."""
    groups: dict[str, dict[str, int]] = {}
    for name in ("snmp", "netstat"):
        _parse_snmp_file(os.path.join(proc_net, name), groups)
    return Counters(groups)
