"""Filter expressions, compiled by libpcap: pcap-filter(7) exactly as tcpdump reads it.

libpcap compiles the expression (so a bad one gets libpcap's own message) and
runs the program. Live captures attach it to the socket, so the kernel filters
(see live.py); offline reading runs it here, per packet, in C.

One subtlety: pcapy's ``BPFProgram.filter`` passes the captured length as the
wire length too. Programs that read the wire length (``len``, ``greater``,
``less``) would then misjudge packets cut short by a snap length, so those
programs run through libpcap's ``bpf_filter`` with both lengths instead.

Whole files are filtered in C (reader.py, _cprint_walk.c): the compiled program
goes there as bytes (``program_code``) and runs through libpcap's ``bpf_filter``
too (``load_bpf_filter``). ctypes is imported only for the per-packet matcher
of a program that reads the wire length: these paths must start fast.
"""

from __future__ import annotations

import os

from netlab.capture import linktypes
from netlab.errors import UsageError

# PCAP_NETMASK_UNKNOWN is what libpcap wants when no netmask applies; tcpdump
# passes 0 when reading a file, and so do we (it only matters for `ip broadcast`).
OFFLINE_NETMASK = 0
BAD_FILTER_HINT = "see pcap-filter(7) for the syntax"

_PAST_PCAPY_RANGE = range(277, 290)
_STAND_IN = 147  # DLT_USER0: in the matching range, no filter code of its own

_BPF_LD_W_LEN = 0x80   # BPF_LD|BPF_W|BPF_LEN: A <- wire length
_BPF_LDX_W_LEN = 0x81  # BPF_LDX|BPF_W|BPF_LEN: X <- wire length
# Where libpcap's bpf_filter is looked for after pcapy's own copy: the system's, by soname
# (Debian names libpcap 1.x libpcap.so.0.8), so that no ldconfig runs to find it.
_SYSTEM_LIBPCAP = ("libpcap.so.0.8", "libpcap.so.1")

_SKF_AD_OFF = 0xFFFFF000  # loads at or above this offset read Linux socket metadata, not packet bytes
_BPF_ABS_LOADS = {0x20, 0x28, 0x30}  # BPF_LD|BPF_ABS with W, H, B


def compile_filter(expression: str, linktype: int, snaplen: int = 262144, netmask: int = OFFLINE_NETMASK,
                   offline: bool = True):
    """A compiled pcapy ``BPFProgram``; a bad expression raises UsageError with libpcap's message."""
    import pcapy

    dlt = linktypes.dlt_for_linktype(linktype)
    # pcapy's own libpcap (1.9) ends the "matching" range at 276; tcpdump's (1.10) at 289, with no
    # filter code of its own for the types past 276. A type its compiler treats the same way
    # (USER0) stands in for them: a link-independent filter (len, link[0]) then works as in tcpdump.
    compile_as = _STAND_IN if dlt in _PAST_PCAPY_RANGE else dlt
    try:
        program = pcapy.compile(compile_as, snaplen, expression, 1, netmask)
    except pcapy.PcapError as err:
        raise UsageError(str(err).replace(f"DLT {_STAND_IN}", f"DLT {dlt}") if compile_as != dlt else str(err),
                         BAD_FILTER_HINT) from None
    facts = linktypes.of(linktype)
    if offline and not facts.direction_in_header and _reads_socket_metadata(program.get_bpf()):
        # The direction lives in the kernel's socket metadata, which a file does not keep.
        # libpcap >= 1.10 refuses this; pcapy's compiler (no file at hand) would accept it
        # and then match nothing, so refuse with libpcap's own words.
        name = facts.description or f"DLT {dlt}"
        raise UsageError(f"inbound/outbound not supported on {name} when reading savefiles", BAD_FILTER_HINT)
    return program


def pcapy_compiles_for(linktype: int) -> bool:
    """Whether pcapy's libpcap itself compiles filters for this link type (else a stand-in does, here only)."""
    return linktypes.dlt_for_linktype(linktype) not in _PAST_PCAPY_RANGE


def _reads_socket_metadata(instructions) -> bool:
    return any(code in _BPF_ABS_LOADS and k >= _SKF_AD_OFF for code, _, _, k in instructions)


def matcher(expression: str, linktype: int, snaplen: int = 262144):
    """``match(data, wire_length) -> bool`` for one link type, libpcap's verdict."""
    return matcher_for(compile_filter(expression, linktype, snaplen))


def matcher_for(program):
    """``match(data, wire_length) -> bool`` running a compiled program (compile_filter's)."""
    instructions = program.get_bpf()
    run = program.filter
    if not any(code in (_BPF_LD_W_LEN, _BPF_LDX_W_LEN) for code, _, _, _ in instructions):
        return lambda data, length: run(data) != 0

    bpf_filter = _libpcap_bpf_filter()
    if bpf_filter is None:  # no libpcap to call: the captured length stands in for the wire length
        return lambda data, length: run(data) != 0
    code = program_code(program)
    return lambda data, length: bpf_filter(code, data, length, len(data)) != 0


def program_code(program) -> bytes:
    """The program as libpcap holds it in memory: an array of struct bpf_insn (u16 code, u8 jt, jf, u32 k)."""
    import struct

    insn = struct.Struct("=HBBI")
    return b"".join(insn.pack(*instruction) for instruction in program.get_bpf())


_loaded: bool | None = None


def load_bpf_filter() -> bool:
    """Give the C walks (netlab.capture._cprint) libpcap's bpf_filter, once; False where there is none."""
    global _loaded
    if _loaded is None:
        try:
            from netlab.capture._cprint import bpf_library
        except ImportError:  # built without a C compiler
            _loaded = False
        else:
            _loaded = any(bpf_library(path) for path in _libpcap_paths())
    return _loaded


def _libpcap_paths() -> list[str]:
    """The libpcaps to take bpf_filter from: the copy pcapy loaded (its wheel bundles one) first, then the system's."""
    import pcapy

    libs = os.path.join(os.path.dirname(pcapy.__file__), "pcapy_ng.libs")
    try:
        bundled = sorted(os.path.join(libs, name) for name in os.listdir(libs) if name.startswith("libpcap"))
    except OSError:
        bundled = []
    return [*bundled, *_SYSTEM_LIBPCAP]


def _libpcap_bpf_filter():
    """libpcap's ``bpf_filter`` through ctypes (see _libpcap_paths), for one packet at a time."""
    import ctypes

    for path in _libpcap_paths():
        try:
            func = ctypes.CDLL(path).bpf_filter
        except (OSError, AttributeError):
            continue
        func.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint]
        func.restype = ctypes.c_uint
        return func
    return None


def read_filter_file(path: str) -> str:
    """-F FILE: the filter expression in a file, each "#" to the end of its line a comment (tcpdump's read_infile)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise UsageError(f"can't open {path}: {err.strerror}", "-F takes a file holding a filter expression") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not valid UTF-8", "a filter file holds a pcap-filter(7) expression") from None
    if "\0" in text:
        raise UsageError(f"{path} holds a NUL byte", "a filter file holds a pcap-filter(7) expression")
    import re

    # tcpdump blanks each comment out; the newlines (and tabs) are blanks to libpcap too
    return re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), text)
