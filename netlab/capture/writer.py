"""The pcap writer behind `-w`: a classic pcap file that is valid at every moment.

Why not pcapy's dumper: it cannot flush (so `-U` is impossible) and it only
finishes the file when the object is closed. Here the records are assembled in
our own buffer and handed to the kernel whole, so the file on disk always ends
on a record boundary: `tcpdump -r` can read it while it grows, after Ctrl-C,
after SIGTERM. ``packet_buffered`` (-U) writes each packet as it comes.
"""

from __future__ import annotations

import errno
import os
import struct

from netlab.core import signals
from netlab.errors import UsageError

MAGIC_MICRO = 0xA1B2C3D4
MAGIC_NANO = 0xA1B23C4D
VERSION = (2, 4)
BUFFER_BYTES = 256 * 1024  # one write() per quarter megabyte of packets

_FILE_HEADER = struct.Struct("=IHHiIII")
_RECORD_HEADER = struct.Struct("=IIII")
# Held back while bytes go to the kernel, so that a Ctrl-C cannot land between a write()
# and the note of what it wrote (close() would then write those bytes a second time).
_HELD_SIGNALS = {signals.SIGINT, signals.SIGTERM}


class PcapWriter:
    """Append packets to a new pcap file (native byte order, as libpcap writes it).

    Use as a context manager, or call ``close()`` on every exit path: that is
    what flushes the last buffered packets.
    """

    def __init__(self, path: str, linktype: int, snaplen: int = 262144, nano: bool = False,
                 packet_buffered: bool = False):
        self.path = path
        self.nano = nano
        self.packet_buffered = packet_buffered
        try:
            if path == "-":
                self._fd = os.dup(1)
            else:
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise UsageError(f"cannot write {path}: {err.strerror}", "check the directory exists and is writable") from None
        self._failed = False  # a write failed: nothing more is written, close() only closes
        self._written = 0     # bytes handed to the kernel so far
        self._buf = bytearray()
        magic = MAGIC_NANO if nano else MAGIC_MICRO
        self._buf += _FILE_HEADER.pack(magic, VERSION[0], VERSION[1], 0, 0, snaplen, linktype)
        try:
            self.flush()  # the header alone is already a valid, empty capture
        except BaseException:
            self.close()
            raise

    def write(self, ts_sec: int, ts_frac: int, caplen: int, length: int, data: bytes) -> None:
        """One packet; ts_frac in the file's unit (microseconds, or nanoseconds if nano)."""
        buf = self._buf
        # The bytes we hold are what was captured: they, not caplen, size the record.
        buf += _RECORD_HEADER.pack(ts_sec, ts_frac, len(data), length)
        buf += data
        if self.packet_buffered or len(buf) >= BUFFER_BYTES:
            self.flush()

    def flush(self) -> None:
        """Hand every complete record buffered so far to the kernel.

        A failed write (a full disk, a quota) is a UsageError naming the file; a
        closed pipe stays a BrokenPipeError, which the CLI ends quietly.
        """
        if self._failed or not self._buf:
            return
        view = memoryview(self._buf)
        done = 0
        held = signals.pthread_sigmask(signals.SIG_BLOCK, _HELD_SIGNALS)
        try:
            while done < len(view):
                done += os.write(self._fd, view[done:])
        except OSError as err:
            self._failed = True
            if isinstance(err, BrokenPipeError):
                raise
            raise write_error(self.path, err) from None
        finally:
            view.release()
            del self._buf[:done]
            self._written += done
            signals.pthread_sigmask(signals.SIG_SETMASK, held)  # a held Ctrl-C is handled now

    @property
    def size(self) -> int:
        """The file's length once what is buffered is written: pcap_dump_ftell(), which -C compares."""
        return self._written + len(self._buf)

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            self.flush()
        finally:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "PcapWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_error(what: str, err: OSError) -> UsageError:
    """The one line for output that the kernel refused (tcpdump's strerror words)."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "the disk is full or the file too big; write elsewhere"
    else:
        hint = "check the disk and the file"
    return UsageError(f"cannot write {what}: {err.strerror}", hint)
