"""Byte order and socket addresses: htons and friends beside a captured packet's bytes; sockaddr_in as Linux lays it out.

The client's SYN is captured and its destination port's two bytes are read off
the wire, beside the port in this host's order and what htons() made of it.
struct sockaddr_in is measured twice: with ctypes (the C layout of <netinet/in.h>
on this machine) and from the kernel itself (the bytes and length getsockname(2)
fills in). A listener bound to INADDR_ANY takes a connection to 127.0.0.1.
"""

from __future__ import annotations

import ctypes
import platform
import socket
import struct
import sys

from netlab.lab.experiments import Experiment, Measured
from netlab.lab.experiments.record import FAILS, HOLDS, UNMEASURED, Claim
from netlab.lab.experiments.site import Site, Wire, closing, ip_offset

SEED_001 = "001_67bd659eddde0bd4.txt"
SEED_004 = "004_0a8b0b19c73ea6f0.txt"
NOTES_ADDRESS = "192.168.6.222"  # the notes' example
X86 = ("x86_64", "amd64", "i386", "i686")


class InAddr(ctypes.Structure):
    _fields_ = [("s_addr", ctypes.c_uint32)]


class SockaddrIn(ctypes.Structure):
    """struct sockaddr_in as glibc declares it on Linux (sa_family_t is an unsigned short)."""

    _fields_ = [("sin_family", ctypes.c_ushort), ("sin_port", ctypes.c_uint16), ("sin_addr", InAddr),
                ("sin_zero", ctypes.c_ubyte * 8)]


class Sockaddr(ctypes.Structure):
    _fields_ = [("sa_family", ctypes.c_ushort), ("sa_data", ctypes.c_char * 14)]


def _layout(struct_type) -> dict:
    return {name: {"offset": getattr(struct_type, name).offset, "size": getattr(struct_type, name).size}
            for name, _ in struct_type._fields_}


