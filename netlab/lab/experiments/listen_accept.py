"""listen() and accept(): the new descriptor, the readable listener, the backlog and its queues.

- accept() returns a new descriptor and the listener stays LISTEN; connect()
  makes no new one;
- select() on the listener before a client, with one waiting, after accept();
- listen(1) and SERVED_CLIENTS clients served at once by a thread per client:
  what the backlog bounds;
- netlab backlog's connect probes (their points) and verdicts for somaxconn and
  the two queues;
- netlab backlog's timeline: listen(1), clients at once, accept() only after
  ACCEPT_DELAY_S: the accept queue's fill over time, drawn;
- "usually 5": the backlog that common listen() callers use by default, each
  measured here from sock_diag (a fixed sample, so the verdict does not depend
  on what else is listening on this machine).
"""

from __future__ import annotations

import asyncio
import select
import socket
import socketserver
import threading

from netlab.lab.backlog import probes, timeline, verdicts as backlog_verdicts
from netlab.lab.experiments import Experiment, Measured
from netlab.lab.experiments.record import FAILS, HOLDS, PARTLY, UNMEASURED, Claim
from netlab.lab.experiments.site import Site, closing, listener, states

SEED_000 = "000_9a993580aa9573bd.txt"
SEED_001 = "001_67bd659eddde0bd4.txt"
SEED_002 = "002_a64ce4f5b8a7bbec.txt"
SEED_003 = "003_f140ced8ab930d05.txt"
SEED_004 = "004_0a8b0b19c73ea6f0.txt"
SERVED_CLIENTS = 6
PROBE_CONNECTS = 12
PROBE_POINTS = ((1, None), (5, None), (16, 8))  # (backlog, somaxconn); somaxconn only in a private namespace
LIMIT_S = 5.0
WAIT_S = 0.05
TIMELINE_CLIENTS = 4
ACCEPT_DELAY_S = 0.4
WIDTH = 60  # characters of the timeline picture


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], WAIT_S)[0])


def _descriptors() -> dict:
    server = listener()
    port = server.getsockname()[1]
    client = socket.socket()
    with closing(server, client):
        before_fd = client.fileno()
        readable_idle = _readable(server)
        client.connect(("127.0.0.1", port))
        readable_waiting = _readable(server)
        conn, _ = server.accept()
        with closing(conn):
            readable_after = _readable(server)
            listening = [s["state"] for s in states(port) if s["local_port"] == port and not s["remote_port"]]
            return {"listener_fd": server.fileno(), "accepted_fd": conn.fileno(), "client_fd_before_connect": before_fd,
                    "client_fd_after_connect": client.fileno(), "listener_state_after_accept": listening,
                    "listener_readable": {"no_client": readable_idle, "client_waiting": readable_waiting,
                                          "after_accept": readable_after}}


def _served_at_once() -> dict:
    """listen(1), then a thread per accepted client keeps each connection open until all have been served."""
    server = listener(backlog=1)
    server.settimeout(LIMIT_S)
    port = server.getsockname()[1]
    release = threading.Event()
    served = []
    conns: list[socket.socket] = []

    def serve(conn: socket.socket) -> None:
        conn.settimeout(LIMIT_S)
        data = conn.recv(100)
        conn.sendall(data)
        served.append(len(data))
        release.wait(LIMIT_S)

    clients = [socket.socket() for _ in range(SERVED_CLIENTS)]
    threads = []
    with closing(server, *clients):
        try:
            for client in clients:
                client.settimeout(LIMIT_S)
                client.connect(("127.0.0.1", port))
                conn, _ = server.accept()
                conns.append(conn)
                thread = threading.Thread(target=serve, args=(conn,), daemon=True)
                thread.start()
                threads.append(thread)
            answers = []
            for client in clients:
                client.sendall(b"ping")
                answers.append(len(client.recv(100)))
            open_now = sum(1 for s in states(port) if s["local_port"] == port and s["state"] == "ESTAB")
        finally:
            release.set()
            for thread in threads:
                thread.join(LIMIT_S)
            for conn in conns:
                conn.close()
    return {"backlog": 1, "clients": SERVED_CLIENTS, "answered": sum(1 for n in answers if n == 4),
            "server_connections_open_at_once": open_now}


