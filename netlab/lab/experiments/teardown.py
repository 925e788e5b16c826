"""Closing a TCP connection: how many segments, their numbers, who ends in TIME-WAIT, half-close, RST.

Four connections to one listener, one capture on its port:
  prompt    the client closes; the server reads EOF and closes at once
  late      the same, but the server waits LATE_S before its close()
  half      the client shutdown(SHUT_WR)s; the server reads EOF, then still sends
  unread    the client sends bytes the server never reads; the server closes
  together  both shutdown(SHUT_WR) at once (a simultaneous close): nftables in the
            private namespace drops the first FIN of each, so both are in flight
            together when they are sent again; sock_diag samples the states
            each socket passes through (in a namespace only)
"""

from __future__ import annotations

import socket
import time

from netlab.lab.experiments import Experiment, Measured, ladder
from netlab.lab.experiments.record import DEPENDS, FAILS, HOLDS, PARTLY, UNMEASURED, Claim
from netlab.lab.experiments.site import Site, Wire, closing, errno_name, listener, now, sample_states, states

SEED_000 = "000_9a993580aa9573bd.txt"
SEED_001 = "001_67bd659eddde0bd4.txt"
SEED_003 = "003_f140ced8ab930d05.txt"
LATE_S = 0.2  # longer than the delayed-ACK timer (40 ms minimum): the ACK of the FIN leaves alone
LIMIT_S = 5.0
SETTLE_S = 0.01


def _pair(server: socket.socket, port: int) -> tuple[socket.socket, socket.socket]:
    client = socket.create_connection(("127.0.0.1", port), timeout=LIMIT_S)
    conn, _ = server.accept()
    conn.settimeout(LIMIT_S)
    return client, conn


def _close(server, port, wait_s: float) -> tuple[dict, list]:
    client, conn = _pair(server, port)
    cport = client.getsockname()[1]
    with closing(client, conn):
        events = [(now(), "client", "close()")]
        client.close()
        data = conn.recv(100)
        events.append((now(), "server", f"read() returned {len(data)}"))
        before = {}
        if wait_s:  # (not in the prompt run: reading the states would delay its close())
            time.sleep(wait_s)
            before = {("client" if s["local_port"] == cport else "server"): s["state"] for s in states(port)
                      if (s["local_port"], s["remote_port"]) in ((port, cport), (cport, port))}
        events.append((now(), "server", "close()"))
        conn.close()
        time.sleep(SETTLE_S)
        after = [s for s in states(port) if cport in (s["local_port"], s["remote_port"])]
    return {"client_port": cport, "server_wait_ms": wait_s * 1000, "read_returned": len(data),
            "states_before_server_close": before, "states_after": after}, events


def _half(server, port) -> dict:
    client, conn = _pair(server, port)
    with closing(client, conn):
        client.shutdown(socket.SHUT_WR)
        eof = conn.recv(100)
        sent = conn.send(b"still here")
        got = client.recv(100)
        return {"client_port": client.getsockname()[1], "server_read": len(eof), "server_sent": sent,
                "client_received": len(got)}


def _unread(server, port) -> dict:
    client, conn = _pair(server, port)
    with closing(client, conn):
        cport = client.getsockname()[1]
        client.sendall(b"never read")
        time.sleep(SETTLE_S)
        queued = next((s["recv_q"] for s in states(port) if s["local_port"] == port and s["remote_port"] == cport), None)
        conn.close()
        time.sleep(SETTLE_S)
        try:
            got = client.recv(100)
            outcome = f"returned {len(got)}"
        except OSError as err:
            outcome = errno_name(err)
        return {"client_port": cport, "unread_bytes": queued, "client_recv": outcome}


TIME_WAIT_LIMIT_S = 75.0  # --wait-timewait: TIME-WAIT lasts 60 s on Linux; give up well after that
TIME_WAIT_POLL_S = 0.1
NFT_TABLE = "netlab_lab_fins"
SIMULTANEOUS_LIMIT_S = 3.0  # the FINs are sent again after the retransmission timeout (200 ms on loopback)


