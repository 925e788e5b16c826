"""SO_REUSEADDR and the notes' restart lab, with netlab reuseaddr-demo's scenarios (netlab.lab.reuseaddr).

Two of its scenarios, every flag combination they run: the server killed while
its client stays connected (the notes' Ctrl-C experiment), and the server
closing first so that its socket waits in TIME-WAIT. Each row is a real server
process, killed, and a new socket's bind() and listen(); the states of the old
sockets come from sock_diag.
"""

from __future__ import annotations

from netlab.lab import reuseaddr as demo
from netlab.lab.experiments import Experiment, Measured
from netlab.lab.experiments.record import FAILS, HOLDS, PARTLY, UNMEASURED, Claim
from netlab.lab.experiments.site import Site

SEED_004 = "004_0a8b0b19c73ea6f0.txt"
SCENARIOS = ("server-killed", "server-closes-first")
KEYS = ("scenario", "old_reuseaddr", "new_reuseaddr", "old_states", "bind", "listen", "port", "where")


def measure(site: Site) -> Measured:
    rows = [{key: row.as_dict()[key] for key in KEYS}
            for row in demo.stream(list(SCENARIOS), isolate=site.where == "namespace")]
    lines = [f"{r['scenario']:<20} old {'REUSEADDR' if r['old_reuseaddr'] else '-':<9} "
             f"new {'REUSEADDR' if r['new_reuseaddr'] else '-':<9} old sockets {', '.join(r['old_states']) or '(none)'}"
             f": bind {r['bind']}" + (f", listen {r['listen']}" if r["listen"] else "") for r in rows]
    return Measured({"rows": rows}, "\n".join(lines))


def _row(ev: dict, scenario: str, old: bool, new: bool) -> dict | None:
    return next((r for r in ev["rows"] if (r["scenario"], r["old_reuseaddr"], r["new_reuseaddr"]) == (scenario, old, new)),
                None)


def judge_restart_fails(ev: dict) -> tuple[str, str]:
    row = _row(ev, "server-killed", False, False)
    if row is None:
        return UNMEASURED, "the restart without SO_REUSEADDR was not run"
    states = ", ".join(row["old_states"]) or "no socket"
    if row["bind"] == "EADDRINUSE":
        return HOLDS, f"with the client still connected ({states}) the new server's bind() failed with EADDRINUSE"
    return FAILS, f"with {states} left, the new server's bind() gave {row['bind']}"


def _which_socket(ev: dict, scenario: str) -> tuple[str, str]:
    both, new_only = _row(ev, scenario, True, True), _row(ev, scenario, False, True)
    if both is None or new_only is None:
        return UNMEASURED, f"the {scenario} rows were not run"
    states = ", ".join(both["old_states"]) or "no socket"
    if both["bind"] == "ok" and new_only["bind"] == "ok":
        return HOLDS, f"with {states} on the port, SO_REUSEADDR on the new socket before bind() was enough"
    if both["bind"] == "ok":
        return PARTLY, (f"with {states} on the port, SO_REUSEADDR on the new socket alone still gave "
                        f"{new_only['bind']}; bind() succeeded only when the old server socket had set it too")
    return FAILS, f"with {states} on the port, bind() gave {both['bind']} even with SO_REUSEADDR on both sockets"


def judge_before_bind(ev: dict) -> tuple[str, str]:
    return _which_socket(ev, "server-killed")


def judge_time_wait(ev: dict) -> tuple[str, str]:
    return _which_socket(ev, "server-closes-first")


EXPERIMENT = Experiment(
    "reuseaddr", "SO_REUSEADDR: the restart lab of the notes, and which socket needs the flag",
    (
        Claim("restart_fails", SEED_004, "在服务器中ctrl+c 再重启，会起不来。（客户端不关）",
              "Ctrl-C the server and restart it while the client stays: it will not start", judge_restart_fails),
        Claim("reuseaddr_before_bind", SEED_004, "在绑定之前尽可能调用setsockopt 来设置 SO_REUSEADDR 套接字选项",
              "set SO_REUSEADDR with setsockopt before bind() (and the restart works)", judge_before_bind),
        Claim("reuseaddr_skips_time_wait", SEED_004,
              "使用SO_REUSEADDR 选项可以使得不必等待TIME_WAIT 状态消失就可重连服务器",
              "with SO_REUSEADDR the server restarts without waiting for TIME_WAIT to end", judge_time_wait),
    ),
    measure,
)