def _default_backlogs() -> list[dict]:
    """The backlog each common caller of listen() uses when not told, read from sock_diag (send_q of LISTEN)."""
    def backlog_of(sock: socket.socket) -> int | None:
        port = sock.getsockname()[1]
        return next((s["send_q"] for s in states(port) if s["local_port"] == port and s["state"] == "LISTEN"), None)

    out = []
    plain = socket.socket()
    with closing(plain):
        plain.bind(("127.0.0.1", 0))
        plain.listen()
        out.append({"who": "Python socket.listen() without an argument", "backlog": backlog_of(plain)})
    tcp_server = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    with closing(tcp_server.socket):
        out.append({"who": "Python socketserver.TCPServer (and http.server)", "backlog": backlog_of(tcp_server.socket)})

    async def asyncio_backlog() -> int | None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        try:
            return backlog_of(server.sockets[0])
        finally:
            server.close()
            await server.wait_closed()

    out.append({"who": "Python asyncio.start_server()", "backlog": asyncio.run(asyncio_backlog())})
    with open("/proc/sys/net/core/somaxconn") as f:
        out.append({"who": "the kernel's cap, net.core.somaxconn (a fresh namespace's default)", "backlog": int(f.read())})
    return out


def measure(site: Site) -> Measured:
    private = site.where == "namespace"
    points = [probes.connect_point(b, PROBE_CONNECTS, smc if private else None, private).as_dict()
              for b, smc in PROBE_POINTS]
    # already in this experiment's own place: the timeline needs no other
    fill = timeline.run_timeline(backlog=1, clients=TIMELINE_CLIENTS, accept_delay=ACCEPT_DELAY_S, private=False)
    fill_record = fill.as_dict()
    del fill_record["isolation"]
    evidence = {"descriptors": _descriptors(), "served_at_once": _served_at_once(), "backlog_points": points,
                "queue_timeline": fill_record, "default_backlogs": _default_backlogs()}
    rows = [f"listen({p['backlog']}), somaxconn {p['somaxconn']}: backlog {p['effective_backlog']}, "
            f"{p['connects']} connects -> {p['accept_queue']} in the accept queue, {p['syn_sent']} left in SYN-SENT"
            for p in points]
    return Measured(evidence, "\n".join(rows) + "\n\n" + queue_picture(fill_record))


def queue_length(events: list[dict], t_ms: float) -> int:
    """Connections in the accept queue at ``t_ms``: established, not yet accepted."""
    return sum(1 for e in events if e["established_ms"] is not None and e["established_ms"] <= t_ms
               and (e["accepted_ms"] is None or e["accepted_ms"] > t_ms))


def queue_picture(fill: dict) -> str:
    """The accept queue over time, and each client's state: S in SYN-SENT, q queued, # accepted."""
    span = max(fill["duration_ms"], 1.0)
    step = span / WIDTH
    columns = [i * step for i in range(WIDTH)] + [span]
    mark = min(WIDTH, int(fill["accept_delay_ms"] / step))
    lines = [f"listen({fill['backlog']}), {fill['clients']} clients at 0 ms, accept() from "
             f"{fill['accept_delay_ms']:.0f} ms (|); one column = {step:.0f} ms",
             "           " + " " * mark + "|",
             "queue      " + "".join(str(min(queue_length(fill["events"], t), 9)) for t in columns)]
    for e in fill["events"]:
        row = []
        for t in columns:
            if e["accepted_ms"] is not None and t >= e["accepted_ms"]:
                row.append("#")
            elif e["established_ms"] is not None and t >= e["established_ms"]:
                row.append("q")
            else:
                row.append("S")
        lines.append(f"client {e['client']:<3} " + "".join(row))
    return "\n".join(lines)


def judge_new_fd(ev: dict) -> tuple[str, str]:
    d = ev["descriptors"]
    if (d["accepted_fd"] != d["listener_fd"] and d["client_fd_before_connect"] == d["client_fd_after_connect"]
            and d["listener_state_after_accept"] == ["LISTEN"]):
        return HOLDS, (f"accept() returned fd {d['accepted_fd']} beside the listener's fd {d['listener_fd']}, which "
                       f"stayed LISTEN; the client kept fd {d['client_fd_after_connect']} through connect()")
    return FAILS, (f"listener fd {d['listener_fd']}, accepted fd {d['accepted_fd']}, listener afterwards "
                   f"{d['listener_state_after_accept']}")


def judge_readable(ev: dict) -> tuple[str, str]:
    r = ev["descriptors"]["listener_readable"]
    if not r["no_client"] and r["client_waiting"] and not r["after_accept"]:
        return HOLDS, "select() found the listener readable only while a connection waited for accept()"
    return FAILS, f"listener readable: no client {r['no_client']}, one waiting {r['client_waiting']}, " \
                  f"after accept {r['after_accept']}"


