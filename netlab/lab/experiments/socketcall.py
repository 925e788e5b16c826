"""socket(domain, type, 0): which protocol 0 selects, per the pairs the notes name.

Each pair is created for real; SO_PROTOCOL says what the kernel chose, and an
error is kept by its errno name. Nothing goes on the wire.
"""

from __future__ import annotations

import socket

from netlab.lab.experiments import Experiment, Measured
from netlab.lab.experiments.record import FAILS, HOLDS, PARTLY, Claim
from netlab.lab.experiments.site import Site, errno_name

SEED_002 = "002_a64ce4f5b8a7bbec.txt"
SEED_003 = "003_f140ced8ab930d05.txt"
PROTOCOL_NAMES = {0: "0", 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp", 262: "mptcp"}
PAIRS = (("AF_INET", "SOCK_STREAM"), ("AF_INET", "SOCK_DGRAM"), ("AF_INET6", "SOCK_STREAM"),
         ("AF_INET6", "SOCK_DGRAM"), ("AF_UNIX", "SOCK_STREAM"), ("AF_UNIX", "SOCK_DGRAM"), ("AF_INET", "SOCK_RAW"))


def create(domain: str, kind: str, protocol: int = 0) -> dict:
    row = {"domain": domain, "type": kind, "protocol_asked": protocol, "result": None, "protocol": None}
    try:
        s = socket.socket(getattr(socket, domain), getattr(socket, kind), protocol)
    except OSError as err:
        row["result"] = errno_name(err)
        return row
    with s:
        row["result"] = "fd"
        number = s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)
        row["protocol"] = PROTOCOL_NAMES.get(number, str(number))
    return row


def measure(site: Site) -> Measured:
    rows = [create(domain, kind) for domain, kind in PAIRS]
    rows.append(create("AF_INET", "SOCK_STREAM", socket.IPPROTO_TCP))
    rows.append(create("AF_INET", "SOCK_RAW", socket.IPPROTO_ICMP))
    width = max(len(f"socket({r['domain']}, {r['type']}, {r['protocol_asked']})") for r in rows)
    lines = [f"{'socket(' + r['domain'] + ', ' + r['type'] + ', ' + str(r['protocol_asked']) + ')':{width}}  -> "
             + (f"fd, protocol {r['protocol']}" if r["result"] == "fd" else r["result"]) for r in rows]
    return Measured({"sockets": rows}, "\n".join(lines))


def _zero(ev: dict, domain: str, kind: str) -> dict | None:
    return next((r for r in ev["sockets"] if (r["domain"], r["type"], r["protocol_asked"]) == (domain, kind, 0)), None)


def judge_defaults(ev: dict) -> tuple[str, str]:
    stream, dgram = _zero(ev, "AF_INET", "SOCK_STREAM"), _zero(ev, "AF_INET", "SOCK_DGRAM")
    if stream and dgram and stream["protocol"] == "tcp" and dgram["protocol"] == "udp":
        return HOLDS, "with protocol 0, SOCK_STREAM got tcp and SOCK_DGRAM got udp (SO_PROTOCOL)"
    return FAILS, f"with protocol 0, SOCK_STREAM got {stream and stream['protocol']}, SOCK_DGRAM {dgram and dgram['protocol']}"


def judge_deprecated(ev: dict) -> tuple[str, str]:
    zeros = [r for r in ev["sockets"] if r["protocol_asked"] == 0]
    worked = [r for r in zeros if r["result"] == "fd"]
    refused = [r for r in zeros if r["result"] != "fd"]
    if not worked:
        return HOLDS, "no socket could be made with protocol 0"
    text = f"protocol 0 worked for {len(worked)} of {len(zeros)} pairs, each getting its type's one protocol"
    if refused:
        r = refused[0]
        text += f"; only {r['domain']}/{r['type']} refused it ({r['result']}): a raw socket has no default"
        return PARTLY if len(worked) < len(zeros) // 2 else FAILS, text
    return FAILS, text


EXPERIMENT = Experiment(
    "socket-call", "socket(domain, type, 0): what protocol 0 selects",
    (
        Claim("protocol_0_defaults", SEED_002, "protocol：指定一个特定的具体协议，一般传0。 … OCK_STREAM：流式协议默认使用TCP "
              "… SOCK_DGRAM：报式协议默认使用UDP",
              "protocol is usually 0: SOCK_STREAM defaults to TCP, SOCK_DGRAM to UDP", judge_defaults),
        Claim("protocol_0_deprecated", SEED_003, "protocal：0 指定通讯协议现在已经废弃",
              "protocol 0 (choosing the protocol) is deprecated now", judge_deprecated),
    ),
    measure,
)