def _kernel_sockaddr(sock: socket.socket) -> tuple[int, bytes]:
    """What getsockname(2) writes for this socket: its length, and the bytes (a 128-byte buffer offered)."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(128)
    length = ctypes.c_uint32(128)
    if libc.getsockname(sock.fileno(), buf, ctypes.byref(length)) != 0:
        raise OSError(ctypes.get_errno(), "getsockname")
    return length.value, buf.raw[:length.value]


def measure(site: Site) -> Measured:
    server = socket.socket()
    server.bind(("0.0.0.0", 0))  # INADDR_ANY
    server.listen(1)
    server.settimeout(5)
    port = server.getsockname()[1]
    client = socket.socket()
    with closing(server, client), Wire(site, f"tcp dst port {port}") as wire:
        client.settimeout(5)
        client.connect(("127.0.0.1", port))
        conn, _ = server.accept()
        with closing(conn):
            accepted_local = "%s:%d" % conn.getsockname()
        length, raw = _kernel_sockaddr(client)
        segments = wire.stop()
    evidence = {
        "machine": platform.machine(), "byteorder": sys.byteorder, "port": port,
        "port_host_bytes": struct.pack("=H", port).hex(" "),
        "port_network_bytes": struct.pack("!H", port).hex(" "),
        "htons": socket.htons(port), "htons_bytes": struct.pack("=H", socket.htons(port)).hex(" "),
        "ntohs_of_htons": socket.ntohs(socket.htons(port)),
        "htonl_1": socket.htonl(1), "htonl_1_bytes": struct.pack("=I", socket.htonl(1)).hex(" "),
        "wire_port_bytes": None, "wire_dst_addr_bytes": None,
        "inet_aton": socket.inet_aton(NOTES_ADDRESS).hex(" "),
        "inet_pton": socket.inet_pton(socket.AF_INET, NOTES_ADDRESS).hex(" "),
        "inet_ntoa": socket.inet_ntoa(socket.inet_aton(NOTES_ADDRESS)),
        "loopback_aton": socket.inet_aton("127.0.0.1").hex(" "),
        "ctypes_sockaddr_in": {"size": ctypes.sizeof(SockaddrIn), "fields": _layout(SockaddrIn)},
        "ctypes_sockaddr": {"size": ctypes.sizeof(Sockaddr), "fields": _layout(Sockaddr)},
        "kernel_sockaddr_in_len": length, "kernel_sockaddr_in_bytes": raw.hex(" "),
        "kernel_family_first_2_bytes": struct.unpack_from("=H", raw, 0)[0] if len(raw) >= 2 else None,
        "af_inet": int(socket.AF_INET),
        "inaddr_any": socket.INADDR_ANY, "bound": f"0.0.0.0:{port}", "accepted_local": accepted_local,
    }
    if segments:
        syn = next((s for s in segments if s.flags == "S"), None)
        if syn is not None:
            off = ip_offset(1)
            ihl = (syn.data[off] & 0x0F) * 4
            evidence["wire_port_bytes"] = syn.data[off + ihl + 2: off + ihl + 4].hex(" ")
            evidence["wire_dst_addr_bytes"] = syn.data[off + 16: off + 20].hex(" ")
    diagram = _picture(evidence)
    return Measured(evidence, diagram)


def _picture(ev: dict) -> str:
    lines = [f"port {ev['port']}:   host order (this {ev['byteorder']}-endian {ev['machine']}): {ev['port_host_bytes']}",
             f"{'':{len(str(ev['port'])) + 8}}htons() in memory:  {ev['htons_bytes']}",
             f"{'':{len(str(ev['port'])) + 8}}on the wire (SYN's destination port): "
             + (f"[{ev['wire_port_bytes']}]" if ev["wire_port_bytes"] else "(not captured)"),
             f"inet_aton(\"{NOTES_ADDRESS}\") = {ev['inet_aton']};  127.0.0.1 on the wire: "
             + (ev["wire_dst_addr_bytes"] or "(not captured)"),
             "struct sockaddr_in as the kernel fills it (getsockname, "
             f"{ev['kernel_sockaddr_in_len']} bytes): {ev['kernel_sockaddr_in_bytes']}"]
    fields = ev["ctypes_sockaddr_in"]["fields"]
    lines.append("  " + "  ".join(f"{name}@{f['offset']}:{f['size']}" for name, f in fields.items()))
    return "\n".join(lines)


def judge_network_order(ev: dict) -> tuple[str, str]:
    wire = ev.get("wire_port_bytes")
    if wire is None:
        return UNMEASURED, "the packet was not captured"
    if wire == ev["port_network_bytes"]:
        return HOLDS, f"port {ev['port']} travelled as [{wire}], most significant byte first"
    return FAILS, f"port {ev['port']} travelled as [{wire}], not big-endian [{ev['port_network_bytes']}]"


def judge_x86(ev: dict) -> tuple[str, str]:
    if ev["machine"].lower() not in X86:
        return UNMEASURED, f"this host is {ev['machine']}, not x86"
    if ev["byteorder"] == "little":
        return HOLDS, f"this {ev['machine']} stores port {ev['port']} as [{ev['port_host_bytes']}], low byte first"
    return FAILS, f"this {ev['machine']} is {ev['byteorder']}-endian"


def judge_htons(ev: dict) -> tuple[str, str]:
    wire = ev.get("wire_port_bytes")
    if wire is None:
        return UNMEASURED, "the packet was not captured"
    if ev["htons_bytes"] == wire and ev["ntohs_of_htons"] == ev["port"]:
        return HOLDS, (f"htons({ev['port']}) = {ev['htons']}, whose bytes in memory [{ev['htons_bytes']}] are the "
                       f"wire's; ntohs() gives {ev['port']} back")
    return FAILS, f"htons({ev['port']}) in memory is [{ev['htons_bytes']}], the wire had [{wire}]"


def judge_inet_aton(ev: dict) -> tuple[str, str]:
    wire = ev.get("wire_dst_addr_bytes")
    same = wire is None or wire == ev["loopback_aton"]
    if ev["inet_aton"] == ev["inet_pton"] and ev["inet_ntoa"] == NOTES_ADDRESS and same:
        seen = f", as 127.0.0.1 was on the wire [{wire}]" if wire else ""
        return HOLDS, (f"inet_aton(\"{NOTES_ADDRESS}\") gave the 32 bits [{ev['inet_aton']}] in network order"
                       f"{seen}; inet_ntoa() turned them back")
    return FAILS, f"inet_aton gave [{ev['inet_aton']}], inet_pton [{ev['inet_pton']}], the wire [{wire}]"


NOTES_SIZES = {"sin_len": 4, "sin_family": 4, "sin_port": 2, "sin_addr": 4, "sin_zero": 8}  # as the notes write them


def _kernel_layout_matches_ctypes(ev: dict) -> bool:
    fields = ev["ctypes_sockaddr_in"]["fields"]
    return (ev["kernel_sockaddr_in_len"] == ev["ctypes_sockaddr_in"]["size"]
            and ev["kernel_family_first_2_bytes"] == ev["af_inet"] and fields["sin_family"]["offset"] == 0)


def judge_sockaddr_in(ev: dict) -> tuple[str, str]:
    fields = ev["ctypes_sockaddr_in"]["fields"]
    measured = {name: f["size"] for name, f in fields.items()}
    claimed = sum(NOTES_SIZES.values())
    if all(measured.get(k) == v for k, v in NOTES_SIZES.items()):
        return HOLDS, f"the fields have the sizes the notes give, {claimed} bytes in all"
    kernel = " (the kernel wrote the family in the first two bytes)" if _kernel_layout_matches_ctypes(ev) else ""
    return FAILS, (f"on Linux sockaddr_in has no sin_len and is {ev['kernel_sockaddr_in_len']} bytes, not {claimed}: "
                   + ", ".join(f"{name} {size}" for name, size in measured.items()) + kernel)


def judge_sin_len(ev: dict) -> tuple[str, str]:
    if _kernel_layout_matches_ctypes(ev) and "sin_len" not in ev["ctypes_sockaddr_in"]["fields"]:
        return HOLDS, (f"getsockname() filled {ev['kernel_sockaddr_in_len']} bytes starting with the family "
                       f"({ev['kernel_family_first_2_bytes']} = AF_INET): there is no length byte on Linux")
    return FAILS, f"the kernel's sockaddr_in starts with [{ev['kernel_sockaddr_in_bytes'][:5]}]"


def judge_sa_data(ev: dict) -> tuple[str, str]:
    fields = ev["ctypes_sockaddr_in"]["fields"]
    rest = fields["sin_port"]["size"] + fields["sin_addr"]["size"] + fields["sin_zero"]["size"]
    sa_data = ev["ctypes_sockaddr"]["fields"]["sa_data"]["size"]
    if rest == sa_data and ev["ctypes_sockaddr"]["size"] == ev["ctypes_sockaddr_in"]["size"]:
        return HOLDS, (f"sin_port + sin_addr + sin_zero = {rest} bytes = sa_data, so both structs are "
                       f"{ev['ctypes_sockaddr']['size']} bytes and one casts to the other")
    return FAILS, f"sin_port + sin_addr + sin_zero = {rest} bytes, sa_data is {sa_data}"


def judge_inaddr_any(ev: dict) -> tuple[str, str]:
    if ev["inaddr_any"] == 0 and ev["accepted_local"].startswith("127.0.0.1:"):
        return HOLDS, (f"INADDR_ANY is {ev['inaddr_any']} (0.0.0.0); a listener bound to it accepted a connection "
                       f"to 127.0.0.1, its socket named {ev['accepted_local']}: it means every local address")
    return FAILS, f"INADDR_ANY is {ev['inaddr_any']}; the accepted socket was {ev['accepted_local']}"


EXPERIMENT = Experiment(
    "byteorder", "byte order on this host and on the wire; struct sockaddr_in on Linux",
    (
        Claim("network_big_endian", SEED_004, "网络字节序 规定为大端字节序",
              "network byte order is big-endian", judge_network_order),
        Claim("x86_little_endian", SEED_004, "x86 为小端", "x86 is little-endian", judge_x86),
        Claim("htons", SEED_004, "h代表host n代表network s代表shot l代表logn",
              "htons converts a host short to network order (and ntohs back)", judge_htons),
        Claim("inet_aton", SEED_004, "192.168.6.222 怎么把 它 转换成32 位数？ … int inet_aton(const char * cp ,struct in_adr * inp)",
              "inet_aton turns dotted text into the 32-bit address", judge_inet_aton),
        Claim("sockaddr_in_sizes", SEED_004, "uint8_t sin_len; // 4 字节 … sa_familt_t sin_family;// 4字节 … "
              "in_port sin_port;// 2字节 … struct in_addr_sin_addr;//4字节 … char size_zero[8];//8 字节",
              "sockaddr_in is sin_len 4, sin_family 4, sin_port 2, sin_addr 4, sin_zero 8 bytes", judge_sockaddr_in),
        Claim("no_sin_len", SEED_004, "sin_len 有的协议里面没有了。man 7 ip查看就没有",
              "some systems have no sin_len (man 7 ip shows none)", judge_sin_len),
        Claim("sa_data_14", SEED_004, "char sa_data[14] // 这里的14 等于上面的sin_port ，sin_addr,sin_zero 加起来",
              "sa_data's 14 bytes are sin_port, sin_addr and sin_zero together", judge_sa_data),
        Claim("inaddr_any", SEED_001, "使用的网络信息结构体IP可以写INADDR_ANY(0.0.0.0)，不知道为啥",
              "a server may bind INADDR_ANY (0.0.0.0), for reasons the notes do not know", judge_inaddr_any),
    ),
    measure,
)
