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
from io import BufferedIOBase

from netlab.capture.savefile import (CUT_SHORT, INT_MAX, CaptureFileError, adjust_snapshot, check_linktype,
                                     max_snaplen)
from netlab.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: collections (1.4 ms) is not imported at start-up
    from collections.abc import Callable, Iterator

Packet = tuple[int, int, int, int, bytes]

CHUNK = 4 * 1024 * 1024
COUNT_CHUNK = 65536  # packets per libpcap call when counting: Ctrl-C is seen between calls
# Bytes of records the C walks see through one map of the file (then it is unmapped and the next
# mapped): --count's walk of one is a few ms, Ctrl-C is seen between them, and a big file's pages
# are resident one window at a time (a whole map held all of them: 110 MiB for 300k busy packets).
WINDOW = 64 * 1024 * 1024
TWO_THREADS = 2  # the C count walks a big file in two halves at once (tcpdump reads with one core)
PCAP_MAGICS = {  # magic as read little-endian -> (byte order, nanosecond file)
    0xA1B2C3D4: ("<", False),
    0xA1B23C4D: ("<", True),
    0xD4C3B2A1: (">", False),
    0x4D3CB2A1: (">", True),
    0xA1B2CD34: ("<", False),  # Alexey Kuznetzov's patched libpcap: 24-byte record headers
    0x34CDB2A1: (">", False),
}
KUZNETZOV_MAGICS = (0xA1B2CD34, 0x34CDB2A1)
PCAPNG_SHB = 0x0A0D0D0A
LINKTYPE_MASK = 0x03FFFFFF  # the upper bits of the pcap header's link type carry FCS flags


