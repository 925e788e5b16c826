"""The scenarios of the restart experiment and the option combinations shown for each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Variant:
    """Socket options of the old server's socket and of the restarted one."""

    old_reuseaddr: bool = False
    new_reuseaddr: bool = False
    old_reuseport: bool = False
    new_reuseport: bool = False


_NONE, _NEW, _OLD, _BOTH = Variant(), Variant(new_reuseaddr=True), Variant(old_reuseaddr=True), Variant(True, True)

# scenario -> the option combinations shown for it (one row each).
SCENARIOS: dict[str, tuple[Variant, ...]] = {
    "server-closes-first": (_NONE, _NEW, _OLD, _BOTH),
    "server-killed": (_NONE, _NEW, _BOTH),
    "server-killed-unread": (_NONE,),
    "client-closes-first": (_NONE,),
    "listener-alive": (_NONE, _BOTH),
    "both-reuseaddr": (_BOTH,),
    "reuseport": (Variant(old_reuseport=True, new_reuseport=True), Variant(old_reuseport=True)),
}