def _simultaneous(site: Site, server, port) -> dict | None:
    """Both sides send a FIN before either has seen the other's; the states each passes through.

    nftables holds the client's FINs back: the client's FIN leaves first but is
    dropped, then the server's FIN arrives while the client waits in FIN-WAIT-1
    (CLOSING). Once the rule is gone the client's FIN is sent again (after the
    retransmission timeout) and both end in TIME-WAIT.
    """
    if site.ns is None:
        return None
    client, conn = _pair(server, port)
    with closing(client, conn):
        cport = client.getsockname()[1]
        site.ns.nft(f"table inet {NFT_TABLE} {{\n chain out {{\n  type filter hook output priority 0;\n"
                    f"  tcp sport {cport} tcp dport {port} tcp flags & fin == fin drop\n }}\n}}\n")
        try:
            client.shutdown(socket.SHUT_WR)
            conn.shutdown(socket.SHUT_WR)
            path = sample_states(port, cport, lambda seen: seen.get(cport) == "CLOSING", SIMULTANEOUS_LIMIT_S)
        finally:
            site.ns.exec(["nft", "delete", "table", "inet", NFT_TABLE], check=False)
        start = path[-1]["t_ms"] if path else 0.0
        rest = sample_states(port, cport, lambda seen: set(seen.values()) == {"TIME-WAIT"}, SIMULTANEOUS_LIMIT_S)
        path += [{"t_ms": round(start + step["t_ms"], 1), "states": step["states"]} for step in rest[1:]]
    names = {cport: "client", port: "server"}
    return {"client_port": cport,
            "path": [{"t_ms": step["t_ms"], "states": {names[p]: st for p, st in step["states"].items()}}
                     for step in path]}


def _time_wait_end(port: int, cport: int, closed_at: float) -> float | None:
    """Milliseconds from the close() to the end of the client's TIME-WAIT socket (None: still there at the limit)."""
    deadline = time.monotonic() + TIME_WAIT_LIMIT_S
    while time.monotonic() < deadline:
        if not any(s["local_port"] == cport and s["remote_port"] == port and s["state"] == "TIME-WAIT"
                   for s in states(port)):
            return round((now() - closed_at) * 1000, 1)
        time.sleep(TIME_WAIT_POLL_S)
    return None


def _passed(run: dict | None, side: str) -> list[str]:
    """The states one side passed through, in order, each once."""
    out: list[str] = []
    for step in (run or {}).get("path", []):
        state = step["states"].get(side)
        if state and (not out or out[-1] != state):
            out.append(state)
    return out


def measure(site: Site) -> Measured:
    server = listener()
    port = server.getsockname()[1]
    server.settimeout(LIMIT_S)
    with closing(server), Wire(site, f"tcp port {port}") as wire:
        prompt, prompt_events = _close(server, port, 0.0)
        late, late_events = _close(server, port, LATE_S)
        half = _half(server, port)
        unread = _unread(server, port)
        together = _simultaneous(site, server, port)
        segments = wire.stop()
        prompt["time_wait_lasted_ms"] = (_time_wait_end(port, prompt["client_port"], prompt_events[0][0])
                                         if site.wait_timewait else None)
    evidence = {"server_port": port, "prompt": prompt, "late": late, "half_close": half, "unread": unread,
                "simultaneous": together}
    diagram = None
    if segments is not None:
        parts = []
        for key, run, events in (("prompt", prompt, prompt_events), ("late", late, late_events)):
            mine = [s for s in segments if run["client_port"] in (s.sport, s.dport)]
            run["segments"] = [s.brief(events[0][0]) for s in mine]
            run["close_segments"] = _close_segments(run["segments"], run["client_port"])
            run["j"], run["k"] = ladder.isns(mine, run["client_port"])
            title = ("the server closes at once after read() returns 0" if key == "prompt"
                     else f"the server closes {LATE_S * 1000:.0f} ms after read() returns 0")
            parts.append(f"{title}:\n" + ladder.draw(mine, run["client_port"], port, events, events[0][0], skip=3))
        mine = [s for s in segments if unread["client_port"] in (s.sport, s.dport)]
        unread["segments"] = [s.brief(mine[0].time) for s in mine] if mine else []
        if together is not None:
            mine = [s for s in segments if together["client_port"] in (s.sport, s.dport)]
            title = ("both close at once (nftables drops the client's first FIN, so the server's FIN crosses it); "
                     "the states sock_diag saw:")
            steps = "\n".join(f"{step['t_ms']:9.1f}   client {step['states'].get('client', '-'):<11} "
                              f"server {step['states'].get('server', '-')}" for step in together["path"])
            parts.append(f"{title}\n{steps}\n" + ladder.draw(mine, together["client_port"], port, skip=3))
        diagram = "\n\n".join(parts)
    return Measured(evidence, diagram)


