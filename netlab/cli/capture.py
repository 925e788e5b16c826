"""`netlab capture`: tcpdump's options and output, over libpcap.

Thin on purpose: parse tcpdump-style options, open a source (live or file),
choose a sink (text lines, jsonl, pcap file, counts, talker table, scapy
layers), pump packets from one to the other in batches, and print tcpdump's
summary. The capture, filtering, decoding and writing live in netlab.capture.
"""

from __future__ import annotations

import signal
import sys
from typing import Callable, List, Optional

import typer

from netlab.errors import UsageError

TEXT_BATCH = 1024  # offline: lines per write()


def register(app: typer.Typer) -> None:
    app.command(
        name="capture",
        help="Capture or read packets and print them as tcpdump does (libpcap filters, pcap files).",
        context_settings={"help_option_names": ["-h", "--help"]},
    )(capture)


def capture(
    expression: Optional[List[str]] = typer.Argument(None, metavar="[EXPRESSION]...",
                                                     help="pcap-filter(7) expression, as with tcpdump."),
    interface: Optional[str] = typer.Option(None, "-i", "--interface", metavar="IFACE",
                                            help="Capture on IFACE ('any' for all). Default: the first up, non-loopback one."),
    read_file: Optional[str] = typer.Option(None, "-r", metavar="FILE", help="Read packets from a pcap or pcapng file ('-' for stdin)."),
    write_file: Optional[str] = typer.Option(None, "-w", metavar="FILE", help="Write the packets to a pcap file instead of printing them."),
    packet_buffered: bool = typer.Option(False, "-U", "--packet-buffered", help="With -w: write each packet to the file as it comes."),
    count: Optional[int] = typer.Option(None, "-c", metavar="COUNT", help="Stop after COUNT packets."),
    snaplen: int = typer.Option(262144, "-s", "--snapshot-length", metavar="SNAPLEN", show_default=False, help="Capture at most SNAPLEN bytes per packet (0: 262144)."),
    numeric: int = typer.Option(0, "-n", count=True, show_default=False, help="Don't convert addresses or ports to names."),
    quiet: bool = typer.Option(False, "-q", help="Quiet: less protocol information per line."),
    link: bool = typer.Option(False, "-e", help="Print the link-level header."),
    stamps: int = typer.Option(0, "-t", count=True, show_default=False, help="-t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first."),
    number: bool = typer.Option(False, "-#", "--number", help="Number the lines."),
    hex_x: int = typer.Option(0, "-x", count=True, show_default=False, help="-x hex of the packet, -xx including the link header."),
    hex_ascii: int = typer.Option(0, "-X", count=True, show_default=False, help="-X hex and ASCII, -XX including the link header."),
    ascii_only: int = typer.Option(0, "-A", count=True, show_default=False, help="-A ASCII of the packet, -AA including the link header."),
    line_buffered: bool = typer.Option(False, "-l", help="Line-buffered output: each line is flushed at once."),
    verbose: int = typer.Option(0, "-v", count=True, show_default=False, help="More detail (IP TTL, id, flags, length, checksums)."),
    no_promisc: bool = typer.Option(False, "-p", "--no-promiscuous-mode", help="Don't put the interface in promiscuous mode."),
    list_interfaces: bool = typer.Option(False, "-D", "--list-interfaces", help="List the devices to capture on and exit."),
    count_only: bool = typer.Option(False, "--count", help="Only print how many packets match."),
    nano: bool = typer.Option(False, "--nano", help="Nanosecond timestamps."),
    stats: bool = typer.Option(False, "--stats", help="Instead of lines: top talkers, flows and protocols."),
    layers: bool = typer.Option(False, "--layers", help="Dissect each packet into its layers (scapy)."),
    fmt: str = typer.Option("table", "--format", metavar="table|jsonl", show_default=False, help="Lines as tcpdump prints them (table) or JSON lines."),
) -> int:
    from netlab.capture import session

    if list_interfaces:
        return _list_devices(fmt)
    if fmt not in ("table", "jsonl"):
        raise UsageError(f"unknown format {fmt!r}", "use --format table or --format jsonl")
    if count is not None and count <= 0:
        raise UsageError(f"invalid packet count {count}", "-c takes a positive number")
    if not 0 <= snaplen <= 262144:
        raise UsageError(f"invalid snaplen {snaplen}", "-s takes 0-262144 (0 means 262144)")
    if packet_buffered and not write_file:
        packet_buffered = False  # tcpdump: -U only matters with -w
    if sum(map(bool, (write_file, count_only, stats, layers))) > 1:
        raise UsageError("choose one of -w, --count, --stats, --layers", "they are different outputs")
    if read_file and interface:
        raise UsageError("-r and -i both given", "read a file or capture live, not both")

    filter_text = " ".join(expression or []) or None
    source = session.open_source(read_file=read_file, interface=interface, snaplen=snaplen,
                                 expression=filter_text, nano=nano, promisc=not no_promisc)
    with source:
        _say(source.banner())
        if count_only and not source.live and count is None:
            # The fast path: libpcap's verdict per packet, no batches built.
            from netlab.capture.sinks import count_line

            print(count_line(source.count()), flush=True)
            return 0
        sink = _make_sink(source, fmt, write_file, packet_buffered, count_only, stats, layers, line_buffered, nano,
                          FormatChoice(quiet, link, verbose, stamps, number, hex_x, hex_ascii, ascii_only, numeric))
        outcome = session.pump(source, sink, count=count, batch_size=1 if line_buffered else TEXT_BATCH,
                               install_signals=_signal_stopper)
    for line in outcome.summary_lines():
        _say(line)
    return 0


