"""The sentence of a row, composed from what was measured (nothing in it is known in advance)."""

from __future__ import annotations

from netlab.lab.reuseaddr.runners import Evidence
from netlab.lab.reuseaddr.scenarios import Variant
from netlab.lab.reuseaddr.site import Site


def _flags_phrase(old: bool, new: bool) -> str:
    return {(True, True): "on both the old and the new socket", (False, True): "on the new socket only",
            (True, False): "on the old socket only", (False, False): "on neither socket"}[(old, new)]


def _result_phrase(bind: str, listen: str | None) -> str:
    if bind != "ok":
        return f"bind() failed with {bind}"
    if listen is None:
        return "bind() succeeded"
    if listen == "ok":
        return "bind() and listen() succeeded"
    return f"bind() succeeded but listen() failed with {listen}"


def explain(site: Site, v: Variant, ev: Evidence) -> str:
    """One sentence from the measured values: what held the port, the options, what the kernel said."""
    holders = [x for x in ev.views if x.side == "server"]
    clients = [x for x in ev.views if x.side == "client"]
    if holders:
        states = " and ".join(sorted({x.state for x in holders}))
        noun = "socket" if len(holders) == 1 else "sockets"
        held = f"the old {states} {noun} held {site.endpoint}"
        left = max((x.timer_ms for x in holders if x.state != "LISTEN"), default=0)
        if left:
            held += f" with {left / 1000:.1f} s left on its timer"
    else:
        held = f"no socket was left on {site.endpoint}"
        if clients:
            held += " (only the client's " + " and ".join(sorted({x.state for x in clients}))
            held += f" on its own port {clients[0].local.rsplit(':', 1)[1]})"
    if v.old_reuseport or v.new_reuseport:
        option = "SO_REUSEPORT " + _flags_phrase(v.old_reuseport, v.new_reuseport)
    else:
        option = "SO_REUSEADDR " + _flags_phrase(v.old_reuseaddr, v.new_reuseaddr)
    result = _result_phrase(ev.restart.bind, ev.restart.listen)
    succeeded = ev.restart.bind == "ok" and ev.restart.listen in ("ok", None)
    if not holders:
        tail = f"so with {option} {result}"
    elif succeeded:
        tail = f"but with {option} {result}"
    else:
        tail = f"and with {option} {result}"
    if ev.restart.listen not in ("ok", None) and ev.details.get("old_state_at_new_listen"):
        tail += f" because the old socket was {ev.details['old_state_at_new_listen']} by then"
    spread = ev.details.get("spread")
    if spread:
        tail += (f"; the kernel spread {spread['connections']} connections {spread['old']} (old) / "
                 f"{spread['new']} (new)")
    return f"{ev.story[0].upper()}{ev.story[1:]}; {held}, {tail}."
