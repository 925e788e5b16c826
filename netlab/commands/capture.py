"""What `netlab capture` does with its options: tcpdump's run, over libpcap.

The options come parsed and checked, each by its name in the typer declaration
(netlab.cli.capture), from typer or from the fast lane (netlab.cli.fastlane); no
click or typer here. Thin on purpose: open a source (live or file), choose a sink
(text lines, jsonl, pcap file, counts, talker table, scapy layers), pump packets
from one to the other in batches, and print tcpdump's summary. The capture,
filtering, decoding and writing live in netlab.capture.
"""

from __future__ import annotations

import sys
from netlab.cli import common
from netlab.errors import ExitStatus, UsageError

TEXT_BATCH = 1024  # offline: lines per write()
FORMATS = ("table", "jsonl")  # packets are a stream
TABLE_FORMATS = ("table", "json", "jsonl", "csv")  # --stats conv, endpoints, io, tcp: lists of records
DEVICE_FORMATS = ("table", "json", "jsonl", "csv")  # -D is a list of records
DEVICE_KEYS = ("index", "name", "description", "up", "running", "loopback", "connected", "flags")


def knows_linktype(name: str) -> bool:
    """-y's check: a data link type name libpcap knows (libpcap is loaded only when -y is given)."""
    from netlab.capture import pcapctl

    return pcapctl.knows_datalink(name)


def knows_tstamp_type(name: str) -> bool:
    """-j's check: a time stamp type name libpcap knows."""
    from netlab.capture import pcapctl

    return pcapctl.knows_tstamp_type(name)


def capture(
    *, expression, interface, read_file, write_file, packet_buffered, print_too, file_size, file_count,
    rotate_seconds, user, filter_file, count, snaplen, numeric, quiet, link, stamps, number, hex_x, hex_ascii,
    ascii_only, line_buffered, verbose, absolute_seq, no_checksums, no_promisc, buffer_kib, direction,
    linktype, list_linktypes, tstamp_type, list_tstamp_types, precision, immediate, list_interfaces,
    count_only, nano, stats, top, follow, chart, layers, fmt,
) -> ExitStatus:
    printing = not write_file or print_too
    request = Request(
        read_file=read_file, interface=interface, write_file=write_file,
        packet_buffered=packet_buffered and bool(write_file),
        count=count, snaplen=snaplen, expression=" ".join(expression or []) or None, promisc=not no_promisc,
        buffer_kib=buffer_kib, direction=direction, nano=nano or precision == "nano",
        # tcpdump(8): -U also makes printed lines packet-buffered
        line_buffered=line_buffered or (packet_buffered and printing), fmt=fmt,
        count_only=count_only, stats=stats, layers=layers, top=top, follow=follow, chart=chart,
        switches=dict(quiet=quiet, link=link, verbose=verbose, stamps=stamps, number=number, hex_x=hex_x,
                      hex_ascii=hex_ascii, ascii_only=ascii_only, absolute_seq=absolute_seq, no_checksums=no_checksums),
        print_too=print_too and bool(write_file), file_size=file_size, file_count=file_count,
        rotate_seconds=rotate_seconds, user=user, filter_file=filter_file, immediate=immediate,
        tstamp_type=tstamp_type,
        # tcpdump 4.99: `-i any` captures Linux cooked v2 unless -y says otherwise (and says so)
        linktype=linktype or ("LINUX_SLL2" if interface == "any" and not read_file else None),
    )
    if list_interfaces:  # tcpdump -D ignores the other options; a bad --format is still an error
        return _list_devices(common.check_format(fmt, DEVICE_FORMATS, "for -D"))
    if nano and precision == "micro":
        raise UsageError("--nano and --time-stamp-precision micro disagree", "give one of them")
    if (list_linktypes or list_tstamp_types) and not read_file:  # tcpdump: only for a live device
        return _list_types(request.interface, tstamps=list_tstamp_types)
    request.validate()
    try:
        return _run(request)
    except BrokenPipeError:
        # The reader went away (`| head`). Handled here because click turns EPIPE into
        # exit 1 before the top-level guard could see it.
        return common.quiet_pipe()