class FileInfo:
    """What a capture file's header says (the jsonl "file" record). A plain class, not a
    dataclass: the dataclasses module costs `netlab capture --count` a third of its start-up."""

    __slots__ = ("path", "format", "linktype", "snaplen", "nanosecond")

    def __init__(self, path: str, format: str, linktype: int, snaplen: int, nanosecond: bool):
        self.path = path
        self.format = format          # "pcap" or "pcapng"
        self.linktype = linktype
        self.snaplen = snaplen
        self.nanosecond = nanosecond  # the file's own precision

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}


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
            self._file: BufferedIOBase = open(path, "rb") if path != "-" else open(0, "rb", closefd=False)
        except OSError as err:
            raise UsageError(f"cannot read {path}: {err.strerror}", "check the file name") from None
        # Only a regular file can be opened a second time by libpcap: a pipe, a FIFO or
        # /dev/stdin would give it the bytes after what was read here (or nothing).
        self._reopenable = path != "-" and stat.S_ISREG(os.fstat(self._file.fileno()).st_mode)
        self._map = None  # a window of the file mapped for the C walks (_window)
        self._map_base = 0  # where in the file it starts
        self._size = 0  # of the file when its first window was mapped: where the walks end
        try:
            head = self._file.read(24)
            if len(head) < 4:
                raise CaptureFileError.at(path, f"truncated dump file; tried to read 4 file header bytes, only got "
                                          f"{len(head)}", None, "expected pcap or pcapng")
            magic = struct.unpack_from("<I", head)[0]
            if magic in PCAP_MAGICS:
                self._parser = _PcapParser(path, self._file, head)
            elif magic == PCAPNG_SHB:
                from netlab.capture.pcapng import PcapngParser

                self._parser = PcapngParser(path, self._file, head, nano)
            else:
                raise CaptureFileError.at(path, "unknown file format", None, "expected pcap or pcapng")
        except BaseException:
            self._file.close()
            raise
        self.info = FileInfo(path, self._parser.format, self._parser.linktype, self._parser.snaplen,
                             self._parser.nanosecond)
        self.expression = expression
        self._program = None  # libpcap's compiled filter, once: the C walks and the matcher run it
        self._match: Callable[[bytes, int], bool] | None = None
        if expression:
            from netlab.capture.bpf import compile_filter

            self._program = compile_filter(expression, self.info.linktype, self.info.snaplen)

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
        rescale = None
        if self.info.format == "pcap" and self.nano != self.info.nanosecond:  # pcapng: already in the user's unit
            rescale = _micro_to_nano if self.nano else _nano_to_micro
        if self._program is not None:
            walk = self._walk_args(self._program)
            if walk is not None:
                yield from self._selected_batches(walk, size, rescale)
                return
            if self._libpcap_can_filter():
                yield from self._libpcap_filtered_batches(size)
                return
            from netlab.capture.bpf import matcher_for

            self._match = matcher_for(self._program)
        yield from self._parsed_batches(size, rescale, self._match)

    def _parsed_batches(self, size: int, rescale, match, offset: int | None = None) -> Iterator[list[Packet]]:
        """The Python reader's batches from the file's position, in the user's unit (``rescale``),
        those ``match`` accepts (None: all). ``offset``: the position, where a classic pcap is read
        on from a record (_read_on); None: where the records start."""
        parsed = self._parser.batches(size) if offset is None else self._parser.batches(size, offset)
        for batch in parsed:
            self.seen += len(batch)
            if rescale is not None:
                batch = [(s, rescale(f), c, n, d) for s, f, c, n, d in batch]
            if match is not None:
                batch = [packet for packet in batch if match(packet[4], packet[3])]
            self.matched += len(batch)
            if batch:
                yield batch

    def _walk_args(self, program=None) -> tuple | None:
        """(big-endian, max caplen, snaplen, program code) for the C walks over the records
        (_cprint_walk.c), or None where they do not apply: no C module, no libpcap bpf_filter,
        not a regular file, or a record layout other than the plain one (pcapng, 24-byte
        headers, the lengths of versions before 2.4: the Python loop's). The first window of
        the file is mapped by then (_window); the map is closed with the file."""
        parser = self._parser
        if (_c_records is None or not self._reopenable or self.seen or not isinstance(parser, _PcapParser)
                or parser.record_size != 16 or parser.lengths is not None):
            return None
        code = None
        if program is not None:
            from netlab.capture.bpf import load_bpf_filter, program_code

            if not load_bpf_filter():
                return None
            code = program_code(program)
        if self._map is None:
            self._size = os.fstat(self._file.fileno()).st_size  # the walks end here, as a whole map did
            if self._window(24) is None:
                return None
        return parser.order == ">", parser.max_caplen, parser.snaplen, code

    def _window(self, at: int):
        """The map the C walks read the records starting in [at, at + WINDOW) from: (map, base),
        the map starting at file offset base (at, a page's start). It holds the longest record
        too, so a record that starts in the window is whole in the map unless the file cuts it
        (damage, or the end). The window before it is unmapped; None: the file cannot be mapped."""
        if self._map is not None:
            if self._map_base <= at and self._map_base + len(self._map) >= min(self._size, at + self._span()):
                return self._map, self._map_base
            self._map.close()
            self._map = None
        base = at - at % _PAGE
        self._map = _map_file(self._file.fileno(), base, min(self._size, at + self._span()) - base)
        self._map_base = base
        return None if self._map is None else (self._map, base)

    def _span(self) -> int:
        """Bytes from a window's first record to its map's end: the window and its longest record."""
        return WINDOW + 16 + self._parser.max_caplen

    def _selected_batches(self, walk: tuple, size: int, rescale) -> Iterator[list[Packet]]:
        """The records the filter accepts, found in C over the mapped file a window at a time (two
        threads on a big one, as --count finds them): only they become objects, ``size`` at a time."""
        from netlab.capture._cprint import scan, take

        big, max_caplen, snaplen, code = walk
        at, end = 24, self._size
        while at < end:
            window = self._window(at)
            if window is None:  # the file shrank below the next window: reading on says how it ends
                yield from self._read_on(at, size, rescale)
                return
            data, base = window
            stop = min(at + WINDOW, end)
            hits, records, reached = scan(data, at - base, stop - base, big, max_caplen, snaplen, code, TWO_THREADS)
            reached += base
            if self._shrunk():  # what the walk read past the new end is not the file's
                yield from self._read_on(at, size, rescale)
                return
            self.seen += records
            offsets = memoryview(hits).cast("I")  # native uint32 offsets from at
            for first in range(0, len(offsets), size):
                try:
                    batch = take(data, at - base, hits, first, first + size, big, snaplen)
                except OSError:  # a page of the map gone: the file shrank since the walk
                    batch = None
                if batch is None or self._shrunk():
                    yield from self._read_on(at + offsets[first], size, rescale)
                    return
                if rescale is not None:
                    batch = [(s, rescale(f), c, n, d) for s, f, c, n, d in batch]
                self.matched += len(batch)
                yield batch
            if reached < stop:  # damage: the packets before it are out; now libpcap's words for it
                raise self._damage_report("the file is damaged")
            at = reached

    def _shrunk(self) -> bool:
        """Whether the mapped file is shorter now than when it was mapped (truncated, or a ring
        file rewritten): the map then holds zeros, or pages that are gone, past the new end."""
        return os.fstat(self._file.fileno()).st_size < self._size

    def _read_on(self, offset: int, size: int, rescale) -> Iterator[list[Packet]]:
        """The matching packets from ``offset`` (a record's start) on, read from the file itself as
        the Python reader reads it, for a file that shrank under the map; a record the shrinking
        cut gets the words (and the place) that reading the whole file gives it."""
        from netlab.capture.bpf import matcher_for

        self._file.seek(offset)
        try:
            yield from self._parsed_batches(size, rescale, matcher_for(self._program), offset)
        except CaptureFileError:
            raise self._damage_report("the file shrank while it was read") from None

    def _libpcap_can_filter(self) -> bool:
        # libpcap reads and filters in C, so rejected packets cost no Python at all; its
        # stamps are microseconds, so only where no precision conversion is involved.
        from netlab.capture.bpf import pcapy_compiles_for

        info = self.info
        return (info.format == "pcap" and not info.nanosecond and not self.nano and self._reopenable
                and pcapy_compiles_for(info.linktype))

    def _libpcap_filtered_batches(self, size: int) -> Iterator[list[Packet]]:
        import pcapy

        try:
            handle = pcapy.open_offline(self.info.path)
        except pcapy.PcapError as err:  # the file changed since it was opened here
            raise CaptureFileError.at(self.info.path, str(err)) from None
        collect = Collector()
        try:
            handle.setfilter(self.expression)  # matcher() already compiled it: no error here
            while True:
                try:
                    n = handle.dispatch(size, collect)
                except pcapy.PcapError as err:
                    if collect.packets:  # what came before the damage first
                        yield collect.take()
                    raise self._damage_report(str(err)) from None
                if collect.packets:
                    batch = collect.take()
                    self.matched += len(batch)
                    yield batch
                if n <= 0:
                    return
        finally:
            handle.close()

    def _damage_report(self, words: str) -> CaptureFileError:
        """The error libpcap met, in the words (and with the place) the Python reader gives it."""
        try:
            with open(self.info.path, "rb") as again:
                for _ in _PcapParser(self.info.path, again, again.read(24)).batches(65536):
                    pass
        except CaptureFileError as err:
            return err
        except OSError:
            pass
        return CaptureFileError.at(self.info.path, words)  # the file changed under us: libpcap's words alone

    def count(self, stopped: Callable[[], bool] = lambda: False) -> int:
        """Count matching packets without handing them out (the --count mode).

        The records are walked (and filtered, by libpcap's bpf_filter) in C over a map
        of the file, as tcpdump reads and filters them: no Python object is made per
        packet. Files that walk does not take, libpcap counts; a pipe (already partly
        read) and damage, the Python reader. ``stopped`` is asked between chunks: once
        it says yes (Ctrl-C), the count so far is returned, as tcpdump prints it.
        """
        if self._reopenable and self.seen == 0:
            counted = self._walk_count(stopped)
            if counted is None:
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

    def _walk_count(self, stopped: Callable[[], bool]) -> int | None:
        """The count over the mapped file, in C (two threads on a big file), as fast as the disk
        cache gives the records. None where the walk does not apply or meets damage: libpcap's
        count, then the Python reader, have the last word there."""
        walk = self._walk_args(self._program)
        if walk is None:
            return None
        from netlab.capture._cprint import count

        big, max_caplen, snaplen, code = walk
        at, end, matched = 24, self._size, 0
        while at < end:  # a window at a time: a Ctrl-C is looked at between them
            window = self._window(at)
            if window is None:
                return None  # the file shrank below the next window: counted again from the file
            data, base = window
            stop = min(at + WINDOW, end)
            _records, window_matched, reached = count(data, at - base, stop - base, big, max_caplen, snaplen, code,
                                                      TWO_THREADS)
            matched += window_matched
            at = reached + base
            if at < stop or self._shrunk():
                return None  # damage, or a file that shrank under the map: counted again from the file
            if stopped():
                break
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
        if self._map is not None:
            self._map.close()
        self._file.close()

    def __enter__(self) -> "OfflineCapture":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


