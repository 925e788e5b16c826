"""Message boundaries: TCP's byte stream against UDP's datagrams, and zero-length sends.

TCP: three small send()s (TCP_NODELAY, so each leaves as its own segment) read
with one recv() once all have arrived; then one large send read with recv()s
of at most READ_SIZE. UDP: three sendto()s read with recvfrom()s. Zero
length: send(b"") on TCP and sendto(b"") on UDP, with what the wire and the
receiver saw.
"""

from __future__ import annotations

import select
import socket
import time

from netlab.lab.experiments import Experiment, Measured
from netlab.lab.experiments.record import FAILS, HOLDS, PARTLY, Claim
from netlab.lab.experiments.site import Site, Wire, closing, listener, states

SEED_000 = "000_9a993580aa9573bd.txt"
SEED_001 = "001_67bd659eddde0bd4.txt"
SEED_004 = "004_0a8b0b19c73ea6f0.txt"
MESSAGES = (b"one", b"two", b"three")
BIG = 256 * 1024
READ_SIZE = 65536
LIMIT_S = 5.0
QUIET_S = 0.05  # nothing readable for this long after a send: nothing arrived


def _wait_queued(port: int, cport: int, total: int) -> int:
    """The server socket's receive queue once it holds ``total`` bytes (bounded by LIMIT_S)."""
    deadline = time.monotonic() + LIMIT_S
    queued = 0
    while time.monotonic() < deadline:
        queued = next((s["recv_q"] for s in states(port) if s["local_port"] == port and s["remote_port"] == cport), 0)
        if queued >= total:
            break
        time.sleep(0.002)
    return queued


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], QUIET_S)[0])


def _tcp(server: socket.socket, port: int) -> dict:
    client = socket.create_connection(("127.0.0.1", port), timeout=LIMIT_S)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn, _ = server.accept()
    with closing(client, conn):
        conn.settimeout(LIMIT_S)
        cport = client.getsockname()[1]
        sends = [client.send(m) for m in MESSAGES]
        queued = _wait_queued(port, cport, sum(sends))
        first_read = len(conn.recv(4096))
        zero_returned = client.send(b"")
        zero_readable = _readable(conn)
        client.sendall(b"x" * BIG)
        reads, got = [], 0
        deadline = time.monotonic() + LIMIT_S
        while got < BIG and time.monotonic() < deadline:
            n = len(conn.recv(READ_SIZE))
            if n == 0:
                break
            reads.append(n)
            got += n
        return {"client_port": cport, "sends": sends, "queued_before_read": queued, "reads": [first_read],
                "big_send": BIG, "big_reads": len(reads), "big_received": got, "big_largest_read": max(reads, default=0),
                "zero_send_returned": zero_returned, "zero_send_readable": zero_readable}


def _udp() -> dict:
    receiver = listener(socket.SOCK_DGRAM)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with closing(receiver, sender):
        receiver.settimeout(LIMIT_S)
        to = receiver.getsockname()
        sends = [sender.sendto(m, to) for m in MESSAGES]
        reads = [len(receiver.recv(4096)) for _ in MESSAGES]
        zero_returned = sender.sendto(b"", to)
        if _readable(receiver):
            data, peer = receiver.recvfrom(4096)
            zero_received = len(data)
        else:
            zero_received = None
        return {"port": to[1], "sender_port": sender.getsockname()[1], "sends": sends, "reads": reads,
                "zero_sendto_returned": zero_returned, "zero_received": zero_received}


