"""Real TCP transfers in private namespaces, recorded with tcpdump: the files capture's statistics are checked on.

a (10.77.0.1) sends to b (10.77.0.2) over a veth. nftables in b drops every
DROP_EVERY-th data segment after tcpdump saw it (the capture hook comes before
netfilter's input hook), so the file holds the loss and a's retransmissions;
a receiver that stops reading with a small buffer makes b advertise a zero window.
Every namespace, nft table and socket made here goes away at the end.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from netlab import testing
from tests.helpers.recordings import _start_tcpdump, _stop_tcpdump

PORT = 40100
STALL_PORT = 40101
DROP_EVERY = 25
PAYLOAD = bytes(range(256)) * 1200  # 300 KiB: every byte value, for --follow's escaping


def _lossy(ns) -> None:
    ns.nft(f"""table inet capstats_loss {{
    chain input {{
        type filter hook input priority 0; policy accept;
        tcp dport {PORT} tcp flags & (syn | fin | rst) == 0 meta length > 100 numgen inc mod {DROP_EVERY} == 0 drop
    }}
}}""")


def _transfer(link, port: int, data: bytes, stall: float = 0.0, rcvbuf: int | None = None) -> bytes:
    """a sends ``data`` to b and closes; b answers 'ok' and closes; returns what b read (bounded in time)."""
    with link.b.inside():
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    server.bind((link.b4, port))
    server.listen(1)
    server.settimeout(10)
    got = bytearray()

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.settimeout(10)
            time.sleep(stall)  # not reading: the window closes
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got.extend(chunk)
            conn.sendall(b"ok\r\n")

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with link.a.inside():
            client = socket.create_connection((link.b4, port), timeout=10)
        with client:
            client.sendall(data)
            client.shutdown(socket.SHUT_WR)
            client.recv(16)
    finally:
        thread.join(timeout=30)
        server.close()
    return bytes(got)


def record_transfers(path: str) -> dict:
    """Record a lossy transfer and a stalled one on b's veth; returns what b received of each."""
    with testing.veth_pair() as link:
        # segments as a wire carries them: without this, veth hands over 64 KiB GSO packets
        link.a.ip("link", "set", "veth0", "gso_max_segs", "1")
        _lossy(link.b)
        cap = _start_tcpdump(link.b, path, "-i", "veth0", "tcp")
        try:
            lossy = _transfer(link, PORT, PAYLOAD)
            stalled = _transfer(link, STALL_PORT, PAYLOAD[:200_000], stall=0.5, rcvbuf=4096)
        finally:
            _stop_tcpdump(cap)
    return {"lossy": lossy, "stalled": stalled}
