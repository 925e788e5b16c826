"""Detect privileges instead of assuming them: root, CAP_NET_RAW, CAP_NET_ADMIN."""

from __future__ import annotations

CAP_NET_BIND_SERVICE = 10
CAP_NET_ADMIN = 12
CAP_NET_RAW = 13
CAP_SYS_ADMIN = 21


def effective_caps() -> int:
    """The effective capability mask of this process (0 if it cannot be read)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def has_cap(cap: int) -> bool:
    return bool(effective_caps() & (1 << cap))


def can_raw() -> bool:
    """Raw sockets and packet capture."""
    return has_cap(CAP_NET_RAW)


def can_admin_net() -> bool:
    """Network namespaces, veth, sysctls inside a namespace, nftables."""
    return has_cap(CAP_NET_ADMIN) and has_cap(CAP_SYS_ADMIN)
