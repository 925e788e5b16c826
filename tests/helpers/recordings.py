"""Recordings the conformance tests make themselves: real traffic in private namespaces.

tcpdump -w runs inside a namespace this module creates while the traffic a user
would look at flows: ARP, ping v4/v6 with neighbour discovery, fragments, a TCP
handshake with data and teardown, a RST, UDP, port unreachable, and through a
router namespace, time exceeded. Every address is a 10.77.x.x / fd77:: one that
lives only inside these namespaces; every process started here is stopped.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import threading
import time

from netlab import testing
from netlab.core import netns

TCP_PORT = 40000
CLOSED_PORT = 40001
UDP_PORT = 40002


def _start_tcpdump(ns: netns.Namespace, path: str, *args: str) -> subprocess.Popen:
    proc = ns.popen(["tcpdump", "-n", "-U", "--immediate-mode", "-w", path, *args], stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
    # tcpdump says "listening on ..." once the socket is open: only then is traffic seen.
    # select() with a deadline: a readline() would wait for ever on a tcpdump that hangs.
    deadline = time.monotonic() + 5
    said = b""
    fd = proc.stderr.fileno()
    while b"listening on" not in said:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        said += chunk
    if b"listening on" not in said:
        proc.kill()
        proc.wait(timeout=5)
        proc.stderr.close()
        raise RuntimeError("tcpdump did not start: %s" % said.decode(errors="replace").strip())
    return proc


def _stop_tcpdump(proc: subprocess.Popen) -> None:
    time.sleep(0.3)  # let the last replies arrive
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    finally:
        proc.stderr.close()


def _ping(ns, *args):
    ns.exec(["ping", "-n", "-q", "-W", "1", *args], check=False, timeout=15)


def _tcp_exchange(client: netns.Namespace, server: netns.Namespace, server_addr: str, family) -> None:
    """Handshake, a request and an answer both ways, an orderly close; then a RST."""
    with server.inside():
        srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((server_addr, TCP_PORT))
    srv.listen(4)
    srv.settimeout(5)

    def serve():
        try:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(5)
                data = conn.recv(4096)
                conn.sendall(b"reply:" + data * 3)
                conn.recv(4096)  # wait for the client's FIN
        except OSError:
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with client.inside():
            c = socket.socket(family, socket.SOCK_STREAM)
        with c:
            c.settimeout(5)
            c.connect((server_addr, TCP_PORT))
            c.sendall(b"hello from netlab\r\n" * 8)
            got = b""
            while len(got) < 6 + 3 * 8 * 19:
                chunk = c.recv(65536)
                if not chunk:
                    break
                got += chunk
        t.join(5)
        # a connection to a closed port: SYN answered by RST
        with client.inside():
            r = socket.socket(family, socket.SOCK_STREAM)
        with r:
            r.settimeout(2)
            try:
                r.connect((server_addr, CLOSED_PORT))
            except OSError:
                pass
    finally:
        srv.close()


def _udp_exchange(client, server, server_addr, family) -> None:
    """A datagram to a listening port (answered) and one to a closed port (ICMP unreachable)."""
    with server.inside():
        srv = socket.socket(family, socket.SOCK_DGRAM)
    with client.inside():
        c = socket.socket(family, socket.SOCK_DGRAM)
    with srv, c:
        srv.bind((server_addr, UDP_PORT))
        srv.settimeout(2)
        c.settimeout(1)
        c.sendto(b"x" * 100, (server_addr, UDP_PORT))
        try:
            data, peer = srv.recvfrom(2048)
            srv.sendto(data[:10], peer)
            c.recvfrom(2048)
        except OSError:
            pass
        c.sendto(b"y" * 20, (server_addr, CLOSED_PORT))
        time.sleep(0.1)
        # a datagram bigger than the MTU: IP fragments
        c.sendto(b"z" * 3000, (server_addr, UDP_PORT))
        try:
            srv.recvfrom(4096)
        except OSError:
            pass


def _dns_query(ident: int, name: str, qtype: int = 1, qclass: int = 1) -> bytes:
    labels = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", qtype, qclass)


def _application_datagrams(client: netns.Namespace, local: str, server_addr: str) -> None:
    """What a LAN carries besides TCP: an IGMP join and leave, mDNS and DNS queries.

    They go to the peer namespace (closed ports answer with ICMP) or to a
    multicast group on the veth: nothing leaves the namespaces.
    """
    with client.inside():
        mc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with mc, uc:
        # joining a group makes the kernel send IGMPv3 membership reports
        mreq = socket.inet_aton("239.77.0.1") + socket.inet_aton(local)
        mc.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        mc.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(local))
        mc.sendto(_dns_query(0, "netlab-test.local", 255, 0x8001), ("224.0.0.251", 5353))
        uc.sendto(_dns_query(4242, "www.example.com"), (server_addr, 53))
        uc.sendto(_dns_query(4243, "example.com", 28), (server_addr, 53))
        time.sleep(0.1)
        mc.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreq)  # IGMP leave (to_in report)


def record_veth(path: str) -> str:
    """Ethernet recording on a veth pair: ARP, ND, ping, fragments, TCP, RST, UDP, unreachable."""
    with testing.veth_pair() as link:
        a, b = link.a, link.b
        cap = _start_tcpdump(a, path, "-i", "veth0")
        try:
            _ping(a, "-c", "2", "-i", "0.05", link.b4)          # ARP first, then echo
            _ping(a, "-c", "2", "-i", "0.05", link.b6)          # neighbour discovery, echo
            _ping(a, "-c", "1", "-s", "3000", link.b4)          # IPv4 fragments
            _ping(a, "-c", "1", "-s", "3000", link.b6)          # IPv6 fragment headers
            _ping(a, "-c", "1", "-R", link.b4)                   # record-route IP option
            _ping(a, "-c", "1", "-Q", "0x10", "-t", "7", link.b4)  # tos and ttl
            _tcp_exchange(a, b, link.b4, socket.AF_INET)
            _tcp_exchange(a, b, link.b6, socket.AF_INET6)
            _udp_exchange(a, b, link.b4, socket.AF_INET)
            _udp_exchange(a, b, link.b6, socket.AF_INET6)
            _application_datagrams(a, link.a4, link.b4)
            a.exec(["ip", "neigh", "flush", "dev", "veth0"], check=False)
            b.exec(["ip", "neigh", "flush", "dev", "veth0"], check=False)
            _ping(b, "-c", "1", link.a4)                         # ARP the other way
        finally:
            _stop_tcpdump(cap)
    return path


def record_routed(path: str, *link_args: str) -> str:
    """On the router with -i any (Linux cooked): forwarded pings and time exceeded v4/v6."""
    with testing.routed_path() as rp:
        cap = _start_tcpdump(rp.router, path, "-i", "any", *link_args)
        try:
            _ping(rp.client, "-c", "1", "10.77.2.1")
            _ping(rp.client, "-c", "1", "fd77:2::1")
            _ping(rp.client, "-c", "1", "-t", "1", "10.77.2.1")      # time exceeded in-transit
            _ping(rp.client, "-c", "1", "-t", "1", "fd77:2::1")      # ICMPv6 time exceeded
            _udp_exchange(rp.client, rp.server, "10.77.2.1", socket.AF_INET)
            _tcp_exchange(rp.client, rp.server, "fd77:2::1", socket.AF_INET6)
        finally:
            _stop_tcpdump(cap)
    return path


def record_from_a_bridge(tmp_path, expression: str, *bridge_options: str, address: str | None = None):
    """Two frames a Linux bridge sends by itself (BPDUs, IGMP queries, as ``bridge_options`` make
    it), recorded by tcpdump on the peer of one of its ports in a namespace of their own; the path."""
    path = tmp_path / "bridge.pcap"
    os.chmod(tmp_path, 0o777)  # tcpdump drops root and writes as its own user
    with netns.namespace() as ns:
        ns.ip("link", "add", "br0", "type", "bridge", *bridge_options)
        ns.ip("link", "add", "port0", "type", "veth", "peer", "name", "peer0")
        ns.ip("link", "set", "port0", "master", "br0")
        if address:
            ns.ip("addr", "add", address, "dev", "br0")
        for dev in ("port0", "peer0", "br0"):
            ns.ip("link", "set", dev, "up")
        proc = ns.exec(["timeout", "8", "tcpdump", "-n", "-i", "peer0", "-c", "2", "-w", str(path), expression],
                       check=False, timeout=15)
    assert path.exists() and path.stat().st_size > 24, proc.stderr
    return path


def make_all(directory: str) -> dict[str, str]:
    """All recordings, name -> pcap path."""
    out = {}
    out["veth-ether"] = record_veth(os.path.join(directory, "veth-ether.pcap"))
    out["router-sll2"] = record_routed(os.path.join(directory, "router-sll2.pcap"))
    out["router-sll"] = record_routed(os.path.join(directory, "router-sll.pcap"), "-y", "LINUX_SLL")
    return out
