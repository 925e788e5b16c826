"""One client at a time? Four echo servers, CLIENTS clients at once, their latencies measured.

Each server answers a client's message HOLD_S after it arrives (the work a
server does), then closes. The clients connect and send together; a server
that serves them one after another answers the last one CLIENTS x HOLD_S
late, one that serves them at once answers each about HOLD_S late.

  iterative   accept(), serve, close, accept() again (the notes' loop)
  fork        a child process per accepted client (os.fork, reaped by pid)
  thread      a thread per accepted client
  select      one thread, one select() loop over the listener and every client
"""

from __future__ import annotations

import os
import select
import signal
import socket
import threading
import time

from netlab.lab.experiments import Experiment, Measured
from netlab.lab.experiments.record import DEPENDS, FAILS, HOLDS, PARTLY, Claim
from netlab.lab.experiments.site import Site, closing, listener

SEED_001 = "001_67bd659eddde0bd4.txt"
CLIENTS = 4
HOLD_S = 0.1
LIMIT_S = 5.0
SERVERS = ("iterative", "fork", "thread", "select")


def _answer(conn: socket.socket) -> None:
    conn.settimeout(LIMIT_S)
    data = conn.recv(100)
    time.sleep(HOLD_S)
    conn.sendall(data)


def _iterative(server: socket.socket, pids: list[int]) -> None:
    for _ in range(CLIENTS):
        conn, _ = server.accept()
        with closing(conn):
            _answer(conn)


def _thread(server: socket.socket, pids: list[int]) -> None:
    def serve(conn):
        with closing(conn):
            _answer(conn)

    workers = []
    for _ in range(CLIENTS):
        conn, _ = server.accept()
        worker = threading.Thread(target=serve, args=(conn,), daemon=True)
        worker.start()
        workers.append(worker)
    for worker in workers:
        worker.join(LIMIT_S)


def _fork(server: socket.socket, pids: list[int]) -> None:
    for _ in range(CLIENTS):
        conn, _ = server.accept()
        pid = os.fork()
        if pid == 0:  # the child: serve this client and leave at once, whatever happens
            code = 0
            try:
                _answer(conn)
            except BaseException:
                code = 1
            os._exit(code)
        pids.append(pid)
        conn.close()


def _select(server: socket.socket, pids: list[int]) -> None:
    server.setblocking(False)
    clients: dict[socket.socket, tuple[bytes, float] | None] = {}
    served = 0
    deadline = time.monotonic() + LIMIT_S
    try:
        while served < CLIENTS and time.monotonic() < deadline:
            due = [at for pending in clients.values() if pending for _, at in [pending]]
            timeout = max(0.0, min(due) - time.monotonic()) if due else 0.05
            readable = select.select([server, *clients], [], [], timeout)[0]
            for sock in readable:
                if sock is server:
                    conn, _ = server.accept()
                    clients[conn] = None
                elif clients.get(sock) is None:
                    clients[sock] = (sock.recv(100), time.monotonic() + HOLD_S)
            now = time.monotonic()
            for sock, pending in list(clients.items()):
                if pending and pending[1] <= now:
                    sock.sendall(pending[0])
                    sock.close()
                    del clients[sock]
                    served += 1
    finally:
        for sock in clients:
            sock.close()


LOOPS = {"iterative": _iterative, "fork": _fork, "thread": _thread, "select": _select}


