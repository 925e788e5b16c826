"""Socket enumeration over NETLINK_SOCK_DIAG, with a /proc/net fallback.

``dump()`` returns one ``Socket`` record per kernel socket: TCP, UDP and RAW
over IPv4 and IPv6, and UNIX sockets. It asks the kernel what ss asks it
(inet_diag_req_v2, unix_diag_req), filters by state in the kernel, and by port
with inet_diag bytecode when asked, so a filtered dump of a busy machine stays
cheap. Where netlink sock_diag is not available (some sandboxes), the same
records come from /proc/net/{tcp,udp,raw,unix}; those have no listen backlog.

Queues follow ss: for a LISTEN socket ``recv_q`` is the accept-queue length and
``send_q`` the backlog; for other sockets they are the bytes queued.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from collections.abc import Iterable, Iterator, Sequence  # not typing: a share of start-up

from netlab.core import packed as packed_dump
from netlab.core.states import STATE_NAMES
from netlab.core.sockets import ALL_STATES, STATE_NUMBERS, TCP_STATES, Socket  # noqa: F401 (re-exported)
from netlab.core.states import states_mask  # noqa: F401 (re-exported)

try:
    from netlab import _speedups
except ImportError:  # installed without a C compiler: the Python reader does the same, slower
    _speedups = None
PACKED_SOCK_SIZE = _speedups.PACKED_SOCK_SIZE if _speedups is not None else 0  # bytes per socket of dump_packed()

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3

INET_DIAG_INFO = 2
INET_DIAG_SKMEMINFO = 7
INET_DIAG_CGROUP_ID = 21
# what a dump brings beyond the basic record (the C reader's want bits)
WANT_INFO, WANT_SKMEM, WANT_CGROUP = 1, 2, 4
# SK_MEMINFO_* in order, under the names the JSON gives them (ss -m: r, rb, t, tb, f, w, o, bl, d)
SKMEM_KEYS = ("rmem_alloc_bytes", "rcvbuf_bytes", "wmem_alloc_bytes", "sndbuf_bytes", "fwd_alloc_bytes",
              "wmem_queued_bytes", "optmem_bytes", "backlog_bytes", "drops")
INET_DIAG_REQ_BYTECODE = 1
INET_DIAG_BC_JMP = 1
INET_DIAG_BC_S_EQ = 11
INET_DIAG_BC_D_EQ = 12

UNIX_DIAG_NAME = 0
UNIX_DIAG_PEER = 2
UNIX_DIAG_RQLEN = 4
UNIX_DIAG_UID = 7
UDIAG_SHOW_NAME = 0x01
UDIAG_SHOW_PEER = 0x04
UDIAG_SHOW_RQLEN = 0x10
UDIAG_SHOW_UID = 0x40

PROTOCOLS = ("tcp", "udp", "raw", "unix", "packet")
_IPPROTO = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP, "raw": socket.IPPROTO_RAW}
_UNIX_TYPES = {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram", socket.SOCK_SEQPACKET: "seqpacket"}

_NLMSGHDR = struct.Struct("=IHHII")
_INET_REQ = struct.Struct("=BBBBI4s32sI8s")  # family, protocol, ext, pad, states, id(ports, addrs, if, cookie)
_INET_MSG = struct.Struct("=BBBB4x16s16sIQIIIII")  # ports skipped: they are big-endian
_PORTS = struct.Struct("!HH")
_UNIX_REQ = struct.Struct("=BBHIIIQ")
_UNIX_MSG = struct.Struct("=BBBBIQ")
_RTA = struct.Struct("=HH")


class DiagUnavailable(OSError):
    """sock_diag cannot answer here (no netlink, or the protocol's diag module is absent)."""


# ---------------------------------------------------------------- filters


def port_bytecode(sport: int | None = None, dport: int | None = None, port: int | None = None) -> bytes:
    """inet_diag bytecode: (sport == S) and (dport == D) and (sport == P or dport == P).

    Each op is {code, yes, no}: jumps in bytes from the op. Ending exactly at
    the end accepts the socket; jumping one op past it (end + 4) rejects. A port
    compare is two ops, the second holding the port. The kernel only accepts
    "no" targets that lie on the chain of "yes" jumps, so an alternative that
    matched leaves through a JMP op (which always takes its "no"), as ss
    compiles "or".
    """
    groups: list[list[tuple[int, int]]] = []
    if sport is not None:
        groups.append([(INET_DIAG_BC_S_EQ, sport)])
    if dport is not None:
        groups.append([(INET_DIAG_BC_D_EQ, dport)])
    if port is not None:
        groups.append([(INET_DIAG_BC_S_EQ, port), (INET_DIAG_BC_D_EQ, port)])
    # Sizes: a compare is 8 bytes, a JMP after every alternative but the last 4 more.
    total = sum(12 * len(g) - 4 for g in groups)
    out = bytearray()
    for group in groups:
        group_end = len(out) + 12 * len(group) - 4
        for i, (code, value) in enumerate(group):
            here = len(out)
            if i < len(group) - 1:
                out += struct.pack("=BBH", code, 8, 12) + struct.pack("=BBH", 0, 0, value)
                out += struct.pack("=BBH", INET_DIAG_BC_JMP, 4, group_end - len(out))
            else:
                out += struct.pack("=BBH", code, 8, total + 4 - here) + struct.pack("=BBH", 0, 0, value)
    return bytes(out)


# ---------------------------------------------------------------- netlink


def _nl_socket() -> socket.socket:
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_SOCK_DIAG)
    except (OSError, AttributeError) as err:
        raise DiagUnavailable(getattr(err, "errno", errno.EAFNOSUPPORT), f"netlink sock_diag unavailable: {err}") from err
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((0, 0))
    return sock


