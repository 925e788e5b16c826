"""`netlab capture`: tcpdump's options and output, over libpcap.

Its options, for typer; what it does with them is netlab.commands.capture.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from netlab.capture.statspec import FollowSpec, StatsSpec, parse_follow, parse_stats
from netlab.cli import common
from netlab.cli.types import INT32_MAX, FileName, Integer, Spec, Text, Word
from netlab.commands import capture as body
from netlab.commands.capture import FORMATS
from netlab.errors import ExitStatus

MAX_SNAPLEN = 262144  # tcpdump's MAXIMUM_SNAPLEN; -s 0 means it too
MAX_FILE_SIZE = (2**63 - 1) // 1_000_000  # -C in millions of bytes: tcpdump's "file size is too large" past it
DIRECTIONS = ("in", "out", "inout")
PRECISIONS = ("micro", "nano")

EXAMPLES = common.examples(
    ("netlab capture -i lo -c 10 tcp port 80", "ten packets, port 80"),
    ("netlab capture -i any -w trace.pcap -c 1000", "save them for later"),
    ("netlab capture -r trace.pcap --stats conv --top 5", "top 5 conversations"),
    ("netlab capture -r trace.pcap --stats tcp", "retransmissions..."),
)


class _CaptureCommand(typer.core.TyperCommand):
    """The capture command, with --stats's value optional (`--stats` alone: talkers).

    typer does not pass click's flag_value on; click's parser takes it from here.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.name == "stats":
                param._flag_needs_value = True
                param.flag_value = "talkers"


def register(app: typer.Typer) -> None:
    app.command(
        name="capture",
        cls=_CaptureCommand,
        help="Capture or read packets and print them as tcpdump does (libpcap filters, pcap files).",
        epilog=EXAMPLES,
        context_settings={"help_option_names": ["-h", "--help"]},
    )(capture)