def _close_segments(segs: list[dict], cport: int) -> list[dict]:
    """The segments from the client's FIN on."""
    first = next((i for i, s in enumerate(segs) if s["sport"] == cport and "F" in (s["flags"] or "")), None)
    return [] if first is None else segs[first:]


def _count(run: dict) -> int | None:
    segs = run.get("close_segments")
    return len(segs) if segs else None


def judge_four(ev: dict) -> tuple[str, str]:
    prompt, late = _count(ev["prompt"]), _count(ev["late"])
    if prompt is None or late is None:
        return UNMEASURED, "the closes were not captured"
    if prompt == late == 4:
        return HOLDS, "both closes took four segments"
    if prompt == 3 and late == 4:
        segs = ev["late"]["close_segments"]
        return DEPENDS, (f"on when the passive side closes: at once after read() returned 0, its FIN rode on "
                         f"the ACK of the client's FIN (3 segments); {ev['late']['server_wait_ms']:.0f} ms later, "
                         f"the ACK had left alone {segs[1]['t_ms'] - segs[0]['t_ms']:.3f} ms after the FIN (4)")
    return PARTLY, f"the closes took {prompt} and {late} segments"


def _late_numbers(ev: dict) -> dict | None:
    """x, y and the numbers of the passive side's FIN and the last ACK, from the four-segment close if any."""
    for key in ("late", "prompt"):
        run = ev[key]
        segs, cport = run.get("close_segments"), run["client_port"]
        if not segs:
            continue
        fin = segs[0]
        back = [s for s in segs if s["dport"] == cport]
        server_fin = next((s for s in back if "F" in (s["flags"] or "")), None)
        last = next((s for s in reversed(segs) if s["sport"] == cport and s is not fin), None)
        if server_fin is None or last is None:
            continue
        y = back[0]["seq"]  # the seq of the passive side's first segment of the close: the notes' yyyy
        return {"x": fin["seq"], "y": y, "fin_seq": server_fin["seq"], "last_ack": last["ack"],
                "first_ack": back[0]["ack"], "segments": len(segs)}
    return None


def judge_fin_numbers(ev: dict) -> tuple[str, str]:
    n = _late_numbers(ev)
    if n is None:
        return UNMEASURED, "the close was not captured"
    fin_plus = (n["fin_seq"] - n["y"]) % 2**32
    ack_plus = (n["last_ack"] - n["y"]) % 2**32
    if fin_plus == 1 and ack_plus == 2:
        return HOLDS, "the passive side's FIN had SEQ=yyyy+1 and the last ACK was yyyy+2"
    return FAILS, (f"in the {n['segments']}-segment close the passive side's FIN had SEQ=yyyy{_plus(fin_plus)} and "
                   f"the last ACK was yyyy{_plus(ack_plus)}: a bare ACK takes no sequence number, only the FIN does")


def _plus(n: int) -> str:
    return f"+{n}" if n else ""


def judge_fin_plus_one(ev: dict) -> tuple[str, str]:
    n = _late_numbers(ev)
    if n is None:
        return UNMEASURED, "the close was not captured"
    m_plus = (n["first_ack"] - n["x"]) % 2**32
    n_plus = (n["last_ack"] - n["fin_seq"]) % 2**32
    if m_plus == 1 and n_plus == 1:
        return HOLDS, "FIN M was acknowledged with M+1 and FIN N with N+1: a FIN takes one sequence number"
    return FAILS, f"FIN M was acknowledged with M+{m_plus} and FIN N with N+{n_plus}"


def judge_active_passive(ev: dict) -> tuple[str, str]:
    together = ev.get("simultaneous")
    if together is None:
        return UNMEASURED, "a simultaneous close needs a private namespace (nftables holds the first FINs back)"
    client, server = _passed(together, "client"), _passed(together, "server")
    before = ev["late"].get("states_before_server_close", {})
    passive = (f"when the client closed first the server waited passively in {before.get('server')} "
               f"(the client in {before.get('client')})")
    if "CLOSING" in client or "CLOSING" in server:
        return DEPENDS, (f"on who closes first: {passive}; when both closed at once neither was: each went "
                         f"{' -> '.join(client)} (client) and {' -> '.join(server)} (server), both ending in TIME-WAIT")
    return HOLDS, f"{passive}; closing at once the sides went {' -> '.join(client)} and {' -> '.join(server)}"


