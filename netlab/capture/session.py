"""One capture run: a source (live interface or file), a sink, and the pump between them.

The pump moves packets in batches (what the kernel handed over, or 1024 from
a file), stops at -c, and always closes the sink, so a -w file is complete
whatever ends the run (end of file, -c, Ctrl-C, SIGTERM, a closed pipe). What
it returns is the tcpdump summary: captured, received by filter, dropped by kernel.
"""

from __future__ import annotations

from netlab.capture.reader import OfflineCapture, Packet

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: collections (1.4 ms) is not imported at start-up
    from collections.abc import Iterator


_LINKTYPE_LINUX_SLL2 = 276  # its interface column is an index, named by the reading machine


class Sink:
    """What the pump needs of a sink (netlab.capture.sinks; they need not inherit this)."""

    def consume(self, batch: list[Packet]) -> None: ...  # may raise SinkFull
    def finish(self) -> None: ...   # the run ended normally: print totals, tables
    def close(self) -> None: ...    # always: release files and streams


class SinkFull(Exception):
    """A sink that takes no more packets (-G with -W wrote its last file): the run ends.

    ``taken``: how many packets of the batch it took; the message is what tcpdump says.
    """

    def __init__(self, message: str, taken: int):
        super().__init__(message)
        self.taken = taken


class CaptureSummary:
    """tcpdump's counts at the end of a run. A plain class, not a dataclass: the
    dataclasses module costs `netlab capture --count` a third of its start-up."""

    __slots__ = ("live", "captured", "received_by_filter", "dropped_by_kernel", "dropped_by_interface", "ended_by")

    def __init__(self, live: bool, captured: int, received_by_filter: int, dropped_by_kernel: int,
                 dropped_by_interface: int, ended_by: str | None = None):
        self.live = live
        self.captured = captured
        self.received_by_filter = received_by_filter
        self.dropped_by_kernel = dropped_by_kernel
        self.dropped_by_interface = dropped_by_interface
        self.ended_by = ended_by  # the sink that ended the run, in tcpdump's words

    def summary_lines(self) -> list[str]:
        """tcpdump's closing lines; like tcpdump, nothing but why it ended when reading a file."""
        first = [self.ended_by] if self.ended_by else []
        if not self.live:
            return first
        lines = first + [packet_count(self.captured, "captured"), packet_count(self.received_by_filter, "received by filter"),
                 packet_count(self.dropped_by_kernel, "dropped by kernel")]
        if self.dropped_by_interface:
            lines.append(packet_count(self.dropped_by_interface, "dropped by interface"))
        return lines

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}


def packet_count(n: int, what: str = "") -> str:
    """tcpdump's "1 packet", "2 packets captured"."""
    text = f"{n} packet{'' if n == 1 else 's'}"
    return f"{text} {what}" if what else text


class _Source:
    """What both sources share: a context manager closing the capture underneath (self._capture)."""

    def close(self) -> None:
        self._capture.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FileSource(_Source):
    """A capture file as a source; stoppable between batches."""

    live = False
    warnings: list[str] = []

    def __init__(self, path: str, expression: str | None, nano: bool):
        self._capture = OfflineCapture(path, expression, nano)
        self.path = path
        self.linktype = self._capture.linktype
        self.snaplen = self._capture.snaplen
        self._stop = False

    def banner(self) -> str:
        from netlab.capture.linktypes import linktype_name

        line = (f"reading from file {self.path}, link-type {linktype_name(self.linktype)}, "
                f"snapshot length {self.snaplen}")
        if self.linktype == _LINKTYPE_LINUX_SLL2:  # tcpdump's second line: the names are this machine's
            line += "\nWarning: interface names might be incorrect"
        return line

    def request_stop(self) -> None:
        self._stop = True

    def batches(self, size: int) -> Iterator[list[Packet]]:
        for batch in self._capture.batches(size):
            yield batch
            if self._stop:
                return

    def count(self) -> int:
        """The --count fast path; a stop request (Ctrl-C) ends it with the count so far."""
        return self._capture.count(lambda: self._stop)

    def outcome(self, captured: int) -> CaptureSummary:
        return CaptureSummary(False, captured, self._capture.matched, 0, 0)


class LiveSource(_Source):
    """A live interface as a source."""

    live = True

    def __init__(self, interface: str | None, snaplen: int, expression: str | None, nano: bool, promisc: bool,
                 buffer_bytes: int | None = None, direction: str | None = None, **tuning):
        from netlab.capture.live import LiveCapture, default_device

        self.device = interface or default_device()
        # tuning: immediate, tstamp_type, linktype (--immediate-mode, -j, -y)
        self._capture = LiveCapture(self.device, snaplen, expression, promisc=promisc, nano=nano,
                                    buffer_bytes=buffer_bytes, direction=direction, **tuning)
        self.linktype = self._capture.linktype
        self.snaplen = self._capture.snaplen
        self.warnings = self._capture.warnings

    def banner(self) -> str:
        from netlab.capture.linktypes import linktype_name

        return f"listening on {self.device}, link-type {linktype_name(self.linktype)}, snapshot length {self.snaplen} bytes"

    def request_stop(self) -> None:
        self._capture.request_stop()

    def batches(self, size: int) -> Iterator[list[Packet]]:
        return self._capture.batches()

    def outcome(self, captured: int) -> CaptureSummary:
        stats = self._capture.close()
        return CaptureSummary(True, captured, stats.received_by_filter, stats.dropped_by_kernel, stats.dropped_by_interface)


def open_source(read_file: str | None, interface: str | None, snaplen: int, expression: str | None,
                nano: bool = False, promisc: bool = True, buffer_bytes: int | None = None,
                direction: str | None = None, **tuning) -> FileSource | LiveSource:
    """A file (-r) or a live device; ``tuning`` (immediate, tstamp_type, linktype) only applies live, as in tcpdump."""
    if read_file:
        return FileSource(read_file, expression, nano)
    return LiveSource(interface, snaplen, expression, nano, promisc, buffer_bytes, direction, **tuning)


def pump(source: FileSource | LiveSource, sink: Sink, count: int | None = None, batch_size: int = 1024) -> CaptureSummary:
    """Move packets from source to sink until the end, -c COUNT, a stop request, or a full sink."""
    done = 0
    ended_by = None
    try:
        for batch in source.batches(batch_size):
            last = count is not None and done + len(batch) >= count
            if last:
                batch = batch[:count - done]
            try:
                sink.consume(batch)
            except SinkFull as full:
                done += full.taken
                ended_by = str(full)
                break
            done += len(batch)
            if last:
                break
        outcome = source.outcome(done)
        outcome.ended_by = ended_by
        sink.finish()
    finally:
        sink.close()
    return outcome
