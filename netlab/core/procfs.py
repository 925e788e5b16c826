"""What /proc tells: sysctls (kernel knobs), TCP counters, and socket owners.

* ``sysctl(key)`` / ``knobs()``: net.core.somaxconn and friends, read for the
  namespace of the calling thread.
* ``counters()``: the Tcp and TcpExt counters of /proc/net/snmp and
  /proc/net/netstat as a ``Counters`` snapshot; ``after.delta(before)`` gives
  what happened in between.
* ``socket_owners()``: socket inode -> the processes holding it, from a walk of
  /proc/*/fd (what ss -p and lsof do). Processes that exit or deny access
  mid-walk are skipped, never an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

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


def write_sysctl(key: str, value: str | int) -> None:
    """Write a sysctl of the calling thread's namespace. Use inside a private namespace only."""
    with open(_sysctl_path(key), "w") as f:
        f.write(str(value))


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

    def nonzero(self) -> dict[str, dict[str, int]]:
        return {g: {n: v for n, v in vals.items() if v} for g, vals in self.groups.items() if any(vals.values())}


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


# ---------------------------------------------------------------- socket owners


class Owner(NamedTuple):
    pid: int
    fd: int
    name: str  # /proc/PID/comm, as ss -p shows it


@dataclass
class OwnerMap:
    """socket inode -> the processes holding it, plus how many processes could not be looked at.

    Kept as plain tuples while walking (30k sockets make object creation count):
    ``holders[inode]`` is a list of (pid, fd), ``names[pid]`` the process name.
    """

    holders: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    hidden_processes: int = 0

    def owners(self, inode: int) -> list[Owner]:
        return [Owner(pid, fd, self.names.get(pid, "")) for pid, fd in sorted(self.holders.get(inode, ()))]

    def first(self, inode: int) -> Owner | None:
        owners = self.owners(inode)
        return owners[0] if owners else None


def _comm(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().rstrip("\n")
    except OSError:
        return ""


def socket_owners(wanted: set[int] | None = None, pids: Iterable[int] | None = None) -> OwnerMap:
    """Walk /proc/*/fd and map socket inodes to the processes that hold them.

    ``wanted``: only these inodes matter; the walk stops once all are found.
    ``pids``: look only at these processes.
    """
    result = OwnerMap()
    holders = result.holders
    remaining = set(wanted) if wanted is not None else None
    readlink = os.readlink
    if pids is None:
        pid_names = [p for p in os.listdir("/proc") if p.isdigit()]
    else:
        pid_names = [str(p) for p in pids]
    for pid in pid_names:
        fd_dir = f"/proc/{pid}/fd/"
        try:
            fds = os.listdir(fd_dir)
        except PermissionError:
            result.hidden_processes += 1
            continue
        except OSError:  # the process exited mid-walk
            continue
        pid_num = int(pid)
        found = False
        for fd in fds:
            try:
                target = readlink(fd_dir + fd)
            except PermissionError:  # listable (CAP_DAC_READ_SEARCH) but not ours to read
                result.hidden_processes += 1
                break
            except OSError:  # the fd was closed mid-walk
                continue
            if target[:8] != "socket:[":
                continue
            inode = int(target[8:-1])
            if remaining is not None:
                if inode in remaining:
                    remaining.discard(inode)
                elif inode not in holders:
                    continue
            entry = holders.get(inode)
            if entry is None:
                holders[inode] = [(pid_num, int(fd))]
            else:
                entry.append((pid_num, int(fd)))
            found = True
        if found:
            result.names[pid_num] = _comm(pid)
        if remaining is not None and not remaining:
            break
    return result
