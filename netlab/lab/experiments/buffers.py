"""Send and receive buffers: what a successful write() means, a write that blocks, SO_SNDBUF, and close() with data unsent.

Buffers are made small (SMALL_BUFFER bytes asked) so that they fill in
milliseconds. The server side never reads until the experiment says so; the
client's send queue is read from sock_diag at the moment its writes returned.
"""

from __future__ import annotations

import socket
import struct
import time

from netlab.lab.experiments import Experiment, Measured
from netlab.lab.experiments.record import FAILS, HOLDS, PARTLY, Claim
from netlab.lab.experiments.site import Site, closing, errno_name, states

SEED_000 = "000_9a993580aa9573bd.txt"
SEED_003 = "003_f140ced8ab930d05.txt"
SMALL_BUFFER = 16384
CHUNK = 4096
MAX_BYTES = 8 * 1024 * 1024  # no loop writes more than this
BUFFER_SIZES = (24576, 98304)  # two sizes to set: the value read back must follow them
SNDTIMEO_S = 0.2  # how long a blocking write may block before it gives up
LIMIT_S = 5.0


def _small_pair(port: int, server: socket.socket) -> tuple[socket.socket, socket.socket]:
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)
    client.settimeout(LIMIT_S)
    client.connect(("127.0.0.1", port))
    conn, _ = server.accept()
    return client, conn


def _fill(sock: socket.socket) -> int:
    """Write without blocking until the kernel takes no more; the bytes it took."""
    sock.setblocking(False)
    total = 0
    while total < MAX_BYTES:
        try:
            total += sock.send(b"x" * CHUNK)
        except BlockingIOError:
            break
    return total


def _read_all(sock: socket.socket) -> tuple[int, str]:
    sock.settimeout(LIMIT_S)
    got = 0
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        try:
            n = len(sock.recv(65536))
        except OSError as err:
            return got, errno_name(err)
        if n == 0:
            return got, "EOF"
        got += n
    return got, "timed out"


def measure(site: Site) -> Measured:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER)  # accepted sockets inherit it
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(LIMIT_S)
    port = server.getsockname()[1]
    evidence: dict = {"asked_buffer_bytes": SMALL_BUFFER}
    with closing(server):
        # 1. writes return while the data is still in this socket's send buffer
        client, conn = _small_pair(port, server)
        with closing(client, conn):
            cport = client.getsockname()[1]
            accepted = _fill(client)
            mine = next((s for s in states(port) if s["local_port"] == cport), {})
            peer = next((s for s in states(port) if s["local_port"] == port and s["remote_port"] == cport), {})
            evidence["fill"] = {"write_accepted_bytes": accepted, "client_send_q": mine.get("send_q"),
                                "server_recv_q": peer.get("recv_q"), "server_read_bytes": 0,
                                "sndbuf_read_back": client.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
                                "rcvbuf_read_back": conn.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)}
        # 2. a blocking write blocks when the peer stops reading (SO_SNDTIMEO bounds it)
        client, conn = _small_pair(port, server)
        with closing(client, conn):
            client.settimeout(None)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 0, int(SNDTIMEO_S * 1e6)))
            start = time.monotonic()
            try:
                outcome = f"returned {client.send(b'x' * MAX_BYTES)}"
            except OSError as err:
                outcome = errno_name(err)
            evidence["blocking_write"] = {"asked_bytes": MAX_BYTES, "outcome": outcome,
                                          "blocked_ms": round((time.monotonic() - start) * 1000, 1),
                                          "sndtimeo_ms": SNDTIMEO_S * 1000}
        # 3. data still in the send buffer at close() is delivered
        client, conn = _small_pair(port, server)
        with closing(client, conn):
            accepted = _fill(client)
            unsent = next((s["send_q"] for s in states(port) if s["local_port"] == client.getsockname()[1]), None)
            client.close()
            got, end = _read_all(conn)
            evidence["close_with_unsent"] = {"write_accepted_bytes": accepted, "send_q_at_close": unsent,
                                             "peer_received_bytes": got, "peer_read_end": end}
    # 4. SO_SNDBUF / SO_RCVBUF set and read back
    probe = socket.socket()
    with closing(probe):
        rows = []
        for name in ("SO_SNDBUF", "SO_RCVBUF"):
            option = getattr(socket, name)
            default = probe.getsockopt(socket.SOL_SOCKET, option)
            for size in BUFFER_SIZES:
                probe.setsockopt(socket.SOL_SOCKET, option, size)
                rows.append({"option": name, "default": default, "set": size,
                             "read_back": probe.getsockopt(socket.SOL_SOCKET, option)})
        evidence["set_and_read"] = rows
    return Measured(evidence)


