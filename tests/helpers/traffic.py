"""Traffic made inside private namespaces, and recordings of it with tcpdump (the oracle).

Everything stays on the veth pair 10.77.0.1/fd77::1 (a) <-> 10.77.0.2/fd77::2 (b):
ARP, ping v4/v6 with neighbour discovery, a TCP handshake with data both ways
and FIN teardown on port 80, a RST from closed port 25, UDP to closed ports 53
and 7 (ICMP port unreachable), and broadcast UDP.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import time

from netlab.core import netns

# A DNS query for example.test A (id 0x1234, recursion desired).
DNS_QUERY = bytes.fromhex("123401000001000000000000") + b"\x07example\x04test\x00\x00\x01\x00\x01"


def make_traffic(link: netns.Link) -> None:
    a, b = link.a, link.b
    a.exec(["ping", "-c", "2", "-i", "0.05", "-W", "1", link.b4], check=False)
    a.exec(["ping", "-6", "-c", "2", "-i", "0.05", "-W", "1", link.b6], check=False)
    with b.inside():
        server = socket.create_server((link.b4, 80))
    with contextlib.closing(server):
        with a.inside():
            client = socket.create_connection((link.b4, 80), timeout=3)
        conn, _ = server.accept()
        with conn, client:
            client.sendall(b"GET / HTTP/1.0\r\n\r\n")
            conn.recv(4096)
            conn.sendall(b"x" * 3000)
            got = 0
            while got < 3000:  # bounded: the client's 3 s timeout, and EOF ends it
                data = client.recv(65536)
                if not data:
                    raise AssertionError(f"the server closed after {got} of 3000 bytes")
                got += len(data)
            client.shutdown(socket.SHUT_WR)
            conn.recv(10)
    with a.inside():
        for family, dst in ((socket.AF_INET, link.b4), (socket.AF_INET6, link.b6)):
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect_ex((dst, 25))  # RST, ACK
            with socket.socket(family, socket.SOCK_DGRAM) as u:
                u.sendto(DNS_QUERY, (dst, 53))  # port unreachable
                time.sleep(0.02)
                u.sendto(b"e" * 30, (dst, 7))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            u.sendto(b"b" * 10, ("10.77.0.255", 9))
    time.sleep(0.1)


def wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 5.0) -> str:
    """Read the process's stderr until a line holds ``needle`` (bounded)."""
    deadline = time.monotonic() + timeout
    seen = ""
    fd = proc.stderr.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            chunk = os.read(fd, 4096).decode(errors="replace")
            if not chunk:
                break
            seen += chunk
            if needle in seen:
                return seen
    raise AssertionError(f"{needle!r} not seen in time; stderr so far: {seen!r}")


def record_with_tcpdump(ns: netns.Namespace, path: str, *args: str, traffic=None) -> None:
    """Run tcpdump -U -w PATH ARGS in ns while ``traffic()`` runs, then stop it with SIGINT.

    --immediate-mode: without it tcpdump leaves the last ring block unread when stopped.
    """
    proc = ns.popen(["tcpdump", "--immediate-mode", "-U", "-w", path, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_line(proc, "listening on")
        if traffic is not None:
            traffic()
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        finally:
            if proc.poll() is None:  # tcpdump did not stop: end it by its PID, the test fails above
                proc.kill()
                proc.wait()
            proc.stderr.close()