def capture(
    expression: Optional[List[str]] = typer.Argument(None, click_type=Text(), metavar="[EXPRESSION]...",
                                                     help="pcap-filter(7) expression, as with tcpdump."),
    interface: Optional[str] = typer.Option(None, "-i", "--interface", click_type=Text("an interface name, or any"), metavar="IFACE",
                                            help="Capture on IFACE ('any' for all). Default: the first up, non-loopback one."),
    read_file: Optional[str] = typer.Option(None, "-r", click_type=FileName("input"), metavar="FILE", help="Read packets from a pcap or pcapng file ('-' for stdin)."),
    write_file: Optional[str] = typer.Option(None, "-w", click_type=FileName("output"), metavar="FILE", help="Write the packets to a pcap file instead of printing them."),
    packet_buffered: bool = typer.Option(False, "-U", "--packet-buffered", help="Write each packet to the -w file, or each line out, as it comes."),
    print_too: bool = typer.Option(False, "--print", help="With -w: print the lines as well."),
    file_size: Optional[int] = typer.Option(None, "-C", click_type=Integer(1, MAX_FILE_SIZE), metavar="FILE_SIZE",
                                            help="With -w: a new file when this one is over FILE_SIZE million bytes (FILE, FILE1, ...)."),
    file_count: Optional[int] = typer.Option(None, "-W", click_type=Integer(1), metavar="FILECOUNT",
                                             help="With -C: a ring of FILECOUNT files; with -G alone: stop after FILECOUNT files."),
    rotate_seconds: Optional[int] = typer.Option(None, "-G", click_type=Integer(0), metavar="SECONDS",
                                                 help="With -w: a new file every SECONDS seconds, FILE through strftime(3)."),
    user: Optional[str] = typer.Option(None, "-Z", "--relinquish-privileges", click_type=Text("a user name"), metavar="USER",
                                       help="As root: become USER once the capture is open (before -w files are made)."),
    filter_file: Optional[str] = typer.Option(None, "-F", click_type=FileName(), metavar="FILE",
                                              help="Read the filter expression from FILE (the command line's is ignored)."),
    count: Optional[int] = typer.Option(None, "-c", click_type=Integer(1), metavar="COUNT", help="Stop after COUNT packets."),
    snaplen: int = typer.Option(262144, "-s", "--snapshot-length", click_type=Integer(0, MAX_SNAPLEN), metavar="SNAPLEN", show_default=False, help="Capture at most SNAPLEN bytes per packet (0: 262144)."),
    numeric: int = typer.Option(0, "-n", count=True, show_default=False, help="Numeric addresses and ports (netlab never resolves names: always on)."),
    quiet: bool = typer.Option(False, "-q", help="Quiet: less protocol information per line."),
    link: bool = typer.Option(False, "-e", help="Print the link-level header."),
    stamps: int = typer.Option(0, "-t", count=True, show_default=False, help="-t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first."),
    number: bool = typer.Option(False, "-#", "--number", help="Number the lines."),
    hex_x: int = typer.Option(0, "-x", count=True, show_default=False, help="-x hex of the packet, -xx including the link header."),
    hex_ascii: int = typer.Option(0, "-X", count=True, show_default=False, help="-X hex and ASCII, -XX including the link header."),
    ascii_only: int = typer.Option(0, "-A", count=True, show_default=False, help="-A ASCII of the packet, -AA including the link header."),
    line_buffered: bool = typer.Option(False, "-l", help="Line-buffered output: each line is flushed at once."),
    verbose: int = typer.Option(0, "-v", count=True, show_default=False, help="More detail (IP TTL, id, flags, length, checksums)."),
    absolute_seq: bool = typer.Option(False, "-S", "--absolute-tcp-sequence-numbers", help="TCP sequence numbers as on the wire, not relative."),
    no_checksums: bool = typer.Option(False, "-K", "--dont-verify-checksums", help="With -v: don't verify IP, TCP or UDP checksums."),
    no_promisc: bool = typer.Option(False, "-p", "--no-promiscuous-mode", help="Don't put the interface in promiscuous mode."),
    buffer_kib: Optional[int] = typer.Option(None, "-B", "--buffer-size", click_type=Integer(1, INT32_MAX // 1024), metavar="KIB", help="Kernel capture buffer, in KiB (default 2048)."),
    direction: Optional[str] = typer.Option(None, "-Q", "--direction", click_type=Word(DIRECTIONS, "give in, out or inout"),
                                            metavar="in|out|inout", help="Only packets received, sent, or both."),
    linktype: Optional[str] = typer.Option(None, "-y", "--linktype", click_type=Word(body.knows_linktype, "not a data link type libpcap knows; see -L"),
                                           metavar="LINKTYPE", help="Capture with this data link type (see -L)."),
    list_linktypes: bool = typer.Option(False, "-L", "--list-data-link-types", help="List the device's data link types and exit."),
    tstamp_type: Optional[str] = typer.Option(None, "-j", "--time-stamp-type", click_type=Word(body.knows_tstamp_type, "not a time stamp type libpcap knows; see -J"),
                                              metavar="TSTAMP_TYPE", help="Time stamps of this type (see -J)."),
    list_tstamp_types: bool = typer.Option(False, "-J", "--list-time-stamp-types", help="List the device's time stamp types and exit."),
    precision: Optional[str] = typer.Option(None, "--time-stamp-precision", click_type=Word(PRECISIONS, "give micro or nano"),
                                            metavar="micro|nano", help="Time stamp precision; nano is --nano."),
    immediate: bool = typer.Option(False, "--immediate-mode", help="Hand each packet over as it arrives, not a ring block at a time."),
    list_interfaces: bool = typer.Option(False, "-D", "--list-interfaces", help="List the devices to capture on and exit."),
    count_only: bool = typer.Option(False, "--count", help="Only print how many packets match."),
    nano: bool = typer.Option(False, "--nano", help="Nanosecond timestamps."),
    stats: Optional[StatsSpec] = typer.Option(
        None, "--stats", click_type=Spec(parse_stats), metavar="[KIND]",
        help="Instead of lines: talkers (alone: top hosts, flows, protocols), conv[,eth|ip|tcp|udp], "
             "endpoints[,eth|ip|tcp|udp], io,SECONDS[,FILTER]..., or tcp (retransmissions, dup ACKs, zero "
             "windows, out of order, handshake RTT per stream). Put a filter after -- or before --stats."),
    top: Optional[int] = typer.Option(None, "--top", click_type=Integer(1), metavar="N",
                                      help="--stats conv, endpoints, tcp: only the N biggest (per type)."),
    follow: Optional[FollowSpec] = typer.Option(
        None, "--follow", click_type=Spec(parse_follow), metavar="tcp,N|tcp,ADDR:PORT,ADDR:PORT",
        help="Print one TCP stream's reassembled payload, as tshark -z follow,tcp,ascii."),
    chart: bool = typer.Option(False, "--chart", help="--stats io: bars of packets per interval below the table."),
    layers: bool = typer.Option(False, "--layers", help="Dissect each packet into its layers (scapy)."),
    fmt: str = common.format_option(
        FORMATS, help="Lines as tcpdump prints them (table) or JSON lines (jsonl); -D also json or csv."),
) -> ExitStatus:
    options = dict(locals())  # every option by its name: the body takes them all
    return body.capture(**options)