class FormatChoice:
    """tcpdump's output switches, turned into the formatter's options."""

    def __init__(self, quiet, link, verbose, stamps, number, hex_x, hex_ascii, ascii_only, numeric):
        self.quiet, self.link, self.verbose, self.stamps, self.number = quiet, link, verbose, stamps, number
        self.hex_x, self.hex_ascii, self.ascii_only, self.numeric = hex_x, hex_ascii, ascii_only, numeric

    def hex_mode(self) -> str | None:
        # tcpdump's precedence: -X over -x over -A; doubling adds the link header.
        if self.hex_ascii:
            return "XX" if self.hex_ascii > 1 else "X"
        if self.hex_x:
            return "xx" if self.hex_x > 1 else "x"
        if self.ascii_only:
            return "AA" if self.ascii_only > 1 else "A"
        return None

    def options(self, nano: bool):
        from netlab.capture.decode import FormatOptions

        return FormatOptions(quiet=self.quiet, link=self.link, verbose=self.verbose, ts_mode=min(self.stamps, 5),
                             nano=nano, number=self.number, hex_mode=self.hex_mode(), numeric=True)


def _make_sink(source, fmt, write_file, packet_buffered, count_only, stats, layers, line_buffered, nano, choice):
    from netlab.capture import sinks

    if write_file:
        return sinks.PcapSink(write_file, source.linktype, source.snaplen, nano, packet_buffered)
    if count_only:
        return sinks.CountSink(sys.stdout)
    if stats:
        return sinks.StatsSink(source.linktype, sys.stdout, live=source.live, fmt=fmt)
    options = choice.options(nano)
    if layers:
        return sinks.LayersSink(source.linktype, options, sys.stdout)
    if fmt == "jsonl":
        return sinks.JsonlSink(source.linktype, options, sys.stdout, line_buffered or source.live)
    return sinks.TextSink(source.linktype, options, sys.stdout, line_buffered or source.live)


def _signal_stopper(stop: Callable[[], None]) -> None:
    """Ctrl-C and SIGTERM: first ask the capture to stop (drain, summary); a second one is final."""
    def handler(signum, frame):
        if getattr(handler, "fired", False):
            raise KeyboardInterrupt
        handler.fired = True
        stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _list_devices(fmt: str) -> int:
    from netlab import render
    from netlab.capture.live import list_devices

    devices = list_devices()
    if fmt == "jsonl":
        print("\n".join(render.to_jsonl_line(d.as_dict()) for d in devices))
        return 0
    for d in devices:
        name = f"{d.name} ({d.description})" if d.description else d.name
        flags = ", ".join(d.flags()) or "none"
        print(f"{d.index}.{name} [{flags}]")
    return 0


def _say(line: str | None) -> None:
    if line:
        print(line, file=sys.stderr, flush=True)