def measure(site: Site) -> Measured:
    server = listener()
    port = server.getsockname()[1]
    server.settimeout(LIMIT_S)
    with closing(server), Wire(site, f"tcp port {port} or udp") as wire:
        tcp = _tcp(server, port)
        udp = _udp()
        segments = wire.stop()
    if segments is not None:
        mine = [s for s in segments if s.proto == "tcp" and s.sport == tcp["client_port"]]
        tcp["data_segments"] = sum(1 for s in mine if s.payload)
        tcp["segment_sizes"] = [s.payload for s in mine if s.payload][:6]
        # a zero-length send would be a segment with no payload after the data of the 3 messages and before the big one
        data = [s for s in mine if s.payload]
        if len(data) > len(MESSAGES):
            after, before = data[len(MESSAGES) - 1].time, data[len(MESSAGES)].time
            tcp["zero_send_segments"] = sum(1 for s in mine if after < s.time < before and not s.payload
                                            and s.flags in ("P.", "P"))
        else:
            tcp["zero_send_segments"] = None
        dgrams = [s for s in segments if s.proto == "udp" and s.dport == udp["port"] and s.sport == udp["sender_port"]]
        udp["datagrams"] = [s.payload for s in dgrams]
    else:
        tcp["data_segments"] = tcp["zero_send_segments"] = tcp["segment_sizes"] = None
        udp["datagrams"] = None
    return Measured({"tcp": tcp, "udp": udp})


def judge_tcp_stream(ev: dict) -> tuple[str, str]:
    t = ev["tcp"]
    sends, reads = t["sends"], t["reads"]
    sizes = t.get("segment_sizes")
    wire = f" (on the wire as segments of {sizes[:len(sends)]} bytes)" if sizes else ""
    if len(reads) < len(sends) and t["big_reads"] > 1:
        return HOLDS, (f"{len(sends)} send()s of {sends} bytes{wire} came out of one recv() as {reads[0]} bytes, "
                       f"and one send() of {t['big_send']} bytes took {t['big_reads']} recv()s")
    if len(reads) < len(sends) or t["big_reads"] > 1:
        return PARTLY, f"sends {sends} were read as {reads}; one large send took {t['big_reads']} recv()s"
    return FAILS, f"sends {sends} were read as {reads}: the boundaries were kept"


def judge_udp(ev: dict) -> tuple[str, str]:
    u = ev["udp"]
    if u["reads"] == u["sends"]:
        return HOLDS, f"{len(u['sends'])} sendto()s of {u['sends']} bytes were {len(u['reads'])} recv()s of {u['reads']}"
    return FAILS, f"sendto()s of {u['sends']} bytes were read as {u['reads']}"


def judge_zero(ev: dict) -> tuple[str, str]:
    t, u = ev["tcp"], ev["udp"]
    tcp_nothing = t["zero_send_returned"] == 0 and not t["zero_send_readable"] and not t.get("zero_send_segments")
    udp_delivered = u["zero_received"] == 0
    wire = ""
    if t.get("zero_send_segments") is not None and u.get("datagrams") is not None:
        wire = (f"; on the wire: {t['zero_send_segments']} TCP segments for it, "
                f"{sum(1 for n in u['datagrams'] if n == 0)} empty UDP datagram")
    if tcp_nothing and udp_delivered:
        return HOLDS, (f"send(b'') on TCP returned {t['zero_send_returned']} and nothing reached the peer; "
                       f"sendto(b'') on UDP delivered a datagram that recv() returned as 0 bytes{wire}")
    return FAILS, (f"TCP send(b'') returned {t['zero_send_returned']}, peer readable {t['zero_send_readable']}; "
                   f"UDP zero-length datagram received as {u['zero_received']}{wire}")


EXPERIMENT = Experiment(
    "boundaries", "TCP's byte stream against UDP's datagrams; zero-length sends",
    (
        Claim("tcp_no_boundaries", SEED_004, "tcp 协议是流模式的 无边界",
              "TCP is a byte stream: it keeps no message boundaries", judge_tcp_stream),
        Claim("udp_boundaries", SEED_000, "UDP存在边界，send与recv次数要对的上",
              "UDP keeps boundaries: sends and receives match one to one", judge_udp),
        Claim("zero_length", SEED_001, "不能发送字符为0的数据包，UDP协议可以",
              "TCP cannot send a zero-length packet, UDP can", judge_zero),
    ),
    measure,
)
