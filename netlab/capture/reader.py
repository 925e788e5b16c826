"""Reading capture files: classic pcap (micro- and nanosecond) and pcapng.

The files are parsed here with struct, a few megabytes per read(), because
that is several times faster than one pcapy call per packet and keeps the
nanoseconds that libpcap's default open would round away. The filter is
libpcap's (netlab.capture.bpf). Packets come out as plain tuples
``(ts_sec, ts_frac, caplen, length, data)``, ``ts_frac`` in microseconds, or
nanoseconds when opened with ``nano=True`` (tcpdump's --nano).
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import asdict, dataclass
from typing import BinaryIO, Callable, Iterator

from netlab.errors import ExitStatus, NetlabError, UsageError

Packet = tuple[int, int, int, int, bytes]

CHUNK = 4 * 1024 * 1024
COUNT_CHUNK = 65536  # packets per libpcap call when counting: Ctrl-C is seen between calls
PCAP_MAGICS = {  # magic as read little-endian -> (byte order, nanosecond file)
    0xA1B2C3D4: ("<", False),
    0xA1B23C4D: ("<", True),
    0xD4C3B2A1: (">", False),
    0x4D3CB2A1: (">", True),
}
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D
SHB_MIN_LENGTH = 28  # type, length, byte-order magic, version, section length, trailing length
LINKTYPE_MASK = 0x03FFFFFF  # the upper bits of the pcap header's link type carry FCS flags


class CaptureFileError(NetlabError):
    """A capture file that is not one, or is damaged.

    ``packets_before`` (set by ``count()``) is how many matching packets came before the damage.
    """

    exit_code = ExitStatus.USAGE
    packets_before: int | None = None


@dataclass(slots=True)
class FileInfo:
    path: str
    format: str          # "pcap" or "pcapng"
    linktype: int
    snaplen: int
    nanosecond: bool     # the file's own precision

    def as_dict(self) -> dict:
        return asdict(self)


class OfflineCapture:
    """An open capture file; iterate it for packets (once).

    ``expression`` is a pcap-filter(7) filter; only matching packets are yielded.
    ``nano`` chooses the unit of ts_frac, whatever the file holds (libpcap's
    rule: nanoseconds are truncated to microseconds, microseconds scaled up).
    """

    def __init__(self, path: str, expression: str | None = None, nano: bool = False):
        self.nano = nano
        self.seen = 0      # packets read from the file
        self.matched = 0   # packets that passed the filter
        try:
            self._file: BinaryIO = open(path, "rb") if path != "-" else open(0, "rb", closefd=False)
        except OSError as err:
            raise UsageError(f"cannot read {path}: {err.strerror}", "check the file name") from None
        # Only a regular file can be opened a second time by libpcap: a pipe, a FIFO or
        # /dev/stdin would give it the bytes after what was read here (or nothing).
        self._reopenable = path != "-" and stat.S_ISREG(os.fstat(self._file.fileno()).st_mode)
        try:
            head = self._file.read(24)
            if len(head) < 4:
                raise CaptureFileError(f"{path}: not a capture file (too short)", "expected pcap or pcapng")
            magic = struct.unpack_from("<I", head)[0]
            if magic in PCAP_MAGICS:
                self._parser = _PcapParser(path, self._file, head)
            elif magic == PCAPNG_SHB:
                self._parser = _PcapngParser(path, self._file, head)
            else:
                raise CaptureFileError(f"{path}: unknown file format", "expected pcap or pcapng")
        except BaseException:
            self._file.close()
            raise
        self.info = FileInfo(path, self._parser.format, self._parser.linktype, self._parser.snaplen,
                             self._parser.nanosecond)
        self.expression = expression
        self._match: Callable[[bytes, int], bool] | None = None
        if expression:
            from netlab.capture.bpf import matcher

            self._match = matcher(expression, self.info.linktype, self.info.snaplen)

    @property
    def linktype(self) -> int:
        return self.info.linktype

    @property
    def snaplen(self) -> int:
        return self.info.snaplen

    def __iter__(self) -> Iterator[Packet]:
        for batch in self.batches():
            yield from batch

    def batches(self, size: int = 1024) -> Iterator[list[Packet]]:
        """Matching packets in lists of at most ``size``: the caller prints each list with one write().

        A damaged file still gives every packet before the damage, then the error.
        """
        match = self._match
        if match is not None and self._libpcap_can_filter():
            yield from self._libpcap_filtered_batches(size)
            return
        rescale = None
        if self.nano != self.info.nanosecond:
            rescale = _micro_to_nano if self.nano else _nano_to_micro
        for batch in self._parser.batches(size):
            self.seen += len(batch)
            if rescale is not None:
                batch = [(s, rescale(f), c, n, d) for s, f, c, n, d in batch]
            if match is not None:
                batch = [packet for packet in batch if match(packet[4], packet[3])]
            self.matched += len(batch)
            if batch:
                yield batch

    def _libpcap_can_filter(self) -> bool:
        # libpcap reads and filters in C, so rejected packets cost no Python at all; its
        # stamps are microseconds, so only where no precision conversion is involved.
        info = self.info
        return info.format == "pcap" and not info.nanosecond and not self.nano and self._reopenable

    def _libpcap_filtered_batches(self, size: int) -> Iterator[list[Packet]]:
        import pcapy

        try:
            handle = pcapy.open_offline(self.info.path)
        except pcapy.PcapError as err:  # the file changed since it was opened here
            raise CaptureFileError(f"{self.info.path}: {err}", "the file is damaged") from None
        collect = Collector()
        try:
            handle.setfilter(self.expression)  # matcher() already compiled it: no error here
            while True:
                try:
                    n = handle.dispatch(size, collect)
                except pcapy.PcapError as err:
                    if collect.packets:  # what came before the damage first
                        yield collect.take()
                    raise CaptureFileError(f"{self.info.path}: {err}", "the file is damaged") from None
                if collect.packets:
                    batch = collect.take()
                    self.matched += len(batch)
                    yield batch
                if n <= 0:
                    return
        finally:
            handle.close()

    def count(self, stopped: Callable[[], bool] = lambda: False) -> int:
        """Count matching packets without handing them out (the --count mode).

        libpcap reads and filters the file in C, as tcpdump does: no Python
        object is made per packet. (A pipe was already partly read: counted here.)
        ``stopped`` is asked between chunks: once it says yes (Ctrl-C), the count
        so far is returned, as tcpdump prints it.
        """
        if self._reopenable and self.seen == 0:
            counted = self._libpcap_count(stopped)
            if counted is not None:
                self.matched = counted
                return counted
        matched = 0
        try:
            for batch in self.batches():
                matched += len(batch)
                if stopped():
                    break
        except CaptureFileError as err:
            err.packets_before = matched
            raise
        return matched

    def _libpcap_count(self, stopped: Callable[[], bool]) -> int | None:
        """libpcap's count, or None on damage: the Python count then reports it with the count up to it."""
        import pcapy

        try:
            handle = pcapy.open_offline(self.info.path)
        except pcapy.PcapError:
            return None
        total = 0
        try:
            if self.expression:
                handle.setfilter(self.expression)  # already checked by matcher(): it compiles
            # In chunks: a signal handler runs only when the C loop returns, so this is
            # how often a Ctrl-C is looked at (a chunk is a few milliseconds of reading).
            while True:
                admitted, rejected = handle.loop_filtered(COUNT_CHUNK, _ignore, 0)[:2]
                total += admitted + rejected  # admit_mask 0: every packet past the filter is "rejected"
                if admitted + rejected < COUNT_CHUNK or stopped():
                    return total
        except pcapy.PcapError:
            return None
        finally:
            handle.close()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "OfflineCapture":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Collector:
    """pcapy's per-packet callback (dispatch()): keeps the packets as plain tuples.

    scale turns libpcap's microseconds into the capture's fraction unit (1000 for
    a live capture asked for nanoseconds; offline files keep their own unit: 1).
    """

    __slots__ = ("packets", "scale")

    def __init__(self, scale: int = 1):
        self.packets: list[Packet] = []
        self.scale = scale

    def __call__(self, header, data: bytes) -> None:
        sec, usec = header.getts()
        self.packets.append((sec, usec * self.scale, header.getcaplen(), header.getlen(), data))

    def take(self) -> list[Packet]:
        batch, self.packets = self.packets, []
        return batch


