"""Opening the ICMP socket: datagram when allowed, raw with CAP_NET_RAW, else a clear error.

Linux offers two ways to ping. An ICMP *datagram* socket (SOCK_DGRAM,
IPPROTO_ICMP) needs no privilege when the user's group is inside
net.ipv4.ping_group_range; the kernel then owns the identifier (the socket's
"port") and hands us only our own replies. A *raw* socket needs CAP_NET_RAW and
sees every ICMP packet, so we attach a BPF filter that keeps only replies
carrying our identifier plus the errors that may quote our probes. Like iputils,
we try the datagram socket first.

Every socket gets SO_TIMESTAMPNS: the kernel stamps each packet as it arrives,
so RTTs do not include the time Python takes to wake up.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from array import array

from netlab.errors import PrivilegeError, UsageError
from netlab.ping.icmp import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ICMP_ECHO, ICMP_ECHOREPLY

# Linux socket option numbers the socket module does not name.
SO_TIMESTAMPNS = 35
SO_TIMESTAMPING = 37
SCM_TS_OPT_ID = 81  # Linux 6.13+: the sender names each packet's timestamp key
SOF_TIMESTAMPING_TX_SOFTWARE = 1 << 1
SOF_TIMESTAMPING_SOFTWARE = 1 << 4
SOF_TIMESTAMPING_OPT_ID = 1 << 7
SOF_TIMESTAMPING_OPT_TSONLY = 1 << 11
SO_ATTACH_FILTER = 26
IP_MTU_DISCOVER = 10
IP_RECVERR = 11
IP_RECVTTL = 12
IPV6_RECVERR = 25
IPV6_MTU_DISCOVER = 23
IPV6_RECVHOPLIMIT = 51
IPV6_HOPLIMIT = 52
IPV6_TCLASS = 67
PMTUDISC = {"dont": 0, "want": 1, "do": 2, "probe": 3}



def privilege_hint() -> str:
    """What to do without an ICMP socket, safest first.

    ping_group_range admits a group to ICMP echo sockets only, never raw ones. No
    setcap advice: netlab runs on a Python interpreter (in a venv a link to the
    system's), and a capability on it would give every Python program raw sockets.
    """
    gid = os.getgid()
    return (f'admit your group to ICMP echo sockets (no raw ones): sudo sysctl -w net.ipv4.ping_group_range="{gid} {gid}"; '
            "or run as root, or use --tcp PORT (no privilege)")


class IcmpSocket:
    """One ICMP socket of one address family, shared by the targets of that family."""

    __slots__ = ("sock", "family", "raw", "ident", "tx_stamps", "targets", "request")

    def __init__(self, sock: socket.socket, family: int, raw: bool, ident: int, tx_stamps: bool = False):
        self.sock = sock
        self.family = family
        self.raw = raw
        self.ident = ident
        self.tx_stamps = tx_stamps  # the kernel reports when each probe left (error queue)
        self.targets: dict = {}  # unscoped address -> its target's state (one per address)
        self.request: tuple = (b"", None)  # the echo request this socket sends, and its partial checksum (or None)

    @property
    def v6(self) -> bool:
        return self.family == socket.AF_INET6

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()


def bind_interface(sock: socket.socket, interface: str) -> None:
    """-I NAME: send through that interface only (ICMP and TCP probes alike)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
    except OSError as err:
        raise UsageError(f"cannot bind to interface {interface!r}: {err.strerror}",
                         "give an existing interface name or a local address to -I") from None


def bind_source(sock: socket.socket, source: str) -> None:
    """-I ADDR: send from that local address (the port, if any, is the kernel's choice)."""
    try:
        sock.bind((source, 0))
    except OSError as err:
        raise UsageError(f"cannot bind to source address {source}: {err.strerror}",
                         "-I ADDR must be an address of this host") from None


def set_ttl_tos(sock: socket.socket, v6: bool, ttl: int | None, tos: int | None) -> None:
    """-t and -Q: the IPv4 TTL and TOS, or the IPv6 hop limit and traffic class."""
    if ttl is not None:
        sock.setsockopt(*((socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS) if v6 else (socket.IPPROTO_IP, socket.IP_TTL)),
                        ttl)
    if tos is not None:
        sock.setsockopt(*((socket.IPPROTO_IPV6, IPV6_TCLASS) if v6 else (socket.IPPROTO_IP, socket.IP_TOS)), tos)


def _reply_filter(ident: int, ip_header: bool, reply_type: int, request_type: int) -> tuple[bytes, int]:
    """Classic BPF: keep echo replies with our identifier and every non-echo message (errors).

    Echo requests are dropped too: pinging a local address loops our own requests
    back to the raw socket. IPv4 raw sockets see the IP header, so the ICMP
    offset is taken from its length (the MSH load); ICMPv6 sockets do not.
    """
    ld_type = (0x50, 0, 0, 0) if ip_header else (0x30, 0, 0, 0)   # ldb [x+0] / ldb [0]
    ld_ident = (0x48, 0, 0, 4) if ip_header else (0x28, 0, 0, 4)  # ldh [x+4] / ldh [4]
    program = [(0xB1, 0, 0, 0)] if ip_header else []                # ldx 4*([0]&0xf)
    program += [
        ld_type,
        (0x15, 0, 2, reply_type),    # a reply? look at the identifier : maybe an error
        ld_ident,
        (0x15, 1, 2, ident),         # ours -> keep, someone else's -> drop
        (0x15, 1, 0, request_type),  # a looped-back echo request -> drop, else keep
        (0x06, 0, 0, 0xFFFFFFFF),    # keep
        (0x06, 0, 0, 0),             # drop
    ]
    return b"".join(struct.pack("HBBI", *insn) for insn in program), len(program)


def _attach_filter(sock: socket.socket, program: bytes, count: int) -> None:
    # struct sock_fprog points at the instructions: an array's buffer has an address
    # (buffer_info) and lives until setsockopt has copied it. Not ctypes: ~1.5 ms to import.
    buf = array("B", program)
    fprog = struct.pack("HL", count, buf.buffer_info()[0])
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def _new_socket(family: int, raw_only: bool = False) -> tuple[socket.socket, bool]:
    """A datagram ICMP socket if ping_group_range admits us, else a raw one, else PrivilegeError.

    raw_only: what a datagram socket cannot do (identifier 0, IP options to read back)."""
    proto = socket.IPPROTO_ICMPV6 if family == socket.AF_INET6 else socket.IPPROTO_ICMP
    try:
        if not raw_only:
            return socket.socket(family, socket.SOCK_DGRAM, proto), False
    except OSError as err:
        if err.errno not in (errno.EACCES, errno.EPERM, errno.EPROTONOSUPPORT, errno.EAFNOSUPPORT):
            raise
    try:
        return socket.socket(family, socket.SOCK_RAW, proto), True
    except PermissionError:
        raise PrivilegeError("cannot open an ICMP socket: your group is outside net.ipv4.ping_group_range "
                             "and the process lacks CAP_NET_RAW", privilege_hint()) from None


def open_icmp_socket(family: int, *, ttl: int | None = None, tos: int | None = None, pmtudisc: str | None = None,
                     interface: str | None = None, source: str | None = None,
                     ident_offset: int = 0, tx_stamps: bool = False, ident: int | None = None,
                     raw_only: bool = False) -> IcmpSocket:
    """Open and configure the ICMP socket for one address family.

    With tx_stamps, the kernel also timestamps each probe as the driver takes it
    (SOF_TIMESTAMPING_TX_SOFTWARE) and queues the stamp on the error queue, so the
    RTT need not include the local send path (which, run from a busy Python
    process, is slower and noisier than the wire on a veth or loopback).

    A raw socket's identifier is the pid plus ident_offset, so two raw sockets of
    one process tell their replies apart (the kernel picks a datagram socket's),
    unless ``ident`` (-e) names it: a datagram socket is then bound to it as its port.
    """
    sock, raw = _new_socket(family, raw_only or ident == 0)
    try:
        v6 = family == socket.AF_INET6
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        # Plenty of receive buffer: a flood or 1000 targets must not overrun it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        if interface:
            bind_interface(sock, interface)
        if source:
            bind_source(sock, source)
        set_ttl_tos(sock, v6, ttl, tos)
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
            if not raw:
                sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
            if pmtudisc is not None:
                sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, PMTUDISC[pmtudisc])
        else:
            if not raw:
                # Datagram sockets learn TTLs and ICMP errors from ancillary data.
                sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
                sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
            if pmtudisc is not None:
                sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC[pmtudisc])
        if raw:
            ident = (os.getpid() + ident_offset) & 0xFFFF if ident is None else (ident + ident_offset) & 0xFFFF
            reply, request = (ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST) if v6 else (ICMP_ECHOREPLY, ICMP_ECHO)
            _attach_filter(sock, *_reply_filter(ident, not v6, reply, request))
        else:
            if ident is not None:
                port = (ident + ident_offset) & 0xFFFF
                try:
                    sock.bind((source or ("::" if v6 else "0.0.0.0"), port))
                except OSError as err:
                    raise UsageError(f"bind: {err.strerror}", f"identifier {port} is taken: choose another -e") from None
            elif not source:
                sock.bind(("::" if v6 else "0.0.0.0", 0))
            ident = sock.getsockname()[1]  # the kernel writes this into every request we send
        if tx_stamps:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING,
                                SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE
                                | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY)
            except OSError:
                tx_stamps = False
        sock.setblocking(False)
        return IcmpSocket(sock, family, raw, ident, tx_stamps)
    except BaseException:
        sock.close()
        raise


