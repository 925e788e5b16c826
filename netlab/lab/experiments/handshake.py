"""The three-way handshake and the first data: numbers on the wire, and when connect() and accept() return.

A server thread blocks in accept() before the client calls connect(); both
calls are timed on the wall clock, as the capture stamps its packets, so the
ladder shows each return beside the segments. Then the client sends 5 bytes
and the server's ACK is read off the wire.
"""

from __future__ import annotations

import socket
import threading
import time

from netlab.lab.experiments import Experiment, Measured, ladder
from netlab.lab.experiments.record import FAILS, HOLDS, UNMEASURED, Claim
from netlab.lab.experiments.site import Site, Wire, closing, listener, now, states

SEED_000 = "000_9a993580aa9573bd.txt"
SEED_001 = "001_67bd659eddde0bd4.txt"
DATA = b"hello"
# The server thread must be inside accept() before connect(): it gets this long to get there.
ACCEPT_HEAD_START_S = 0.02
LIMIT_S = 5.0


def measure(site: Site) -> Measured:
    server = listener()
    port = server.getsockname()[1]
    server.settimeout(LIMIT_S)
    client = socket.socket()
    accepted: list[socket.socket] = []
    with closing(server, client), Wire(site, f"tcp port {port}") as wire:
        times: dict[str, float] = {}

        def serve() -> None:
            times["accept_called"] = now()
            conn, _ = server.accept()
            times["accept_returned"] = now()
            accepted.append(conn)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        time.sleep(ACCEPT_HEAD_START_S)
        client.settimeout(LIMIT_S)
        times["connect_called"] = now()
        client.connect(("127.0.0.1", port))
        times["connect_returned"] = now()
        after_connect = states(port)
        thread.join(LIMIT_S)
        with closing(*accepted):
            client.sendall(DATA)
            received = accepted[0].recv(100) if accepted else b""
            time.sleep(0.01)  # the server's ACK of the data leaves at once (quick-ACK mode)
            segments = wire.stop()
    client_port = after_connect and next((s["local_port"] for s in after_connect if s["remote_port"] == port), None)
    t0 = times["connect_called"]
    ms = {key: round((value - t0) * 1000, 3) for key, value in times.items()}
    evidence = {"client_port": client_port, "server_port": port, "calls_ms": ms,
                "states_after_connect": after_connect, "data_sent": len(DATA), "data_received": len(received),
                "segments": None, "j": None, "k": None}
    diagram = None
    if segments is not None:
        j, k = ladder.isns(segments, client_port)
        evidence.update(j=j, k=k, segments=[s.brief(t0) for s in segments])
        events = [(times["connect_called"], "client", "connect() called"),
                  (times["connect_returned"], "client", "connect() returned 0"),
                  (times["accept_called"], "server", "accept() called"),
                  (times["accept_returned"], "server", "accept() returned a new fd")]
        diagram = ladder.draw(segments, client_port, port, events, t0)
    return Measured(evidence, diagram)


def _rel(n: int | None, base: int | None) -> int | None:
    return None if n is None or base is None else (n - base) % 2**32


def judge_numbers(ev: dict) -> tuple[str, str]:
    segs = ev.get("segments")
    if not segs or len(segs) < 3 or ev.get("j") is None or ev.get("k") is None:
        return UNMEASURED, "the handshake was not captured"
    syn, synack, ack = segs[:3]
    j, k = ev["j"], ev["k"]
    seen = (f"{syn['flags']} seq J, {synack['flags']} seq K ack J+{_rel(synack['ack'], j)}, "
            f"{ack['flags']} seq J+{_rel(ack['seq'], j)} ack K+{_rel(ack['ack'], k)}")
    if ((syn["flags"], synack["flags"], ack["flags"]) == ("S", "S.", ".") and _rel(synack["ack"], j) == 1
            and _rel(ack["seq"], j) == 1 and _rel(ack["ack"], k) == 1):
        return HOLDS, f"the wire showed {seen}: each SYN takes one sequence number"
    return FAILS, f"the wire showed {seen}"


def judge_connect(ev: dict) -> tuple[str, str]:
    segs, ms = ev.get("segments"), ev["calls_ms"]
    if not segs or len(segs) < 3:
        return UNMEASURED, "the handshake was not captured"
    back = ms["connect_returned"]
    if back < segs[1]["t_ms"]:
        return FAILS, f"connect() returned at {back:.3f} ms, before the SYN,ACK ({segs[1]['t_ms']:.3f} ms)"
    third = ("after the third too: the kernel sends the ACK before it wakes the caller"
             if back >= segs[2]["t_ms"] else "before the third left")
    return HOLDS, (f"connect() returned at {back:.3f} ms, after the SYN,ACK ({segs[1]['t_ms']:.3f} ms), "
                   f"{third} ({segs[2]['t_ms']:.3f} ms)")


def judge_accept(ev: dict) -> tuple[str, str]:
    segs, ms = ev.get("segments"), ev["calls_ms"]
    if not segs or len(segs) < 3:
        return UNMEASURED, "the handshake was not captured"
    back = ms["accept_returned"]
    if back < segs[2]["t_ms"]:
        return FAILS, f"accept() returned at {back:.3f} ms, before the final ACK ({segs[2]['t_ms']:.3f} ms)"
    return HOLDS, (f"accept(), blocked since {ms['accept_called']:.3f} ms, returned at {back:.3f} ms, "
                   f"after the final ACK ({segs[2]['t_ms']:.3f} ms)")


def judge_data_ack(ev: dict) -> tuple[str, str]:
    segs, cport, n = ev.get("segments"), ev.get("client_port"), ev["data_sent"]
    if not segs:
        return UNMEASURED, "the data was not captured"
    data = next((s for s in segs if s["sport"] == cport and s["payload"] == n), None)
    if data is None:
        return UNMEASURED, f"no segment carried the {n} bytes alone"
    reply = next((s for s in segs if s["dport"] == cport and s["t_ms"] >= data["t_ms"]
                  and _rel(s["ack"], data["seq"]) not in (None, 0)), None)
    if reply is None:
        return UNMEASURED, "the server's ACK of the data was not captured"
    plus = _rel(reply["ack"], data["seq"])
    if plus == n + 1:
        return HOLDS, f"{n} bytes at seq S were acknowledged with ack S+{plus}"
    return FAILS, (f"{n} bytes at seq S were acknowledged with ack S+{plus}: ACK = SEQ + bytes; "
                   f"the +1 belongs to SYN and FIN only, which take one sequence number each")


EXPERIMENT = Experiment(
    "handshake", "the three-way handshake, and when connect() and accept() return",
    (
        Claim("handshake_numbers", SEED_001, "SYN J … SYN K, ACK J+1 … ACK K+1",
              "the handshake is SYN J; SYN K, ACK J+1; ACK K+1", judge_numbers),
        Claim("connect_returns", SEED_001, "connect … SYN K, ACK J+1 … connect … (返回)",
              "connect() blocks until the second segment (SYN K, ACK J+1) arrives", judge_connect),
        Claim("accept_returns", SEED_001, "ACK K+1 … accept(返回)",
              "accept() returns after the third segment (ACK K+1)", judge_accept),
        Claim("data_ack", SEED_000, "ACK号 = SEQ号 + 传输字节数 + 1",
              "the ACK number of data is SEQ + bytes + 1", judge_data_ack),
    ),
    measure,
)