class Request:
    """One run's options as the run reads them; validate() checks them together.

    A plain class, not a dataclass: the dataclasses module would cost `netlab capture
    --count` a third of its start-up. Every field is given.
    """

    __slots__ = (
        "read_file", "interface", "write_file", "packet_buffered", "count", "snaplen", "expression", "promisc",
        "buffer_kib", "direction", "nano", "line_buffered", "fmt", "count_only", "layers",
        "stats",           # --stats: a netlab.capture.statspec.StatsSpec, or None
        "switches",        # tcpdump's line switches by name (netlab.capture.options.Look's fields)
        "print_too",       # --print
        "file_size",       # -C, in millions of bytes
        "file_count",      # -W
        "rotate_seconds",  # -G
        "user",            # -Z
        "filter_file",     # -F
        "immediate", "tstamp_type", "linktype",  # --immediate-mode, -j, -y
        "top", "follow", "chart",  # --top, --follow (a statspec.FollowSpec), --chart
    )

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields.pop(name))
        if fields:
            raise TypeError(f"Request has no field {sorted(fields)[0]}")

    @property
    def look(self):
        """The switches as the printers take them (imported here: counting and writing need none)."""
        from netlab.capture.options import Look

        return Look(**self.switches)

    def rotation(self):
        from netlab.capture.rotation import SIZE_UNIT, Rotation

        return Rotation(size_limit=(self.file_size or 0) * SIZE_UNIT, files=self.file_count or 0,
                        seconds=self.rotate_seconds or 0)

    @property
    def analysis(self) -> bool:
        """A table of records read from the headers: --stats conv, endpoints, io, tcp."""
        return self.stats is not None and self.stats.kind != "talkers"

    def validate(self) -> None:
        # Each value on its own was checked as click parsed it (netlab.cli.types): an empty
        # -r or -w, a count, a snaplen, a buffer size. These are the combinations.
        if self.analysis:
            common.check_format(self.fmt, TABLE_FORMATS, f"for --stats {self.stats.kind}")
        elif self.follow is not None:
            common.check_format(self.fmt, ("table",), "for --follow")
        else:
            common.check_format(self.fmt, FORMATS, "for packets")
        outputs = (self.write_file, self.count_only, self.stats, self.layers, self.follow)
        if sum(x is not None and x is not False for x in outputs) > 1:
            raise UsageError("choose one of -w, --count, --stats, --layers, --follow", "they are different outputs")
        if self.top is not None and not (self.analysis and self.stats.kind != "io"):
            raise UsageError("--top applies to --stats conv, endpoints and tcp", "add one of them")
        if self.chart and not (self.stats is not None and self.stats.kind == "io" and self.fmt == "table"):
            raise UsageError("--chart draws --stats io as a table", "add --stats io,SECONDS (and no --format)")
        if self.write_file and self.fmt != "table" and not self.print_too:
            raise UsageError("--format applies to printed packets; -w writes a pcap",
                             f"read it back with: netlab capture -r FILE --format {self.fmt}")
        if self.read_file and self.interface:
            raise UsageError("-r and -i both given", "read a file or capture live, not both")
        if self.write_file == "-" and (self.file_size or self.rotate_seconds):
            raise UsageError("-C and -G rotate files; -w - is standard output", "give -w a file name")
        if self.write_file == "-" and self.print_too:
            raise UsageError("--print with -w -: the lines and the pcap would share standard output",
                             "give -w a file name")
        from netlab.core import privilege

        if self.user is not None and privilege.is_root() and privilege.user_entry(self.user) is None:
            # tcpdump finds this out after opening the device; nothing is opened for a typo here
            raise UsageError(f"couldn't find user '{self.user}'", "give -Z a user of this system: see getent passwd")


def _run(request: Request) -> ExitStatus:
    from netlab.capture import session

    expression = request.expression
    if request.filter_file is not None:
        from netlab.capture.bpf import read_filter_file

        if expression:
            _say("netlab: note: -F given: the expression on the command line is ignored, as tcpdump ignores it")
        expression = read_filter_file(request.filter_file)
    source = session.open_source(read_file=request.read_file, interface=request.interface, snaplen=request.snaplen,
                                 expression=expression, nano=request.nano or request.analysis,
                                 promisc=request.promisc,
                                 buffer_bytes=request.buffer_kib * 1024 if request.buffer_kib else None,
                                 direction=request.direction, immediate=request.immediate,
                                 tstamp_type=request.tstamp_type, linktype=request.linktype)
    # The handlers before the banner: a Ctrl-C from the moment it is shown stops the run with
    # its summary. They stay through the summary and the close, and go back after them.
    with common.handling(common.stop_then_interrupt(source.request_stop)), source:
        from netlab.capture.linktypes import linktype_name
        from netlab.capture.reader import CaptureFileError
        from netlab.capture.session import packet_count

        for warning in source.warnings:
            _say(f"netlab: note: {warning}")
        sink = None
        if request.user is not None:
            # tcpdump -Z: the device is open and filtered; the -w files are made by USER
            sink = _drop_privileges(request, source)
        if source.live and request.linktype is not None:
            _say(f"data link type {linktype_name(source.linktype).split(' ', 1)[0]}")
        _say(source.banner())
        if request.count_only and not source.live and request.count is None:
            # The fast path: libpcap counts in C, as tcpdump does; no packet reaches Python.
            try:  # a Ctrl-C ends the count early: the count so far is printed, as tcpdump does
                _print(packet_count(source.count()))
            except CaptureFileError as err:
                _print(packet_count(err.packets_before or 0))  # tcpdump too counts up to the damage
                raise
            return ExitStatus.OK
        sink = sink or _make_sink(request, source)
        outcome = session.pump(source, sink, count=request.count,
                               batch_size=1 if request.line_buffered else TEXT_BATCH)
        for line in outcome.summary_lines():
            _say(line)
    return ExitStatus.OK