def judge_read_zero(ev: dict) -> tuple[str, str]:
    got = ev["prompt"]["read_returned"]
    if got == 0:
        return HOLDS, "after the client's close() the server's read() returned 0 (end of file)"
    return FAILS, f"after the client's close() the server's read() returned {got}"


def judge_time_wait(ev: dict) -> tuple[str, str]:
    run = ev["prompt"]
    waiting = [s for s in run["states_after"] if s["state"] == "TIME-WAIT"]
    if not waiting:
        return FAILS, "no socket of the connection was in TIME-WAIT after the close"
    sides = {"client (it closed first)" if s["local_port"] == run["client_port"] else "server (it closed second)"
             for s in waiting}
    timer = waiting[0]["timer_ms"]
    length = f", its timer at {timer / 1000:.1f} s" if timer else ""
    if run.get("time_wait_lasted_ms"):
        length += f"; it lasted {run['time_wait_lasted_ms'] / 1000:.1f} s after the close()"
    if sides == {"client (it closed first)"}:
        return HOLDS, f"sock_diag showed the client, which closed first, in TIME-WAIT{length}"
    return FAILS, f"sock_diag showed {', '.join(sorted(sides))} in TIME-WAIT{length}"


def judge_half_close(ev: dict) -> tuple[str, str]:
    h = ev["half_close"]
    if h["server_read"] == 0 and h["client_received"] == h["server_sent"] > 0:
        return HOLDS, (f"after shutdown(SHUT_WR) the server read EOF (0), then sent {h['server_sent']} bytes "
                       f"that the client still received")
    return FAILS, (f"after shutdown(SHUT_WR) the server read {h['server_read']} and the client received "
                   f"{h['client_received']} of {h['server_sent']} bytes")


def judge_unread(ev: dict) -> tuple[str, str]:
    u = ev["unread"]
    segs = u.get("segments")
    rst = None if segs is None else any((s["flags"] or "").startswith("R") and s["dport"] == u["client_port"]
                                        for s in segs)
    wire = "" if rst is None else (" and sent an RST instead of a FIN" if rst else " and sent a FIN")
    if u["client_recv"] == "ECONNRESET":
        return HOLDS, (f"close() with {u['unread_bytes']} unread bytes discarded them{wire}; the client's recv() "
                       f"failed with ECONNRESET")
    return PARTLY if rst else FAILS, (f"close() with {u['unread_bytes']} unread bytes{wire}; the client's recv() "
                                      f"{u['client_recv']}")


EXPERIMENT = Experiment(
    "teardown", "closing a connection: segments, numbers, TIME-WAIT, half-close, RST",
    (
        Claim("four_segments", SEED_001, "TCP四次挥手 … FIN M … ACK M+1 … FIN N … ACK N+1",
              "closing a connection takes four segments", judge_four),
        Claim("fin_ack_numbers", SEED_001, "FIN M … ACK M+1 … FIN N … ACK N+1",
              "each FIN is acknowledged with its seq + 1", judge_fin_plus_one),
        Claim("last_ack_yyyy_plus_2", SEED_000, "第三次：B->A SEQ=yyyy+1 ACK=xxxx+1 … 第四次：A->B SEQ=xxxx+1 ACK=yyyy+2",
              "the passive side's FIN has SEQ=yyyy+1 and the last ACK is yyyy+2", judge_fin_numbers),
        Claim("one_side_passive", SEED_001, "FIN M … (被动关闭)",
              "one side closes actively, the other passively", judge_active_passive),
        Claim("read_returns_0", SEED_001, "close … read返回0",
              "read() returns 0 when the peer has closed", judge_read_zero),
        Claim("time_wait_initiator", SEED_003, "当发起方发起连接断开的一段时间会处于TIME_WAIT状态",
              "the side that closes first stays in TIME_WAIT for a while", judge_time_wait),
        Claim("half_close", SEED_000, "TCP半关闭 … SHUT_WR 断开输出流",
              "shutdown(SHUT_WR) closes only the output: the peer reads EOF and can still send", judge_half_close),
        Claim("close_loses_input", SEED_000, "关闭套接字将丢失输入缓冲的数据",
              "closing a socket loses the data in its input buffer", judge_unread),
    ),
    measure,
)
