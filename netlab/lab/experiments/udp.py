"""UDP: the source port of a first sendto(), what connect() does on a UDP socket, and ICMP errors.

- an unbound socket's name before and after its first sendto(), beside the
  captured datagram's source;
- connect() to a port, with the capture open: what went on the wire, and
  getpeername() after it;
- a datagram to a closed port from a connected and from an unconnected socket:
  the ICMP port unreachable on the wire, and what each socket's next recv() says;
- after an unconnected sendto(): getpeername(), and whether another sender's
  datagram still arrives (the notes' "register, send, unregister").
"""

from __future__ import annotations

import socket
import time

from netlab.lab.experiments import Experiment, Measured
from netlab.lab.experiments.record import FAILS, HOLDS, PARTLY, UNMEASURED, Claim
from netlab.lab.experiments.site import Site, Wire, closing, errno_name, listener, now

SEED_000 = "000_9a993580aa9573bd.txt"
WAIT_S = 0.1  # how long a recv() waits for an error or a datagram
CONNECT_WINDOW_S = 0.02  # the capture window after connect(): anything it sent would be in it


def _recv_outcome(sock: socket.socket) -> str:
    sock.settimeout(WAIT_S)
    try:
        return f"returned {len(sock.recv(100))}"
    except socket.timeout:
        return "timed out"
    except OSError as err:
        return errno_name(err)


def _peer(sock: socket.socket) -> str:
    try:
        return "%s:%d" % sock.getpeername()
    except OSError as err:
        return errno_name(err)


def measure(site: Site) -> Measured:
    receiver = listener(socket.SOCK_DGRAM)
    closed = listener(socket.SOCK_DGRAM)
    closed_port = closed.getsockname()[1]
    closed.close()  # a port where nobody listens: the kernel answers ICMP port unreachable
    fresh = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    connected = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    port = receiver.getsockname()[1]
    with closing(receiver, fresh, connected, other), \
            Wire(site, f"udp port {port} or udp port {closed_port} or icmp") as wire:
        before = "%s:%d" % fresh.getsockname()
        sent = fresh.sendto(b"first", ("127.0.0.1", port))
        after = "%s:%d" % fresh.getsockname()
        receiver.recv(100)
        peer_after_sendto = _peer(fresh)
        other.sendto(b"stranger", fresh.getsockname())
        stranger_to_unconnected = _recv_outcome(fresh)

        connect_at = now()
        connected.connect(("127.0.0.1", closed_port))
        time.sleep(CONNECT_WINDOW_S)
        connect_done = now()
        peer_after_connect = _peer(connected)
        other.sendto(b"stranger", connected.getsockname())
        stranger_to_connected = _recv_outcome(connected)
        connected.send(b"to nobody")
        connected_recv = _recv_outcome(connected)
        fresh.sendto(b"to nobody", ("127.0.0.1", closed_port))
        unconnected_recv = _recv_outcome(fresh)
        segments = wire.stop()
    evidence = {
        "name_before_sendto": before, "sendto_returned": sent, "name_after_sendto": after,
        "peer_after_sendto": peer_after_sendto, "stranger_to_unconnected": stranger_to_unconnected,
        "closed_port": closed_port, "peer_after_connect": peer_after_connect,
        "stranger_to_connected": stranger_to_connected,
        "connected_recv_after_unreachable": connected_recv, "unconnected_recv_after_unreachable": unconnected_recv,
        "first_datagram_source": None, "packets_during_connect": None, "icmp_unreachable": None,
    }
    if segments is not None:
        first = next((s for s in segments if s.proto == "udp" and s.dport == port), None)
        evidence["first_datagram_source"] = None if first is None else f"127.0.0.1:{first.sport}"
        evidence["packets_during_connect"] = sum(1 for s in segments if connect_at <= s.time <= connect_done)
        evidence["icmp_unreachable"] = sum(1 for s in segments if s.proto == "icmp" and "unreachable" in s.summary)
    return Measured(evidence)


def judge_source_port(ev: dict) -> tuple[str, str]:
    before, after = ev["name_before_sendto"], ev["name_after_sendto"]
    addr, _, port = after.rpartition(":")
    if port == "0":
        return FAILS, f"the socket was still {after} after sendto()"
    wire = f"; the datagram left from {ev['first_datagram_source']}" if ev.get("first_datagram_source") else ""
    if addr == "0.0.0.0":
        return PARTLY, (f"the first sendto() bound the socket from {before} to {after}: a port, but no address; "
                        f"the source address is chosen per datagram by the route{wire}")
    return HOLDS, f"the first sendto() bound the socket from {before} to {after}{wire}"


def judge_connect(ev: dict) -> tuple[str, str]:
    sent = ev.get("packets_during_connect")
    if sent is None:
        return UNMEASURED, "the wire was not captured"
    if sent:
        return FAILS, f"connect() on UDP put {sent} packets on the wire"
    extra = []
    if ev["connected_recv_after_unreachable"] == "ECONNREFUSED" and ev["unconnected_recv_after_unreachable"] != "ECONNREFUSED":
        extra.append(f"the connected socket's recv() then reported the ICMP port unreachable as ECONNREFUSED "
                     f"(the unconnected one: {ev['unconnected_recv_after_unreachable']})")
    if ev["stranger_to_connected"] == "timed out" and ev["stranger_to_unconnected"].startswith("returned"):
        extra.append("and it no longer received datagrams from other ports")
    if extra:
        return PARTLY, (f"connect() sent nothing and getpeername() gave {ev['peer_after_connect']}, but "
                        + " ".join(extra))
    return HOLDS, f"connect() sent nothing; getpeername() gave {ev['peer_after_connect']}"


def judge_three_steps(ev: dict) -> tuple[str, str]:
    peer, stranger = ev["peer_after_sendto"], ev["stranger_to_unconnected"]
    if peer == "ENOTCONN" and stranger.startswith("returned"):
        return HOLDS, ("after sendto() no peer stays registered: getpeername() failed with ENOTCONN and a datagram "
                       "from another port was received")
    return FAILS, f"after sendto() getpeername() gave {peer}; another sender's datagram: {stranger}"


EXPERIMENT = Experiment(
    "udp", "UDP: the first sendto(), connect() on UDP, ICMP errors",
    (
        Claim("sendto_assigns_port", SEED_000, "UDP程序中，调用sendto函数时自动分配IP和端口号",
              "the first sendto() assigns the socket's IP address and port", judge_source_port),
        Claim("udp_connect_registers", SEED_000,
              "UDP套接字也可以利用connect函数，但是与TCP不同，只是向UDP套接字注册目标IP和端口信息",
              "connect() on UDP only registers the peer's address and port", judge_connect),
        Claim("sendto_three_steps", SEED_000, "sendto函数传输数据过程 1.向UDP套接字注册目标ip和端口 2.传输数据 "
              "3.删除UDP套接字中注册的目标地址信息",
              "sendto() registers the destination, sends, then unregisters it", judge_three_steps),
    ),
    measure,
)