def judge_write_returns(ev: dict) -> tuple[str, str]:
    f = ev["fill"]
    if f["client_send_q"] and f["write_accepted_bytes"]:
        return HOLDS, (f"write() accepted {f['write_accepted_bytes']} bytes while the peer read none; "
                       f"{f['client_send_q']} of them were still in the writer's send queue and "
                       f"{f['server_recv_q']} in the peer's receive queue, not in the peer program")
    return FAILS, f"write() accepted {f['write_accepted_bytes']} bytes; send queue {f['client_send_q']}"


def judge_blocks(ev: dict) -> tuple[str, str]:
    b = ev["blocking_write"]
    took = b["outcome"].startswith("returned")
    n = int(b["outcome"].split()[1]) if took else 0
    if b["blocked_ms"] >= b["sndtimeo_ms"] * 0.8 and (not took or n < b["asked_bytes"]):
        return HOLDS, (f"a blocking send() of {b['asked_bytes']} bytes to a peer that did not read blocked "
                       f"{b['blocked_ms']:.0f} ms (until SO_SNDTIMEO) and {b['outcome']}")
    return FAILS, f"send() of {b['asked_bytes']} bytes {b['outcome']} after {b['blocked_ms']:.0f} ms"


def judge_sndbuf(ev: dict) -> tuple[str, str]:
    rows = ev["set_and_read"]
    follows = all(len({r["read_back"] for r in rows if r["option"] == name}) ==
                  len({r["set"] for r in rows if r["option"] == name}) for name in {r["option"] for r in rows})
    doubled = [r for r in rows if r["read_back"] == 2 * r["set"]]
    if follows:
        more = (": the kernel doubles the value, keeping room for its own bookkeeping"
                if len(doubled) == len(rows) else "")
        return HOLDS, ("; ".join(f"{r['option']} set {r['set']}, read back {r['read_back']}"
                                 for r in rows) + more)
    return FAILS, "; ".join(f"{r['option']} set {r['set']}, read back {r['read_back']}" for r in rows)


def judge_sent_after_close(ev: dict) -> tuple[str, str]:
    c = ev["close_with_unsent"]
    if c["peer_received_bytes"] == c["write_accepted_bytes"] and c["send_q_at_close"]:
        return HOLDS, (f"close() with {c['send_q_at_close']} bytes unsent: the peer still read all "
                       f"{c['peer_received_bytes']} bytes written, then {c['peer_read_end']}")
    if c["peer_received_bytes"] == c["write_accepted_bytes"]:
        return PARTLY, f"the peer read all {c['peer_received_bytes']} bytes, but nothing was left unsent at close()"
    return FAILS, (f"the peer read {c['peer_received_bytes']} of {c['write_accepted_bytes']} bytes written "
                   f"({c['peer_read_end']})")


EXPERIMENT = Experiment(
    "buffers", "send and receive buffers: write(), blocking, SO_SNDBUF, close() with data unsent",
    (
        Claim("write_returns_at_buffer", SEED_003, "注意返回成功只能表示数据全部发送到发送缓冲区，不表示对端成功接收",
              "write() returns once the data is in the send buffer, not when the peer has it", judge_write_returns),
        Claim("blocking_write_blocks", SEED_003, "当发送缓冲区不够大，应用程序会被阻塞",
              "when the send buffer is full, the writing program blocks", judge_blocks),
        Claim("sndbuf_settable", SEED_003, "发送缓冲区的大小可以通过套接字选择来改变",
              "the send buffer's size can be changed with a socket option", judge_sndbuf),
        Claim("sent_after_close", SEED_000, "即使关闭套接字也会继续传递输出缓冲中遗留的数据",
              "data left in the send buffer is still sent after close()", judge_sent_after_close),
    ),
    measure,
)
