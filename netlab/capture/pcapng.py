"""Reading pcapng files as libpcap 1.10 (sf-pcapng.c) reads them: same checks, same verdicts.

One link type and one snapshot length for the whole file (every interface
description block must agree with the first, as libpcap requires). Time stamps
are converted as libpcap converts them, in 64-bit unsigned arithmetic, into
the unit the reader asked for (microseconds, or nanoseconds with --nano), so a
damaged if_tsresol or if_tsoffset prints what tcpdump prints.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from io import BufferedIOBase

from netlab.capture.savefile import CUT_SHORT, CaptureFileError, adjust_snapshot, check_linktype, max_snaplen
from netlab.capture import linktypes

Packet = tuple[int, int, int, int, bytes]

SHB = 0x0A0D0D0A
BYTE_ORDER_MAGIC = 0x1A2B3C4D
SHB_INSANE_MAX = 1024 * 1024        # BT_SHB_INSANE_MAX
INITIAL_MAX_BLOCKSIZE = 16 * 1024 * 1024
MASK64 = (1 << 64) - 1
IDB, PB, SPB, EPB = 1, 2, 3, 6
CHUNK = 4 * 1024 * 1024


def _signed64(value: int) -> int:
    value &= MASK64
    return value - (1 << 64) if value >> 63 else value


class _Interface:
    __slots__ = ("tsresol", "binary", "tsoffset")

    def __init__(self, tsresol: int, binary: bool, tsoffset: int):
        self.tsresol = tsresol
        self.binary = binary
        self.tsoffset = tsoffset


class _Block:
    """A block's body (without header and trailer) and a cursor over it, as libpcap's block_cursor."""

    __slots__ = ("btype", "data", "pos", "number", "offset")

    def __init__(self, btype: int, data: bytes, number: int, offset: int):
        self.btype = btype
        self.data = data
        self.pos = 0
        self.number = number
        self.offset = offset

    @property
    def where(self) -> str:
        return f"block {self.number} at byte {self.offset}"

    def take(self, n: int, path: str) -> bytes:
        if len(self.data) - self.pos < n:
            raise CaptureFileError.at(path, f"block of type {self.btype} in pcapng dump file is too short", self.where)
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos


class PcapngParser:
    format = "pcapng"

    def __init__(self, path: str, file: BufferedIOBase, head: bytes, nano: bool):
        """``head``: the first bytes already read (at least 4); ``nano``: the unit of the fractions handed out."""
        self.path = path
        self.file = file
        self._buf = head  # read, not yet handed out: from _pos on
        self._pos = 0
        self.offset = 0           # of the next byte to read
        self.blocks = 0           # blocks read so far (for "block N at byte M")
        self.user_tsresol = 1_000_000_000 if nano else 1_000_000
        self.output_nano = nano
        self.interfaces: list[_Interface] = []
        self.max_blocksize = INITIAL_MAX_BLOCKSIZE
        self._read_section_header()
        self._read_up_to_first_interface()

    # --- bytes and blocks ---

    def _read(self, n: int) -> bytes:
        """n bytes (fewer at the end of the file), from a buffer refilled a few MiB at a time."""
        buf, pos = self._buf, self._pos
        if pos + n > len(buf):
            buf = buf[pos:] + self.file.read(max(CHUNK, n))
            pos = 0
            self._buf = buf
        data = buf[pos:pos + n]
        self._pos = pos + len(data)
        self.offset += len(data)
        return data

    def _error(self, words: str, where: str | None = None) -> CaptureFileError:
        return CaptureFileError.at(self.path, words, where)

    def _read_section_header(self) -> None:
        head = self._read(12)
        if len(head) < 12:
            raise CaptureFileError.at(self.path, "unknown file format", None, "expected pcap or pcapng")
        magic = struct.unpack_from("<I", head, 8)[0]
        if magic == BYTE_ORDER_MAGIC:
            self.order = "<"
        elif magic == 0x4D3C2B1A:
            self.order = ">"
        else:  # libpcap: not pcapng after all, and no other format either
            raise CaptureFileError.at(self.path, "unknown file format", None, "expected pcap or pcapng")
        total = struct.unpack_from(self.order + "I", head, 4)[0]
        if not 28 <= total <= SHB_INSANE_MAX:
            raise self._error(f"Section Header Block in pcapng dump file has invalid length {total}",
                              "block 0 at byte 0")
        rest = self._read(total - 12)
        if len(rest) < total - 12:
            raise CaptureFileError.at(self.path, f"truncated pcapng dump file; tried to read {total - 12} bytes, "
                                      f"only got {len(rest)}", "block 0 at byte 0", CUT_SHORT)
        major, minor = struct.unpack_from(self.order + "HH", rest)
        if not (major == 1 and minor in (0, 2)):
            raise self._error(f"unsupported pcapng savefile version {major}.{minor}", "block 0 at byte 0")
        self.blocks = 1

    def _next_block(self) -> _Block | None:
        """read_block(): the next block, checked; None at the end of the file."""
        start = self.offset
        head = self._read(8)
        if not head:
            return None
        if len(head) < 8:
            raise CaptureFileError.at(self.path, f"truncated pcapng dump file; tried to read 8 bytes, "
                                      f"only got {len(head)}",
                                      self._where(start), CUT_SHORT)
        btype, total = struct.unpack(self.order + "II", head)
        if total < 12:
            raise self._error(f"block in pcapng dump file has a length of {total} < 12", self._where(start))
        if total % 4:
            raise self._error(f"block in pcapng dump file has a length of {total} that is not a multiple of 4",
                              self._where(start))
        if total > self.max_blocksize:
            raise self._error(f"pcapng block size {total} > maximum {self.max_blocksize}", self._where(start))
        rest = self._read(total - 8)
        if len(rest) < total - 8:
            raise CaptureFileError.at(self.path, f"truncated pcapng dump file; tried to read {total - 8} bytes, "
                                      f"only got {len(rest)}", self._where(start), CUT_SHORT)
        if struct.unpack_from(self.order + "I", rest, total - 12)[0] != total:
            raise self._error("block total length in header and trailer don't match", self._where(start))
        self.blocks += 1
        return _Block(btype, rest[:-4], self.blocks - 1, start)

    def _raw_blocks(self) -> Iterator[tuple[int, bytes, int]]:
        """_next_block() as (type, body, offset) tuples: the packet loop's fast form (no object per block)."""
        read = self._read
        head_of = struct.Struct(self.order + "II").unpack
        trailer_of = struct.Struct(self.order + "I").unpack_from
        max_blocksize = self.max_blocksize
        while True:
            start = self.offset
            taken = head = read(8)
            if len(head) == 8:
                btype, total = head_of(head)
                if 12 <= total <= max_blocksize and not total % 4:
                    rest = read(total - 8)
                    taken += rest
                    if len(rest) == total - 8 and trailer_of(rest, total - 12)[0] == total:
                        self.blocks += 1
                        yield btype, rest[:-4], start
                        continue
            # The end, or damage: put the bytes back; the careful reader says which, and where.
            self._buf, self._pos, self.offset = taken + self._buf[self._pos:], 0, start
            if self._next_block() is None:
                return
            raise AssertionError("a block the fast reader refused passed the careful one")

    def _where(self, start: int, number: int | None = None) -> str:
        """The place of a block (blocks counted from 0, the section header first); default: the one being read."""
        return f"block {self.blocks if number is None else number} at byte {start}"

    # --- interfaces ---

    def _read_up_to_first_interface(self) -> None:
        while True:
            block = self._next_block()
            if block is None:
                raise self._error("the capture file has no Interface Description Blocks")
            if block.btype == IDB:
                linktype, _reserved, snaplen = struct.unpack(self.order + "HHI", block.take(8, self.path))
                self._add_interface(block)
                break
            if block.btype in (EPB, SPB, PB):
                raise self._error("the capture file has a packet block before any Interface Description Blocks",
                                  block.where)
        check_linktype(self.path, linktype)
        self.linktype = linktype
        self.dlt = linktypes.dlt_for_linktype(linktype)
        self.snaplen = adjust_snapshot(linktype, snaplen)
        self.nanosecond = self.interfaces[0].tsresol > 1_000_000  # the file's own precision, for FileInfo
        # MAX_BLOCKSIZE_FOR_SNAPLEN: an EPB with the largest packet and 128 KiB of options
        self.max_blocksize = max(self.max_blocksize, 8 + 20 + max_snaplen(linktype) + 131072 + 4)

    def _add_interface(self, block: _Block) -> None:
        """add_interface() and process_idb_options(): the time stamp options, checked as libpcap does."""
        tsresol, binary, tsoffset = 1_000_000, False, 0
        saw_tsresol = saw_tsoffset = False
        order = self.order
        while block.remaining:
            code, length = struct.unpack(order + "HH", block.take(4, self.path))
            value = block.take(length + (-length % 4), self.path)
            if code == 0:
                if length != 0:
                    raise self._error(f"Interface Description Block has opt_endofopt option with length {length} != 0",
                                      block.where)
                break
            if code == 9:
                if length != 1:
                    raise self._error(f"Interface Description Block has if_tsresol option with length {length} != 1",
                                      block.where)
                if saw_tsresol:
                    raise self._error("Interface Description Block has more than one if_tsresol option", block.where)
                saw_tsresol = True
                res = value[0]
                if res & 0x80:
                    if res & 0x7F > 63:
                        raise self._error(f"Interface Description Block if_tsresol option resolution 2^-{res & 0x7F} "
                                          "is too high", block.where)
                    tsresol, binary = 1 << (res & 0x7F), True
                else:
                    if res > 19:
                        raise self._error(f"Interface Description Block if_tsresol option resolution 10^-{res} "
                                          "is too high", block.where)
                    tsresol, binary = 10 ** res, False
            elif code == 14:
                if length != 8:
                    raise self._error(f"Interface Description Block has if_tsoffset option with length {length} != 8",
                                      block.where)
                if saw_tsoffset:
                    raise self._error("Interface Description Block has more than one if_tsoffset option", block.where)
                saw_tsoffset = True
                tsoffset = struct.unpack_from(order + "Q", value)[0]
        self.interfaces.append(_Interface(tsresol, binary, tsoffset))

    # --- packets ---

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
        epb_fields = struct.Struct(self.order + "IIIII").unpack_from
        for btype, body, start in self._raw_blocks():
            if btype == EPB:  # the common case, inline: a few fields and a slice
                if len(body) < 20:
                    raise self._too_short(btype, start)
                iface, hi, lo, caplen, length = epb_fields(body)
                ticks = hi << 32 | lo
                fixed = 20
            elif btype == SPB:
                if len(body) < 4:
                    raise self._too_short(btype, start)
                length = struct.unpack_from(self.order + "I", body)[0]
                iface, ticks, fixed = 0, 0, 4
                caplen = min(length, self.snaplen)  # an SPB has no captured length: the snapshot bounds it
            elif btype == PB:
                if len(body) < 20:
                    raise self._too_short(btype, start)
                iface, _drops, hi, lo, caplen, length = struct.unpack_from(self.order + "HHIIII", body)
                ticks, fixed = hi << 32 | lo, 20
            elif btype == IDB:
                self._another_interface(_Block(btype, body, self.blocks - 1, start))
                continue
            elif btype == SHB:
                self._another_section(_Block(btype, body, self.blocks - 1, start))
                continue
            else:
                continue
            if iface >= len(self.interfaces):
                raise self._error(f"a packet arrived on interface {iface}, but there's no Interface Description Block "
                                  "for that interface", self._where(start, self.blocks - 1))
            if caplen > self.snaplen:
                raise self._error(f"invalid packet capture length {caplen}, bigger than snaplen of {self.snaplen}",
                                  self._where(start, self.blocks - 1))
            if len(body) - fixed < caplen:
                raise self._too_short(btype, start)
            sec, frac = self._stamp(self.interfaces[iface], ticks)
            yield sec, frac, caplen, length, body[fixed:fixed + caplen]

    def _too_short(self, btype: int, start: int) -> CaptureFileError:
        return self._error(f"block of type {btype} in pcapng dump file is too short",
                           self._where(start, self.blocks - 1))

    def _stamp(self, iface: _Interface, ticks: int) -> tuple[int, int]:
        """libpcap's conversion: unsigned 64-bit seconds plus the offset, the fraction scaled to the user's unit."""
        tsresol, user = iface.tsresol, self.user_tsresol
        sec = _signed64(ticks // tsresol + iface.tsoffset)
        frac = ticks % tsresol
        if tsresol != user:
            if iface.binary:
                frac = (frac * user & MASK64) // tsresol
            elif tsresol > user:
                frac //= tsresol // user
            else:
                frac *= user // tsresol
        return sec, frac & 0xFFFFFFFF  # tv_usec is an int: what tcpdump prints is its low 32 bits

    def _another_interface(self, block: _Block) -> None:
        linktype, _reserved, snaplen = struct.unpack(self.order + "HHI", block.take(8, self.path))
        # libpcap compares the first interface's DLT_ value with this one's LINKTYPE_ value.
        if linktype != self.dlt:
            raise self._error(f"an interface has a type {linktype} different from the type of the first interface",
                              block.where)
        if adjust_snapshot(linktype, snaplen) != self.snaplen:
            raise self._error(f"an interface has a snapshot length {snaplen} different from the snapshot length "
                              "of the first interface", block.where)
        self._add_interface(block)

    def _another_section(self, block: _Block) -> None:
        magic, major, _minor = struct.unpack_from(self.order + "IHH", block.take(16, self.path))
        if magic == 0x4D3C2B1A:
            raise self._error("the file has sections with different byte orders", block.where)
        if magic != BYTE_ORDER_MAGIC:
            raise self._error("the file has a section with a bad byte order magic field", block.where)
        if major != 1:
            raise self._error(f"unknown pcapng savefile major version number {major}", block.where)
        self.interfaces = []  # a new section describes its own interfaces