def _ignore(*_args) -> None:
    pass


def _micro_to_nano(frac: int) -> int:
    # libpcap scales in 32-bit arithmetic; a broken stamp wraps exactly as tcpdump shows it.
    return (frac * 1000) & 0xFFFFFFFF


def _nano_to_micro(frac: int) -> int:
    if frac < 0x80000000:
        return frac // 1000
    return -((0x100000000 - frac) // 1000) & 0xFFFFFFFF  # a signed 32-bit division, as in libpcap


def _truncated(path: str, want: int, got: int) -> CaptureFileError:
    # libpcap's words, so the message reads like tcpdump's.
    return CaptureFileError(f"{path}: truncated dump file; tried to read {want} captured bytes, only got {got}",
                            "the file was cut short; the packets before this point were read")


class _PcapParser:
    format = "pcap"

    def __init__(self, path: str, file: BinaryIO, head: bytes):
        if len(head) < 24:
            raise CaptureFileError(f"{path}: truncated pcap file header", "the file is damaged")
        self.path = path
        self.file = file
        order, self.nanosecond = PCAP_MAGICS[struct.unpack_from("<I", head)[0]]
        self.order = order
        _, major, _minor, _zone, _sigfigs, self.snaplen, network = struct.unpack(order + "IHHiIII", head)
        if major != 2:
            raise CaptureFileError(f"{path}: pcap version {major} is not supported", "expected version 2.4")
        self.linktype = network & LINKTYPE_MASK
        # A corrupt length must not make us swallow the whole file: libpcap's limit.
        self.max_caplen = max(self.snaplen, 262144)

    def batches(self, size: int) -> Iterator[list[Packet]]:
        """Records in the file's own precision, ``size`` at a time, a few MiB per read()."""
        unpack_from = struct.Struct(self.order + "IIII").unpack_from
        read = self.file.read
        limit = self.max_caplen
        batch: list[Packet] = []
        append = batch.append
        buf = b""
        pos = 0
        while True:
            chunk = read(CHUNK)
            if not chunk:
                break
            buf = buf[pos:] + chunk if pos < len(buf) else chunk
            pos = 0
            end = len(buf)
            while pos + 16 <= end:
                sec, frac, caplen, length = unpack_from(buf, pos)
                if caplen > limit:
                    if batch:
                        yield batch
                    raise CaptureFileError(
                        f"{self.path}: invalid packet capture length {caplen}, bigger than snaplen of {limit}",
                        "the file is damaged")
                start = pos + 16
                stop = start + caplen
                if stop > end:
                    break
                append((sec, frac, caplen, length, buf[start:stop]))
                pos = stop
                if len(batch) >= size:
                    yield batch
                    batch = []
                    append = batch.append
        if batch:
            yield batch
        rest = len(buf) - pos
        if rest >= 16:
            raise _truncated(self.path, unpack_from(buf, pos)[2], rest - 16)
        if rest > 0:
            raise CaptureFileError(f"{self.path}: truncated dump file; tried to read 16 header bytes, only got {rest}",
                                   "the file was cut short; the packets before this point were read")


class _PcapngParser:
    """pcapng as libpcap reads it: one link type for the whole file (every IDB must agree)."""

    format = "pcapng"

    def __init__(self, path: str, file: BinaryIO, head: bytes):
        self.path = path
        self.file = file
        self._pending = head
        self.order = "<"
        self.interfaces: list[tuple[int, int, int]] = []  # (linktype, units per second, offset seconds)
        # Read up to the first interface description: it gives the link type.
        self._blocks = self._iter_blocks()
        self._early: list[tuple[int, bytes]] = []
        for btype, body in self._blocks:
            self._early.append((btype, body))
            if btype == 1:
                break
        if not self.interfaces:
            raise CaptureFileError(f"{path}: pcapng file has no interface description block", "the file is damaged")
        self.linktype, self.snaplen = self.interfaces[0][0], self._first_snaplen
        self.nanosecond = self.interfaces[0][1] > 1_000_000

    def _read(self, n: int) -> bytes:
        data = self._pending[:n]
        self._pending = self._pending[n:]
        if len(data) < n:
            data += self.file.read(n - len(data))
        return data

    def _iter_blocks(self) -> Iterator[tuple[int, bytes]]:
        while True:
            head = self._read(8)
            if not head:
                return
            if len(head) < 8:
                raise _truncated(self.path, 8, len(head))
            btype = struct.unpack_from(self.order + "I", head)[0]
            if btype == PCAPNG_SHB:
                bom = self._read(4)
                magic = struct.unpack_from("<I", bom)[0] if len(bom) == 4 else 0
                if magic == PCAPNG_BYTE_ORDER_MAGIC:
                    self.order = "<"
                elif magic == 0x4D3C2B1A:
                    self.order = ">"
                else:
                    raise CaptureFileError(f"{self.path}: bad pcapng byte-order magic", "the file is damaged")
                total = struct.unpack_from(self.order + "I", head, 4)[0]
                if total < SHB_MIN_LENGTH or total % 4:
                    raise CaptureFileError(f"{self.path}: pcapng section header block of length {total} is invalid",
                                           "the file is damaged")
                rest = self._read(total - 12)
                if len(rest) < total - 12:
                    raise _truncated(self.path, total - 12, len(rest))
                body = bom + rest
                self.interfaces = []  # a new section starts its own interface list
            else:
                total = struct.unpack_from(self.order + "I", head, 4)[0]
                if total < 12 or total % 4:
                    raise CaptureFileError(f"{self.path}: pcapng block of length {total} is invalid", "the file is damaged")
                body = self._read(total - 8)
                if len(body) < total - 8:
                    raise _truncated(self.path, total - 8, len(body))
            body = body[:-4]  # the trailing copy of the block length
            if btype == 1:
                self._add_interface(body)
            yield btype, body

    def _add_interface(self, body: bytes) -> None:
        if len(body) < 8:
            raise self._too_short(1)
        linktype, _reserved, snaplen = struct.unpack_from(self.order + "HHI", body)
        units, offset = 1_000_000, 0
        pos = 8
        while pos + 4 <= len(body):
            code, size = struct.unpack_from(self.order + "HH", body, pos)
            if code == 0:
                break
            value = body[pos + 4:pos + 4 + size]
            if code == 9 and size >= 1:  # if_tsresol: 10^-n, or 2^-n with the high bit set
                res = value[0]
                units = 2 ** (res & 0x7F) if res & 0x80 else 10 ** res
            elif code == 14 and size == 8:  # if_tsoffset, seconds
                offset = struct.unpack_from(self.order + "q", value)[0]
            pos += 4 + size + (-size % 4)
        if self.interfaces and linktype != self.interfaces[0][0]:
            raise CaptureFileError(
                f"{self.path}: an interface has a type {linktype} different from the type of the first interface",
                "libpcap reads one link type per file; split the file with editcap")
        if not self.interfaces:
            self._first_snaplen = snaplen or 262144
        self.interfaces.append((linktype, units, offset))

    def batches(self, size: int) -> Iterator[list[Packet]]:
        batch: list[Packet] = []
        try:
            for packet in self._packets():
                batch.append(packet)
                if len(batch) >= size:
                    yield batch
                    batch = []
        except CaptureFileError:
            if batch:  # the packets up to the damage first
                yield batch
            raise
        if batch:
            yield batch

    def _packets(self) -> Iterator[Packet]:
        scale_to = 1_000_000_000 if self.nanosecond else 1_000_000
        order = self.order
        for btype, body in self._replay():
            if btype == 6:  # enhanced packet block
                if len(body) < 20:
                    raise self._too_short(btype)
                iface, hi, lo, caplen, length = struct.unpack_from(order + "IIIII", body)
                data = body[20:20 + caplen]
            elif btype == 3:  # simple packet block: no timestamp, caplen bounded by the snaplen
                if len(body) < 4:
                    raise self._too_short(btype)
                length = struct.unpack_from(order + "I", body)[0]
                iface, hi, lo = 0, 0, 0
                caplen = min(length, self.snaplen, len(body) - 4)
                data = body[4:4 + caplen]
            elif btype == 2:  # obsolete packet block
                if len(body) < 20:
                    raise self._too_short(btype)
                iface, _drops, hi, lo, caplen, length = struct.unpack_from(order + "HHIIII", body)
                data = body[20:20 + caplen]
            else:
                continue
            if iface >= len(self.interfaces):
                raise CaptureFileError(f"{self.path}: a packet names interface {iface}, which is not described",
                                       "the file is damaged")
            _, units, offset = self.interfaces[iface]
            ticks = (hi << 32) | lo
            sec, rest = divmod(ticks, units)
            frac = rest * scale_to // units
            yield sec + offset, frac, len(data), length, data

    def _too_short(self, btype: int) -> CaptureFileError:
        # libpcap's words for a block whose fixed fields do not fit in its length.
        return CaptureFileError(f"{self.path}: block of type {btype} in pcapng dump file is too short",
                                "the file is damaged")

    def _replay(self) -> Iterator[tuple[int, bytes]]:
        yield from self._early
        self._early = []
        yield from self._blocks
