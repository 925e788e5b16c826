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


def is_root() -> bool:
    import os

    return os.getuid() == 0 or os.geteuid() == 0


def user_entry(name: str):
    """The passwd entry of a user name (getpwnam), or None."""
    import pwd

    try:
        return pwd.getpwnam(name)
    except (KeyError, ValueError, UnicodeEncodeError):  # unknown; a NUL or a surrogate in the name
        return None


def drop_to(name: str) -> bool:
    """Become user ``name`` (its groups, group and user ids), as tcpdump -Z does: only when root.

    False when not root (nothing to drop, as tcpdump ignores -Z then). An unknown
    user is a UsageError, a refused change a PrivilegeError.
    """
    import os

    from netlab.errors import PrivilegeError, UsageError

    if not is_root():
        return False
    entry = user_entry(name)
    if entry is None:
        raise UsageError(f"couldn't find user '{name}'", "give -Z a user of this system: see getent passwd")
    try:
        os.initgroups(entry.pw_name, entry.pw_gid)
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    except OSError as err:
        raise PrivilegeError(f"couldn't change to '{name}' uid={entry.pw_uid} gid={entry.pw_gid}: {err.strerror}",
                             "run as root to use -Z") from None
    return True
