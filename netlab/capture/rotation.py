"""-w with -C, -W and -G: the output file rotated by size or by time, as tcpdump 4.99 does it.

tcpdump's rules (dump_packet_and_trunc() and MakeFilename() in tcpdump.c), kept here:

* Names. ``-C`` numbers the files: FILE, FILE1, FILE2, ...; with ``-W N`` the
  number has as many digits as N-1 (FILE0..FILE9 for -W 10, FILE00.. for -W 11),
  and the ring starts again at 0, overwriting. ``-G`` passes FILE through
  strftime(3) at the time the file is opened (local time); with ``-C`` too, the
  number is appended to that.
* When. Before each packet is written: ``-G S`` starts a new file when S seconds
  (whole seconds of the clock, not of the packet) have passed since the current one
  was opened; ``-C M`` when the current file is already longer than M million bytes
  (so a file ends past M by at most one packet).
* ``-G`` with ``-W N`` and without ``-C``: the capture ends instead of opening file
  N+1 ("Maximum file limit reached: N"). The packet that would have opened it is
  not written.

No packet is lost at a boundary: the old file is closed whole (see writer.py)
before the next is opened, and the packet goes to the new one. Each file is a
complete pcap with its own header.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from netlab.capture.writer import PcapWriter

SIZE_UNIT = 1_000_000  # -C counts millions of bytes

_UNDECODABLE = re.compile("([\udc80-\udcff]+)")  # argv bytes that are not UTF-8: kept, not formatted


@dataclass(frozen=True, slots=True)
class Rotation:
    """-C (in bytes), -W and -G, each 0 when not given."""

    size_limit: int = 0
    files: int = 0
    seconds: int = 0

    @property
    def active(self) -> bool:
        return bool(self.size_limit or self.seconds)

    @property
    def width(self) -> int:
        """Digits of the file number (getWflagChars): those of files - 1; 0 without -W."""
        return len(str(self.files - 1)) if self.files > 1 else 0


class FileLimitReached(Exception):
    """-G with -W: the last file is full; the capture ends here."""


def file_name(pattern: str, number: int, width: int, when: int | None) -> str:
    """MakeFilename(): the pattern through strftime (with -G, at ``when``), then the number if any."""
    name = pattern
    if when is not None:
        moment = time.localtime(when)
        name = "".join(part if _UNDECODABLE.fullmatch(part) else time.strftime(part, moment)
                       for part in _UNDECODABLE.split(pattern) if part)
    if number == 0 and width == 0:
        return name
    return "%s%0*d" % (name, width, number)


class RotatingPcapWriter:
    """A PcapWriter that moves on to the next file as -C/-W/-G say (same write/flush/close)."""

    def __init__(self, pattern: str, linktype: int, snaplen: int, nano: bool, packet_buffered: bool,
                 rotation: Rotation, clock=time.time):
        self.rotation = rotation
        self._pattern = pattern
        self._args = (linktype, snaplen, nano, packet_buffered)
        self._clock = clock
        self._opened_at = int(clock())  # tcpdump's Gflag_time
        self._number = 0                # Cflag_count: the number in the name
        self._rotations = 0             # Gflag_count: files finished by -G
        self.names: list[str] = []      # every file opened, in order (a ring repeats names)
        self.writer = self._open()

    def _open(self) -> PcapWriter:
        r = self.rotation
        name = file_name(self._pattern, self._number, r.width if r.size_limit else 0,
                         self._opened_at if r.seconds else None)
        self.names.append(name)
        return PcapWriter(name, *self._args)

    def _next_file(self) -> None:
        self.writer.close()
        self.writer = self._open()

    def write(self, ts_sec: int, ts_frac: int, caplen: int, length: int, data: bytes) -> None:
        r = self.rotation
        if r.seconds:
            now = int(self._clock())
            if now - self._opened_at >= r.seconds:
                self._opened_at = now
                self._rotations += 1
                if not r.size_limit and r.files and self._rotations >= r.files:
                    self.writer.close()
                    raise FileLimitReached(f"Maximum file limit reached: {r.files}")
                self._number = 0
                self._next_file()
        if r.size_limit and self.writer.size > r.size_limit:
            self._number += 1
            if r.files and self._number >= r.files:
                self._number = 0
            self._next_file()
        self.writer.write(ts_sec, ts_frac, caplen, length, data)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()

    def __enter__(self) -> "RotatingPcapWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