SO_MARK = 36
IP_OPTIONS = 4
IP_MULTICAST_LOOP = 34
IPV6_MULTICAST_LOOP = 19
IPV6_FLOWLABEL_MGR = 32
IPV6_FLOWINFO_SEND = 33
IPV6_FL_A_GET, IPV6_FL_F_CREATE, IPV6_FL_S_EXCL = 0, 1, 1
IPOPT_NOP, IPOPT_RR, IPOPT_TS = 1, 7, 68
TS_TYPES = {"tsonly": 0, "tsandaddr": 1, "tsprespec": 3}
OPTION_SPACE = 40  # the most an IPv4 header holds


def ip_options(record_route: bool, timestamp: str | None, prespec: tuple = ()) -> bytes:
    """-R and -T as iputils lays them out: room for 9 recorded hops (NOP, RR), or 9
    timestamps (tsonly), 4 address+stamp pairs (tsandaddr), the given addresses (tsprespec)."""
    if record_route:
        return bytes([IPOPT_NOP, IPOPT_RR, OPTION_SPACE - 1, 4]) + bytes(OPTION_SPACE - 4)
    kind = TS_TYPES[timestamp]
    if kind == 3:
        body = b"".join(socket.inet_aton(a) + bytes(4) for a in prespec)
        return bytes([IPOPT_TS, 4 + len(body), 5, kind]) + body
    return bytes([IPOPT_TS, 40 if kind == 0 else 36, 5, kind]) + bytes((40 if kind == 0 else 36) - 4)