def _drop_privileges(request: Request, source):
    """-Z: become the user; returns the sink if it had to be made before (None: make it after).

    Once USER, this process may no longer read its own installation (a Python under
    root's home, as with pyenv): whatever the rest of the run imports is loaded first,
    and a sink that makes no file is made first (--layers loads scapy as it is made).
    """
    import netlab.capture.decode  # noqa: F401  (the printers, for --print)
    import netlab.capture.rotation  # noqa: F401
    import netlab.capture.sinks  # noqa: F401
    import netlab.capture.stats  # noqa: F401
    import netlab.capture.writer  # noqa: F401
    import netlab.output  # noqa: F401  (--stats renders with it at the end)
    from netlab.core import privilege

    sink = None if request.write_file else _make_sink(request, source)
    privilege.drop_to(request.user)
    return sink


def _make_sink(request: Request, source):
    from netlab.capture import sinks

    stdout = _Stdout()
    if request.write_file:
        rotating = request.file_size or request.file_count or request.rotate_seconds is not None
        writer = sinks.PcapSink(request.write_file, source.linktype, source.snaplen, request.nano,
                                request.packet_buffered, request.rotation() if rotating else None)
        if not request.print_too:
            return writer
        return sinks.TeeSink(writer, _line_sink(request, source, stdout))
    if request.count_only:
        return sinks.CountSink(stdout)
    if request.analysis or request.follow is not None:
        # the tables' times in the file's own precision: the source reads nanoseconds for them (_run)
        return sinks.AnalysisSink(source.linktype, stdout, request.nano or request.analysis, request.fmt, stats=request.stats,
                                  follow=request.follow, top=request.top, chart=request.chart)
    if request.stats is not None:
        return sinks.StatsSink(source.linktype, stdout, live=source.live, fmt=request.fmt)
    if request.layers:
        return sinks.LayersSink(source.linktype, request.look.options(request.nano), stdout)
    return _line_sink(request, source, stdout)


def _line_sink(request: Request, source, stdout):
    from netlab.capture import sinks

    options = request.look.options(request.nano)
    flush_each_batch = request.line_buffered or source.live
    if request.fmt == "jsonl":
        return sinks.jsonl_sink(source.linktype, options, stdout, flush_each_batch)
    return sinks.text_sink(source.linktype, options, stdout, flush_each_batch)


class _Stdout:
    """sys.stdout as the sinks see it: a refused write (a full disk) is one clear error, exit 2.

    A closed pipe stays a BrokenPipeError: that one ends quietly.
    """

    __slots__ = ()

    def write(self, text: str) -> int:
        try:
            return sys.stdout.write(text)
        except BrokenPipeError:
            raise
        except OSError as err:
            raise _stdout_failed(err) from None

    def flush(self) -> None:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as err:
            raise _stdout_failed(err) from None

    def isatty(self) -> bool:
        return sys.stdout.isatty()


def _stdout_failed(err: OSError):
    from netlab.capture.writer import write_error

    common.quiet_pipe()  # what is still buffered must not fail a second time at exit
    return write_error("the output", err)


def _print(line: str) -> None:
    out = _Stdout()
    out.write(line + "\n")
    out.flush()


def _list_devices(fmt: str) -> ExitStatus:
    from netlab import output
    from netlab.capture.live import list_devices

    devices = list_devices()
    if fmt != "table":
        text = output.render(devices, fmt, columns=(), keys=DEVICE_KEYS)
        if text:
            _print(text)
        return ExitStatus.OK
    lines = []
    for d in devices:
        name = f"{d.name} ({d.description})" if d.description else d.name
        flags = ", ".join(d.flags()) or "none"
        lines.append(f"{d.index}.{name} [{flags}]")
    if lines:
        _print("\n".join(lines))
    return ExitStatus.OK


def _list_types(interface: str | None, tstamps: bool) -> ExitStatus:
    """-L and -J: tcpdump's lists, on standard error as tcpdump prints them."""
    from netlab.capture import linktypes, pcapctl
    from netlab.capture.live import default_device, device_linktypes, device_tstamp_types

    device = interface or default_device()
    if tstamps:
        values = device_tstamp_types(device)
        if not values:
            _say(f"Time stamp type cannot be set for {device}")
            return ExitStatus.OK
        lines = [f"Time stamp types for {device} (use option -j to set):"]
        for value in values:
            name = pcapctl.tstamp_type_name(value)
            lines.append(f"  {name} ({pcapctl.tstamp_type_description(value)})" if name else f"  {value}")
    else:
        lines = [f"Data link types for {device} (use option -y to set):"]
        for dlt in device_linktypes(device):
            name = pcapctl.datalink_name(dlt)
            if name is None:
                lines.append(f"  DLT {dlt} (printing not supported)")
                continue
            unsupported = "" if linktypes.kind(dlt) else " (printing not supported)"
            lines.append(f"  {name} ({pcapctl.datalink_description(dlt)}){unsupported}")
    _say("\n".join(lines))
    return ExitStatus.OK


def _say(line: str | None) -> None:
    if line:
        print(line, file=sys.stderr, flush=True)