def judge_concurrency_bound(ev: dict) -> tuple[str, str]:
    s = ev["served_at_once"]
    if s["answered"] > s["backlog"] + 1 and s["server_connections_open_at_once"] > s["backlog"] + 1:
        return FAILS, (f"with listen({s['backlog']}) a thread per client served {s['answered']} clients with "
                       f"{s['server_connections_open_at_once']} connections open at once: the backlog bounds "
                       f"only the connections waiting for accept()")
    return HOLDS, f"with listen({s['backlog']}) only {s['answered']} of {s['clients']} clients were served"


def _points(ev: dict) -> list[probes.ProbePoint]:
    return [probes.ProbePoint(**p) for p in ev["backlog_points"]]


def _from_backlog(judge) -> callable:
    """netlab backlog's verdict function, given this experiment's points."""
    def adapted(ev: dict) -> tuple[str, str]:
        _id, _source, _claim, measured, verdict = judge(_points(ev), [])
        return verdict, measured

    return adapted


def judge_accept_dequeues(ev: dict) -> tuple[str, str]:
    fill = ev["queue_timeline"]
    events, delay = fill["events"], fill["accept_delay_ms"]
    queued = [e for e in events if e["established_ms"] is not None and e["established_ms"] < delay]
    late = [e for e in events if e not in queued]
    emptied = queue_length(events, delay + 50) == 0 if queued else False
    got_in = [e for e in late if e["accepted_ms"] is not None]
    if queued and emptied and len(got_in) == len(late):
        later = (f"; the {len(late)} clients whose SYNs met the full queue got in with a SYN retransmission at "
                 + ", ".join(f"{e['established_ms']:.0f}" for e in late) + " ms") if late else ""
        return HOLDS, (f"accept() from {delay:.0f} ms took the {len(queued)} queued connections out "
                       f"(the queue held {queue_length(events, delay - 1)} just before, 0 after){later}")
    if queued and emptied:
        return PARTLY, f"the queue emptied at {delay:.0f} ms but {len(late) - len(got_in)} clients never got in"
    return FAILS, f"after accept() from {delay:.0f} ms the queue still held {queue_length(events, delay + 50)}"


def judge_usually_five(ev: dict) -> tuple[str, str]:
    sample = [d for d in ev["default_backlogs"] if d["backlog"] is not None and "somaxconn" not in d["who"]]
    if not sample:
        return UNMEASURED, "no default backlog could be read"
    fives = [d for d in sample if d["backlog"] == 5]
    others = ", ".join(f"{d['who']} {d['backlog']}" for d in sample if d["backlog"] != 5)
    cap = next((d["backlog"] for d in ev["default_backlogs"] if "somaxconn" in d["who"]), None)
    text = (f"of {len(sample)} defaults measured here, {len(fives)} {'uses' if len(fives) == 1 else 'use'} 5"
            + (f" ({'; '.join(d['who'] for d in fives)})" if fives else "")
            + (f"; {others}" if others else "") + (f"; the kernel allows up to {cap}" if cap else ""))
    if len(fives) * 2 > len(sample):
        return HOLDS, text
    return (PARTLY if fives else FAILS), text


EXPERIMENT = Experiment(
    "listen-accept", "listen() and accept(): descriptors, the readable listener, backlog and queues",
    (
        Claim("accept_new_fd", SEED_001, "connect建立连接之后不会产生新的套接字，accept会",
              "accept() makes a new socket for the connection, connect() does not", judge_new_fd),
        Claim("listener_readable", SEED_000, "只要缓冲区内有数据 则表示有新的客户端连接",
              "the listening socket has something to read when a client connection waits", judge_readable),
        Claim("backlog_bounds_concurrency", SEED_003, "backlog:表示已完成且未accept的队列大小，决定了接受并发的并发数",
              "the backlog (the queue of completed, unaccepted connections) decides how many clients are served "
              "at once", judge_concurrency_bound),
        Claim("somaxconn_cap", SEED_002, "最大不能超过 `cat /proc/sys/net/core/somaxconn` 的值",
              "listen()'s backlog cannot exceed net.core.somaxconn", _from_backlog(backlog_verdicts.somaxconn_cap)),
        Claim("queues_sum", SEED_004, "这连个队列的和不超过backlog",
              "the SYN queue and the accept queue together hold at most backlog connections",
              _from_backlog(backlog_verdicts.queues_sum)),
        Claim("accept_dequeues", SEED_004, "服务器程序调用accept后,该连接移除已完成队列",
              "accept() takes the connection out of the completed-connection queue", judge_accept_dequeues),
        Claim("usually_5", SEED_002, "一般选择5", "the backlog passed to listen() is usually 5", judge_usually_five),
    ),
    measure,
)