def _reap(pids: list[int]) -> None:
    """Wait for the children (bounded); kill by pid any still running after LIMIT_S."""
    deadline = time.monotonic() + LIMIT_S
    left = list(pids)
    while left and time.monotonic() < deadline:
        for pid in list(left):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                left.remove(pid)
        time.sleep(0.005)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def run_server(kind: str) -> dict:
    server = listener(backlog=CLIENTS)
    server.settimeout(LIMIT_S)
    port = server.getsockname()[1]
    pids: list[int] = []
    errors: list[str] = []

    def loop():
        try:
            LOOPS[kind](server, pids)
        except OSError as err:
            errors.append(str(err))

    latencies: list[float | None] = [None] * CLIENTS
    go = threading.Barrier(CLIENTS + 1, timeout=LIMIT_S)

    def client(i: int) -> None:
        with socket.socket() as s:
            s.settimeout(LIMIT_S)
            go.wait()
            start = time.monotonic()
            try:
                s.connect(("127.0.0.1", port))
                s.sendall(b"ping")
                if s.recv(100) == b"ping":
                    latencies[i] = round((time.monotonic() - start) * 1000, 1)
            except OSError:
                pass

    with closing(server):
        serving = threading.Thread(target=loop, daemon=True)
        serving.start()
        clients = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
        for c in clients:
            c.start()
        go.wait()
        for c in clients:
            c.join(LIMIT_S + 1)
        serving.join(LIMIT_S)
        _reap(pids)
    served = sorted(x for x in latencies if x is not None)
    at_once = sum(1 for x in served if x < 2 * HOLD_S * 1000)
    return {"server": kind, "clients": CLIENTS, "hold_ms": HOLD_S * 1000, "latencies_ms": served,
            "answered": len(served), "served_at_once": at_once, "errors": errors}


def measure(site: Site) -> Measured:
    runs = [run_server(kind) for kind in SERVERS]
    lines = [f"{r['server']:<10} {r['clients']} clients, {r['hold_ms']:.0f} ms of work each: replies after "
             + ", ".join(f"{x:.0f}" for x in r["latencies_ms"]) + f" ms ({r['served_at_once']} served at once)"
             for r in runs]
    return Measured({"servers": runs}, "\n".join(lines))


def _by_kind(ev: dict) -> dict:
    return {r["server"]: r for r in ev["servers"]}


def judge_one_at_a_time(ev: dict) -> tuple[str, str]:
    runs = _by_kind(ev)
    serial = [k for k, r in runs.items() if r["answered"] == r["clients"] and r["served_at_once"] <= 1]
    parallel = [k for k, r in runs.items() if r["served_at_once"] > 1]
    if serial and parallel:
        s = runs[serial[0]]
        return DEPENDS, (f"on the server: the {', '.join(serial)} server served one client at a time (replies at "
                         f"{', '.join(f'{x:.0f}' for x in s['latencies_ms'])} ms), the {', '.join(parallel)} servers "
                         f"served {max(runs[k]['served_at_once'] for k in parallel)} at once, each reply about "
                         f"{s['hold_ms']:.0f} ms late: TCP itself does not limit it")
    if parallel:
        return FAILS, f"every server ({', '.join(parallel)}) served several clients at once"
    return HOLDS, "every server served one client at a time"


def judge_threads_processes(ev: dict) -> tuple[str, str]:
    runs = _by_kind(ev)
    fork, thread = runs.get("fork"), runs.get("thread")
    both = [r for r in (fork, thread) if r and r["served_at_once"] == r["clients"]]
    sel = runs.get("select")
    extra = (f"; so did one thread with select() ({sel['served_at_once']} at once), which the notes do not name"
             if sel and sel["served_at_once"] > 1 else "")
    if len(both) == 2:
        return HOLDS, f"a process per client and a thread per client each served all {fork['clients']} clients at once{extra}"
    if both:
        return PARTLY, f"only the {both[0]['server']} server served all clients at once{extra}"
    return FAILS, "neither a process nor a thread per client served the clients at once"


EXPERIMENT = Experiment(
    "concurrency", "iterative, fork, thread and select servers with clients at once",
    (
        Claim("one_client_at_a_time", SEED_001, "TCP原本不是并发服务器，TCP服务器同一时间只能与一个客户端进行通信",
              "a TCP server can talk to only one client at a time", judge_one_at_a_time),
        Claim("threads_or_processes", SEED_001, "如何实现TCP并发服务器： … 使用多线程实现 … 使用多进程实现",
              "threads or processes make a TCP server concurrent", judge_threads_processes),
    ),
    measure,
)