def tune(sock: socket.socket, v6: bool, *, so_debug: bool = False, mark: int | None = None,
         dont_route: bool = False, sndbuf: int | None = None, broadcast: bool = False, no_loop: bool = False,
         options: bytes = b"") -> None:
    """-d, -m, -r, -S, -b, -L, -R/-T: the socket options iputils sets, with its words when one fails."""
    def setopt(level: int, name: int, value, what: str, hint: str) -> None:
        try:
            sock.setsockopt(level, name, value)
        except OSError as err:
            raise UsageError(f"{what}: {err.strerror}", hint) from None

    if so_debug:
        try:  # iputils ignores a refusal (it needs CAP_NET_ADMIN)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_DEBUG, 1)
        except OSError:
            pass
    if mark:
        setopt(socket.SOL_SOCKET, SO_MARK, mark, "failed to set mark", "-m needs CAP_NET_ADMIN")
    if dont_route:
        setopt(socket.SOL_SOCKET, socket.SO_DONTROUTE, 1, "SO_DONTROUTE", "drop -r")
    if sndbuf:
        setopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf, "SO_SNDBUF", "drop -S")
    if broadcast and not v6:
        setopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1, "cannot set broadcasting", "drop -b")
    if no_loop:
        setopt(*((socket.IPPROTO_IPV6, IPV6_MULTICAST_LOOP) if v6 else (socket.IPPROTO_IP, IP_MULTICAST_LOOP)), 0,
               "cannot disable multicast loopback", "drop -L")
    if options and not v6:
        setopt(socket.IPPROTO_IP, IP_OPTIONS, options, "record route" if options[1] == IPOPT_RR else "ts option",
               "drop -R or -T")


def request_flowlabel(sock: socket.socket, destination: str, label: int) -> None:
    """-F: lease the flow label for this destination (IPV6_FLOWLABEL_MGR) and send it."""
    request = struct.pack("!16sIBBHHHI", socket.inet_pton(socket.AF_INET6, destination.partition("%")[0]),
                          label, IPV6_FL_A_GET, IPV6_FL_S_EXCL, 0, 0, 0, 0)
    # flr_flags is host order: rewrite it after the network-order pack
    request = request[:22] + struct.pack("@H", IPV6_FL_F_CREATE) + request[24:]
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, request)
    except OSError as err:
        raise UsageError(f"can't set flowlabel: {err.strerror}", "drop -F") from None
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 1)
    except OSError as err:
        raise UsageError(f"can't send flowinfo: {err.strerror}", "drop -F") from None
