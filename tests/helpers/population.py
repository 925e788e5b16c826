"""A process holding a known population of sockets, for comparing netlab conns with ss.

Run inside a private namespace: ``python population.py UNIX_PATH``. It prints
its pid and the ports it used as one JSON line, then holds every socket until
its stdin closes.
"""

import json
import os
import socket
import sys
import time


def main() -> None:
    unix_path = sys.argv[1]
    keep = []

    def listener(family, addr, backlog):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.bind((addr, 0))
        s.listen(backlog)
        keep.append(s)
        return s

    # Backlog 5 with a full accept queue: the kernel takes backlog + 1 connections.
    small = listener(socket.AF_INET, "127.0.0.1", 5)
    for _ in range(6):
        keep.append(socket.create_connection(small.getsockname(), timeout=2))
    big = listener(socket.AF_INET, "127.0.0.1", 128)
    client = socket.create_connection(big.getsockname(), timeout=2)
    server, _ = big.accept()
    client.sendall(b"x" * 1000)  # unread: server side Recv-Q 1000
    keep += [client, server]
    v6 = listener(socket.AF_INET6, "::1", 10)
    c6 = socket.create_connection(v6.getsockname()[:2], timeout=2)
    s6, _ = v6.accept()
    keep += [c6, s6]
    # TIME-WAIT: the client closes first, so the client side ends in TIME-WAIT.
    tw_client = socket.create_connection(big.getsockname(), timeout=2)
    tw_server, _ = big.accept()
    tw_port = tw_client.getsockname()[1]
    tw_client.close()
    time.sleep(0.05)
    tw_server.close()
    # UDP: one bound, one connected to it with a datagram waiting.
    u_bound = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u_bound.bind(("127.0.0.1", 0))
    u_conn = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u_conn.connect(u_bound.getsockname())
    u_conn.send(b"y" * 100)
    keep += [u_bound, u_conn]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    keep.append(raw)
    # UNIX: a stream listener with one connection, and a datagram socket.
    ulisten = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ulisten.bind(unix_path)
    ulisten.listen(3)
    uclient = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uclient.connect(unix_path)
    userver, _ = ulisten.accept()
    udgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    udgram.bind("\0netlab-test-%d" % os.getpid())
    keep += [ulisten, uclient, userver, udgram]
    time.sleep(0.1)
    print(json.dumps({
        "pid": os.getpid(),
        "small_port": small.getsockname()[1],
        "big_port": big.getsockname()[1],
        "v6_port": v6.getsockname()[1],
        "tw_port": tw_port,
        "udp_bound_port": u_bound.getsockname()[1],
        "udp_conn_port": u_conn.getsockname()[1],
        "raw_inode": os.fstat(raw.fileno()).st_ino,
    }), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
