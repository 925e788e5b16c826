"""Where captured packets go: text lines, JSON lines, a pcap file, a count, a talker table, layers.

Each sink takes whole batches, so the text paths build one string per batch
and make one write() of it: the per-packet cost is the formatting alone.
Sinks write to the stream they are given; they never open stdout themselves.
"""

from __future__ import annotations

import time
from itertools import starmap
from io import TextIOBase as TextIO  # the stream's kind, for the annotations

from netlab.capture.reader import Packet
from netlab.capture.session import SinkFull, packet_count
from netlab.capture.writer import PcapWriter

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: collections (1.4 ms) is not imported at start-up
    from collections.abc import Callable


class LineSink:
    """One line per packet, each batch's text in one write(): tcpdump's lines or JSON lines."""

    def __init__(self, text: Callable[[list[Packet]], str], stream: TextIO, flush_each_batch: bool):
        self._text = text  # a batch's lines, each ending in a newline
        self._stream = stream
        self._flush = flush_each_batch

    def consume(self, batch: list[Packet]) -> None:
        text = self._text(batch)
        if text:
            self._stream.write(text)
        if self._flush:
            self._stream.flush()

    def finish(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        pass


def text_sink(linktype: int, options, stream: TextIO, flush_each_batch: bool) -> LineSink:
    """tcpdump's lines."""
    from netlab.capture.decode import Formatter

    return LineSink(Formatter(linktype, options).format_batch, stream, flush_each_batch)


def jsonl_sink(linktype: int, options, stream: TextIO, flush_each_batch: bool) -> LineSink:
    """One JSON object per packet (keys pinned in the man page)."""
    from netlab.capture.decode import Formatter

    record = Formatter(linktype, options).record
    import json  # here: a text listing does not need it

    encode = json.JSONEncoder(separators=(",", ":")).encode
    return LineSink(lambda batch: "".join([encode(r) + "\n" for r in starmap(record, batch)]), stream,
                    flush_each_batch)


class PcapSink:
    """-w FILE: a pcap that is complete at every record boundary (see writer.py); rotated with -C/-G."""

    def __init__(self, path: str, linktype: int, snaplen: int, nano: bool, packet_buffered: bool,
                 rotation=None):
        # rotation: a netlab.capture.rotation.Rotation (-C, -W, -G); that module is loaded only for one
        self._rotating = rotation is not None and rotation.active
        if self._rotating:
            from netlab.capture.rotation import FileLimitReached, RotatingPcapWriter

            self._file_limit = FileLimitReached
            self.writer = RotatingPcapWriter(path, linktype, snaplen, nano, packet_buffered, rotation)
        else:
            self.writer = PcapWriter(path, linktype, snaplen, nano=nano, packet_buffered=packet_buffered)

    def consume(self, batch: list[Packet]) -> None:
        write = self.writer.write
        if not self._rotating:
            for packet in batch:
                write(*packet)
            return
        for taken, packet in enumerate(batch):
            try:
                write(*packet)
            except self._file_limit as full:
                raise SinkFull(str(full), taken) from None

    def finish(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


class TeeSink:
    """--print with -w: the packets written, then printed (tcpdump's order)."""

    def __init__(self, writer: PcapSink, printer: LineSink):
        self._writer = writer
        self._printer = printer

    def consume(self, batch: list[Packet]) -> None:
        try:
            self._writer.consume(batch)
        except SinkFull as full:
            if full.taken:
                self._printer.consume(batch[:full.taken])
            raise
        self._printer.consume(batch)

    def finish(self) -> None:
        self._writer.finish()
        self._printer.finish()

    def close(self) -> None:
        try:
            self._writer.close()
        finally:
            self._printer.close()


class CountSink:
    """--count: tcpdump's `N packets` line, and nothing else."""

    def __init__(self, stream: TextIO):
        self.count = 0
        self._stream = stream

    def consume(self, batch: list[Packet]) -> None:
        self.count += len(batch)

    def finish(self) -> None:
        self._stream.write(packet_count(self.count) + "\n")
        self._stream.flush()

    def close(self) -> None:
        pass


class StatsSink:
    """--stats: top talkers, flows and protocols; redrawn every second on a terminal during a live capture."""

    REDRAW_SECONDS = 1.0

    def __init__(self, linktype: int, stream: TextIO, live: bool, fmt: str = "table"):
        from netlab.capture.decode import Formatter
        from netlab.capture.options import FormatOptions
        from netlab.capture.stats import TalkerStats

        self._record = Formatter(linktype, FormatOptions()).record
        self.stats = TalkerStats()
        self._stream = stream
        self._fmt = fmt
        self._redraw = live and fmt == "table" and _isatty(stream)
        self._last = time.monotonic()

    def consume(self, batch: list[Packet]) -> None:
        record, add = self._record, self.stats.add
        for packet in batch:
            add(record(*packet))
        if self._redraw and time.monotonic() - self._last >= self.REDRAW_SECONDS:
            self._last = time.monotonic()
            self._stream.write("\x1b[H\x1b[2J" + self.render() + "\n")
            self._stream.flush()

    def render(self) -> str:
        from netlab.capture.stats import render_jsonl, render_table

        return render_jsonl(self.stats) if self._fmt == "jsonl" else render_table(self.stats)

    def finish(self) -> None:
        self._stream.write(self.render() + "\n")
        self._stream.flush()

    def close(self) -> None:
        pass


class LayersSink:
    """--layers: tcpdump's line, then scapy's dissection of every layer (slow: scapy)."""

    def __init__(self, linktype: int, options, stream: TextIO):
        from netlab.capture.decode import Formatter
        from netlab.capture.layers import Dissector

        self._format = Formatter(linktype, options).format
        self._dissect = Dissector(linktype).show
        self._stream = stream

    def consume(self, batch: list[Packet]) -> None:
        parts = []
        for packet in batch:
            parts.append(self._format(*packet))
            parts.append(self._dissect(packet[4]))
        self._stream.write("\n".join(parts) + "\n")
        self._stream.flush()

    def finish(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        pass


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class AnalysisSink:
    """--stats conv|endpoints|io|tcp and --follow: read the header fields (view.py), print the table at the end."""

    def __init__(self, linktype: int, stream: TextIO, nano: bool, fmt: str, stats=None, follow=None,
                 top: int | None = None, chart: bool = False):
        from netlab.capture.tcpstreams import StreamTracker
        from netlab.capture.view import Viewer

        self._view = Viewer(linktype, nano).view
        self._stream = stream
        self._fmt, self._top, self._chart = fmt, top, chart
        self._spec = stats
        self._tracker = StreamTracker()
        # streams are numbered only where they are shown: --stats tcp, --follow, tcp conversations
        self._track = follow is not None or stats.kind == "tcp" or (stats.kind == "conv" and "tcp" in stats.layers)
        self._table = self._io = self._follower = None
        if follow is not None:
            from netlab.capture.follow import Follower

            self._follower = Follower(follow)
        elif stats.kind in ("conv", "endpoints"):
            from netlab.capture.conversations import ConversationTable

            self._table = ConversationTable(stats.layers, endpoints=stats.kind == "endpoints")
        elif stats.kind == "io":
            from netlab.capture.iostat import IoStats

            self._io = IoStats(stats.interval, stats.filters, linktype)

    def consume(self, batch: list[Packet]) -> None:
        view, track = self._view, self._tracker.add if self._track else None
        for packet in batch:
            seen = view(packet)
            stream = track(seen) if track else None
            if self._table is not None:
                self._table.add(seen, stream.stream if stream is not None else None)
            elif self._io is not None:
                self._io.add(seen)
            elif self._follower is not None:
                self._follower.add(seen, stream)

    def render(self) -> str:
        from netlab import output

        if self._follower is not None:
            from netlab.capture.follow import render

            return render(self._follower)
        if self._io is not None:
            from netlab.capture import iostat

            rows = self._io.intervals()
            text = output.render(rows, self._fmt, iostat.columns(), iostat.INTERVAL_KEYS)
            return text + "\n\n" + iostat.chart(rows) if self._chart and rows else text
        if self._table is not None:
            from netlab.capture import conversations as conv

            if self._spec.kind == "conv":
                return output.render(self._table.conversations(self._top), self._fmt, conv.conversation_columns(),
                                     conv.CONVERSATION_KEYS)
            return output.render(self._table.endpoints(self._top), self._fmt, conv.endpoint_columns(),
                                 conv.ENDPOINT_KEYS)
        from netlab.capture import tcpstreams

        streams = self._tracker.streams
        if self._top:  # the N largest, still in stream order
            streams = sorted(sorted(streams, key=lambda s: -s.bytes)[:self._top], key=lambda s: s.stream)
        return output.render(streams, self._fmt, tcpstreams.stream_columns(), tcpstreams.STREAM_KEYS)

    def finish(self) -> None:
        text = self.render()
        if text:
            self._stream.write(text + "\n")
        self._stream.flush()

    def close(self) -> None:
        pass