def _send_dump_request(sock: socket.socket, payload: bytes, seq: int) -> None:
    header = _NLMSGHDR.pack(_NLMSGHDR.size + len(payload), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
    sock.sendto(header + payload, (0, 0))


def _request(sock: socket.socket, payload: bytes, seq: int) -> Iterator[memoryview]:
    """Send one dump request and yield each answer message's payload."""
    _send_dump_request(sock, payload, seq)
    yield from _messages(sock, seq)


def _messages(sock: socket.socket, seq: int) -> Iterator[memoryview]:
    """The payload of each message answering dump ``seq``, until the dump ends."""
    unpack_header = _NLMSGHDR.unpack_from
    while True:
        data = memoryview(sock.recv(1 << 16))
        if not data:
            return
        offset = 0
        end = len(data)
        while offset + 16 <= end:
            length, mtype, _flags, mseq, _pid = unpack_header(data, offset)
            if length < 16 or offset + length > end:
                return  # no whole message: the dump cannot go on (as the C reader)
            if mseq == seq:
                if mtype == NLMSG_DONE:
                    # A dump that failed says so in NLMSG_DONE's payload (a negative errno).
                    if length >= 20:
                        _raise_diag_error(-struct.unpack_from("=i", data, offset + 16)[0])
                    return
                if mtype == NLMSG_ERROR:
                    _raise_diag_error(-struct.unpack_from("=i", data, offset + 16)[0])
                    return
                yield data[offset + 16 : offset + length]
            offset += (length + 3) & ~3


def _raise_diag_error(code: int) -> None:
    if code > 0:
        raise DiagUnavailable(code, f"sock_diag: {os.strerror(code)}")


def _attrs(payload: memoryview, offset: int) -> Iterator[tuple[int, memoryview]]:
    end = len(payload)
    while offset + 4 <= end:
        length, kind = _RTA.unpack_from(payload, offset)
        if length < 4:
            return
        yield kind & 0x3FFF, payload[offset + 4 : offset + length]
        offset += (length + 3) & ~3


def decode_skmem(raw: bytes) -> dict:
    """INET_DIAG_SKMEMINFO (u32 each) -> {rmem_alloc_bytes: ..., drops: ...}; older kernels send fewer."""
    values = struct.unpack_from(f"={len(raw) // 4}I", raw)
    return dict(zip(SKMEM_KEYS, values))


def _inet_request(proto: str, family: int, states: int, bytecode: bytes | None, want: int) -> bytes:
    """The inet_diag_req_v2 (and bytecode) that asks for these sockets and what ``want`` adds."""
    ext = (1 << (INET_DIAG_INFO - 1)) if want & WANT_INFO else 0
    if want & WANT_SKMEM:
        ext |= 1 << (INET_DIAG_SKMEMINFO - 1)
    # For raw sockets the pad byte selects the protocol; IPPROTO_RAW means all of them.
    pad = socket.IPPROTO_RAW if proto == "raw" else 0
    req = _INET_REQ.pack(family, _IPPROTO[proto], ext, pad, states, b"", b"", 0, b"\xff" * 8)
    if bytecode:
        req += _RTA.pack(4 + len(bytecode), INET_DIAG_REQ_BYTECODE) + bytecode
    return req


def _inet_dump(sock, proto: str, family: int, states: int, bytecode: bytes, want: int, seq: int,
               record: type[Socket]) -> list[Socket]:
    want = int(want)
    if proto != "tcp":
        want &= ~WANT_INFO
    fam_name = "inet" if family == socket.AF_INET else "inet6"
    _send_dump_request(sock, _inet_request(proto, family, states, bytecode, want), seq)
    if _speedups is None:
        return list(_inet_dump_py(sock, proto, fam_name, family, want, seq, record))
    # The C reader makes the same records as _inet_dump_py, several times faster.
    records, code = _speedups.inet_messages(sock.fileno(), seq, record, proto, fam_name, family,
                                            _STATE_NAMES, want)
    _raise_diag_error(code)
    if want & (WANT_INFO | WANT_SKMEM):
        from netlab.core.sockopt import decode_tcp_info  # here: only -i needs it

        for rec in records:
            if rec.tcp_info is not None:
                rec.tcp_info = decode_tcp_info(rec.tcp_info)
            if rec.skmem is not None:
                rec.skmem = decode_skmem(rec.skmem)
    return records


_STATE_NAMES = STATE_NAMES  # TCP_STATES by number, for the C readers


def _inet_dump_py(sock, proto: str, fam_name: str, family: int, want: int,
                  seq: int, record: type[Socket]) -> Iterator[Socket]:
    """The dump (already asked for) read in Python: the same records as _speedups.inet_messages()."""
    from netlab.core.sockopt import decode_tcp_info

    ntop = socket.inet_ntop
    alen = 4 if family == socket.AF_INET else 16
    unpack = _INET_MSG.unpack_from
    ports = _PORTS.unpack_from
    close_name = "CLOSE" if proto == "tcp" else "UNCONN"
    states_map = TCP_STATES
    for msg in _messages(sock, seq):
        (_fam, state, timer, retrans, src, dst, ifindex, cookie,
         expires, rqueue, wqueue, uid, inode) = unpack(msg, 0)
        sport, dport = ports(msg, 4)
        name = close_name if state == 7 else states_map.get(state, str(state))
        info = skmem = cgroup = None
        if want and len(msg) > 72:
            for kind, value in _attrs(msg, 72):
                if kind == INET_DIAG_INFO and want & WANT_INFO and info is None:
                    info = decode_tcp_info(bytes(value))
                elif kind == INET_DIAG_SKMEMINFO and want & WANT_SKMEM and skmem is None:
                    skmem = decode_skmem(bytes(value))
                elif kind == INET_DIAG_CGROUP_ID and want & WANT_CGROUP and cgroup is None and len(value) >= 8:
                    cgroup = struct.unpack_from("=Q", value)[0]
        yield record(
            proto, fam_name, name,
            ntop(family, src[:alen]), sport, ntop(family, dst[:alen]), dport,
            rqueue, wqueue, uid, inode, cookie, ifindex, None, timer, expires, info, retrans, skmem, cgroup,
        )


def _unix_dump(sock, states: int, seq: int, record: type[Socket]) -> Iterator[Socket]:
    show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID
    req = _UNIX_REQ.pack(socket.AF_UNIX, 0, 0, states, 0, show, 0xFFFFFFFFFFFFFFFF)
    for msg in _unix_messages(sock, req, seq):
        _fam, stype, state, _pad, inode, cookie = _UNIX_MSG.unpack_from(msg, 0)
        path = None
        peer = None
        rq = wq = 0
        uid = None
        for kind, value in _attrs(msg, _UNIX_MSG.size):
            if kind == UNIX_DIAG_NAME:
                raw = bytes(value)
                if raw[:1] == b"\0":  # abstract: the name is every byte after the NUL
                    path = "@" + raw[1:].decode(errors="replace")
                else:  # a file system path, NUL-terminated when bound with its terminator
                    path = raw.split(b"\0", 1)[0].decode(errors="replace")
            elif kind == UNIX_DIAG_PEER:
                peer = struct.unpack_from("=I", value)[0]
            elif kind == UNIX_DIAG_RQLEN:
                rq, wq = struct.unpack_from("=II", value)
            elif kind == UNIX_DIAG_UID:
                uid = struct.unpack_from("=I", value)[0]
        name = "UNCONN" if state == 7 else TCP_STATES.get(state, str(state))
        yield record("unix", "unix", name, path, inode, None, peer or None, rq, wq, uid, inode, cookie,
                     0, _UNIX_TYPES.get(stype, str(stype)))


# packet_diag (linux/packet_diag.h): what ss -0 asks and reads
PACKET_SHOW_INFO, PACKET_SHOW_MEMINFO = 0x1, 0x10
PACKET_DIAG_INFO, PACKET_DIAG_UID, PACKET_DIAG_MEMINFO = 0, 5, 6
_PACKET_REQ = struct.Struct("=BBHIIQ")  # family, protocol, pad, ino, show, cookie
_PACKET_MSG = struct.Struct("=BBHIQ")  # family, type, num (the ethertype), ino, cookie
# ethertypes by the names ss prints (iproute2 lib/ll_proto.c), the common ones
ETHERTYPE_NAMES = {0x0800: "ip", 0x0806: "arp", 0x8035: "rarp", 0x86DD: "ipv6", 0x8100: "802.1Q", 0x88A8: "802.1ad",
                   0x8847: "mpls_uc", 0x8848: "mpls_mc", 0x0004: "802_2", 0x0001: "802_3"}


def ethertype_name(number: int) -> str:
    """A packet socket's protocol as ss shows it: * for every protocol (ETH_P_ALL), else its name."""
    if number == 3:
        return "*"
    return ETHERTYPE_NAMES.get(number, f"[{number}]")


def _packet_dump(sock, seq: int, record: type[Socket]) -> Iterator[Socket]:
    req = _PACKET_REQ.pack(socket.AF_PACKET, 0, 0, 0, PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO, 0xFFFFFFFFFFFFFFFF)
    for msg in _request(sock, req, seq):
        _fam, ptype, number, inode, cookie = _PACKET_MSG.unpack_from(msg, 0)
        ifindex = uid = 0
        rq = wq = 0
        for kind, value in _attrs(msg, _PACKET_MSG.size):
            if kind == PACKET_DIAG_INFO and len(value) >= 4:
                ifindex = struct.unpack_from("=I", value)[0]
            elif kind == PACKET_DIAG_UID and len(value) >= 4:
                uid = struct.unpack_from("=I", value)[0]
            elif kind == PACKET_DIAG_MEMINFO and len(value) >= 12:
                rq, _rb, wq = struct.unpack_from("=III", value)  # ss: rmem and wmem allocated
        rec = record("packet", "packet", "UNCONN", ethertype_name(number), None, None, None, rq, wq, uid, inode,
                     cookie, ifindex, "raw" if ptype == socket.SOCK_RAW else "dgram")
        rec.ethertype = number
        yield rec


def _unix_messages(sock, req: bytes, seq: int) -> Iterator[memoryview]:
    yield from _request(sock, req, seq)


def dump(
    protocols: Sequence[str] = ("tcp", "udp"),
    families: Sequence[str] = ("inet", "inet6"),
    states: Iterable[str] | None = None,
    sport: int | None = None,
    dport: int | None = None,
    port: int | None = None,
    tcp_info: bool = False,
    use_netlink: bool | None = None,
    record: type[Socket] = Socket,
    bytecode: bytes | None = None,
    memory: bool = False,
    cgroup: bool = False,
) -> list[Socket]:
    """All sockets of the calling thread's network namespace that match.

    ``states``: ss state names (None for all). ``sport``/``dport``/``port``
    filter in the kernel (port: either end). ``tcp_info`` adds the kernel's
    tcp_info to each TCP socket. ``use_netlink=False`` forces the /proc
    fallback; None tries netlink first. ``record``: the class of the records,
    Socket or a subclass that adds fields with defaults (netlab.conns.Conn).
    ``memory`` fills ``skmem`` (ss -m), ``cgroup`` the ``cgroup_id`` of inet sockets.
    ``bytecode``: inet_diag bytecode (netlab.core.bytecode) the kernel runs on
    each inet socket instead of the port filter; where the kernel refuses it the
    dump comes back unfiltered (the caller filters in Python, as ss does).
    """
    for proto in protocols:
        if proto not in PROTOCOLS:
            raise ValueError(f"unknown protocol {proto!r}")
    mask = states_mask(states)
    want = (WANT_INFO if tcp_info else 0) | (WANT_SKMEM if memory else 0) | (WANT_CGROUP if cgroup else 0)
    if use_netlink is not False:
        try:
            return _dump_netlink(protocols, families, mask, sport, dport, port, want, record, bytecode)
        except DiagUnavailable as err:
            if bytecode and err.errno == errno.EINVAL:  # a kernel that cannot run this bytecode
                return _dump_netlink(protocols, families, mask, None, None, None, want, record, None)
            if use_netlink:
                raise
    # The fallback, imported only where it is needed: it is not on `netlab conns`'s start-up path.
    from netlab.core import procnet

    return procnet.dump(protocols, families, mask, sport, dport, port, record)


def packable(protocols: Sequence[str]) -> bool:
    """Whether ``dump_packed()`` can list these protocols here (TCP and UDP, with the C reader)."""
    return _speedups is not None and bool(protocols) and all(p in ("tcp", "udp") for p in protocols)


def dump_packed(protocols: Sequence[str] = ("tcp", "udp"), families: Sequence[str] = ("inet", "inet6"),
                states: Iterable[str] | None = None) -> bytes:
    """The sockets ``dump()`` would return, packed: one _speedups.PackedSock of bytes per socket.

    No Python object is made per socket: _speedups.inet_table makes the plain
    table of them, and _speedups.packed_records the records when something else
    is asked for. TCP and UDP only (``packable()``); DiagUnavailable where
    sock_diag cannot answer (``dump()`` then has the /proc fallback).
    """
    packed, diag_error, error = packed_dump.dump(protocols, families, states_mask(states))
    if error:
        raise DiagUnavailable(error, f"netlink sock_diag unavailable: {os.strerror(error)}")
    _raise_diag_error(diag_error)
    return packed


def packed_records(packed: bytes, record: type[Socket] = Socket) -> list[Socket]:
    """The records ``dump()`` returns, of a ``dump_packed()``."""
    return _speedups.packed_records(packed, record, _STATE_NAMES)


def _dump_netlink(protocols, families, mask, sport, dport, port, want_info, record, bytecode=None) -> list[Socket]:
    if bytecode is None:
        bytecode = port_bytecode(sport, dport, port) if (sport, dport, port) != (None, None, None) else b""
    out: list[Socket] = []
    with _nl_socket() as sock:
        seq = 0
        for proto in protocols:
            if proto == "packet":
                seq += 1
                out.extend(_packet_dump(sock, seq, record))
                continue
            if proto == "unix":
                if bytecode and (sport, dport, port) != (None, None, None):
                    continue  # UNIX sockets have no ports
                seq += 1
                out.extend(_unix_dump(sock, mask, seq, record))
                continue
            for fam in families:
                seq += 1
                af = socket.AF_INET if fam == "inet" else socket.AF_INET6
                try:
                    out.extend(_inet_dump(sock, proto, af, mask, bytecode, want_info, seq, record))
                except DiagUnavailable as err:
                    if proto == "raw" and err.errno == errno.ENOENT:
                        # raw_diag not loaded: take raw sockets from /proc for this one.
                        from netlab.core import procnet

                        out.extend(procnet.dump(("raw",), (fam,), mask, sport, dport, port, record))
                        continue
                    raise
    return out
