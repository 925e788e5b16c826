"""cgroup v2 ids -> paths, as ss --cgroup prints them (iproute2 lib/cg_map.c).

A socket's cgroup id (INET_DIAG_CGROUP_ID) is the kernfs id of its cgroup
directory, which is the directory's inode number on the cgroup2 mount. The
mount is walked once, on the first id that asks; an id found nowhere is
"unreachable:ID" in hex, as ss says it (also where no cgroup2 is mounted).
"""

from __future__ import annotations

import os

_paths: dict[int, str] | None = None


def cgroup2_mount() -> str | None:
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                if right.split(" ", 1)[0] == "cgroup2":
                    return left.split()[4]
    except OSError:
        pass
    return None


def _walk(mount: str) -> dict[int, str]:
    paths: dict[int, str] = {}
    for top, dirs, _files in os.walk(mount):
        try:
            ino = os.stat(top).st_ino
        except OSError:
            continue
        paths[ino] = top[len(mount):] or "/"
        # stay on this mount, as ss's nftw(FTW_MOUNT)
        dirs[:] = [d for d in dirs if not os.path.ismount(os.path.join(top, d))]
    return paths


def cgroup_path(cgroup_id: int | None) -> str | None:
    """The path of a cgroup id below the cgroup2 mount ("/" for the root); None for no id."""
    global _paths
    if cgroup_id is None:
        return None
    if _paths is None:
        mount = cgroup2_mount()
        _paths = _walk(mount) if mount else {}
    return _paths.get(cgroup_id, f"unreachable:{cgroup_id:x}")