try:
    from netlab.capture._cprint import records as _c_records
except ImportError:  # built without a C compiler: the Python loop reads every record
    _c_records = None


def _map_file(fd: int, offset: int, length: int):
    """``length`` bytes of the file from ``offset`` (a page's start) mapped read-only, or None
    (nothing there, or unmappable). Its pages are mapped as the walks touch them: in two threads
    on a big file, where MAP_POPULATE would map them all first in one (measured: 4-5 ms slower on
    a 100 MB file)."""
    import mmap

    try:
        data = mmap.mmap(fd, length, access=mmap.ACCESS_READ, offset=offset)
    except (OSError, ValueError):
        return None
    data.madvise(mmap.MADV_WILLNEED)
    return data


_PAGE = os.sysconf("SC_PAGE_SIZE")  # a map starts at a multiple of it


class Collector:
    """pcapy's per-packet callback (dispatch()): keeps the packets as plain tuples.

    scale turns libpcap's fraction into the capture's unit. It is 1 everywhere:
    offline files keep their own unit, and a live capture asked for nanoseconds has
    libpcap stamp in nanoseconds (pcap_set_tstamp_precision).
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


class _PcapParser:
    """Classic pcap as libpcap 1.10 (sf-pcap.c) reads it: the same header checks, record checks and messages."""

    format = "pcap"

    def __init__(self, path: str, file: BufferedIOBase, head: bytes):
        if len(head) < 24:
            raise CaptureFileError.at(path, f"truncated dump file; tried to read 24 file header bytes, only got "
                                      f"{len(head) - 4}", "file header", CUT_SHORT)
        self.path = path
        self.file = file
        magic = struct.unpack_from("<I", head)[0]
        order, self.nanosecond = PCAP_MAGICS[magic]
        self.record_size = 24 if magic in KUZNETZOV_MAGICS else 16  # the patched header adds ifindex, protocol, type
        self.order = order
        _, major, minor, _zone, _sigfigs, snaplen, network = struct.unpack(order + "IHHiIII", head)
        if major < 2:
            raise CaptureFileError.at(path, "archaic pcap savefile format", "file header")
        if not ((major == 2 and minor <= 4) or (major == 543 and minor == 0)):
            raise CaptureFileError.at(path, f"unsupported pcap savefile version {major}.{minor}", "file header")
        # Before 2.3 (and in DG/UX's 543.0) the record said len before caplen; in 2.3, either order.
        self.lengths = "swapped" if (major == 543 or minor < 3) else "maybe" if minor == 3 else None
        self.linktype = network & LINKTYPE_MASK
        check_linktype(path, self.linktype)
        self.snaplen = adjust_snapshot(self.linktype, snaplen)
        if self.record_size == 24 and self.linktype == 1:  # libpcap: a cooked capture may add a fake Ethernet header
            self.snaplen = min(self.snaplen + 14, INT_MAX)
        # A bigger record is damage; one up to this size but past the snapshot is cut to the snapshot.
        self.max_caplen = max_snaplen(self.linktype)

    def batches(self, size: int, offset: int = 24) -> Iterator[list[Packet]]:
        """Records in the file's own precision, ``size`` at a time, a few MiB per read(); from the
        file's position, ``offset`` (where the records start, or a record's start)."""
        unpack_from = struct.Struct(self.order + "IIII").unpack_from
        read = self.file.read
        snaplen = self.snaplen
        hdr = self.record_size
        lengths = self.lengths
        limit = min(snaplen, self.max_caplen)
        # the plain records in C (a list of them per call); the loop below handles the rest
        in_c = _c_records if lengths is None and hdr == 16 else None
        big = self.order == ">"
        batch: list[Packet] = []
        append = batch.append
        buf = b""
        pos = 0  # offset: of buf[0] in the file
        records = 0
        while True:
            chunk = read(CHUNK)
            if not chunk:
                break
            offset += pos
            buf = buf[pos:] + chunk if pos < len(buf) else chunk
            pos = 0
            end = len(buf)
            while pos + hdr <= end:
                if in_c is not None:
                    plain, pos = in_c(buf, pos, big, limit, size - len(batch))
                    if plain:
                        batch += plain
                        records += len(plain)
                        if len(batch) >= size:
                            yield batch
                            batch = []
                            append = batch.append
                        continue
                    if pos + hdr > end:
                        break
                sec, frac, caplen, length = unpack_from(buf, pos)
                if lengths is not None and (lengths == "swapped" or caplen > length):
                    caplen, length = length, caplen
                start = pos + hdr
                stop = start + caplen
                if caplen > limit:  # rare: libpcap's checks, or a record cut to the snapshot
                    if caplen > self.max_caplen:
                        if batch:
                            yield batch
                        bound = f"snaplen of {snaplen}" if caplen > snaplen else f"maximum of {self.max_caplen}"
                        raise CaptureFileError.at(self.path, f"invalid packet capture length {caplen}, bigger than "
                                                  f"{bound}", f"record {records} at byte {offset + pos}")
                    if stop > end:
                        break
                    append((sec, frac, snaplen, length, buf[start:start + snaplen]))
                else:
                    if stop > end:
                        break
                    append((sec, frac, caplen, length, buf[start:stop]))
                pos = stop
                records += 1
                if len(batch) >= size:
                    yield batch
                    batch = []
                    append = batch.append
        if batch:
            yield batch
        rest = len(buf) - pos
        where = f"record {records} at byte {offset + pos}"
        if rest >= hdr:
            caplen, length = unpack_from(buf, pos)[2:]
            if lengths is not None and (lengths == "swapped" or caplen > length):
                caplen = length
            got = rest - hdr
            want = snaplen if caplen > snaplen and got < snaplen else caplen
            raise CaptureFileError.at(self.path, f"truncated dump file; tried to read {want} captured bytes, only got "
                                      f"{got}", where, CUT_SHORT)
        if rest > 0:
            raise CaptureFileError.at(self.path, f"truncated dump file; tried to read {hdr} header bytes, "
                                      f"only got {rest}", where, CUT_SHORT)
