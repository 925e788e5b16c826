"""The packet decoder and tcpdump-identical line formatter of ``netlab capture``.

``Formatter(linktype, FormatOptions(...)).format(ts_sec, ts_frac, caplen, length, data)``
returns the text tcpdump 4.99.3 prints for one packet (the line, plus -x/-X/-A
dump lines); ``record()`` gives the --format jsonl object.

Three paths print a packet. The C printer (netlab.capture._cprint, a twin of the
Python printers: see _cprint.h) prints what most traffic is made of, a whole batch
in one call; without a compiler fastpath handles the commonest shapes (plain TCP or
UDP) in Python. What either hands back goes through the general printers: fmt_link (the link
layers), then fmt_ip (IPv4, IPv6 and extension headers), fmt_tcp (TCP, UDP),
fmt_icmp, fmt_arp, fmt_misc (IGMP, syslog), fmt_bootp (DHCP), fmt_ntp,
fmt_dns, fmt_app, fmt_resp and the printers of issue 16 (see the imports). They
append fragments to a list as tcpdump prints them, so a packet cut short keeps
what was printed and ends with tcpdump's ``[|proto]`` marker. One printer hands
on to the next through the tables of dispatch.py, which each printer module
fills when imported; this module imports them all once.

The Formatter keeps the state tcpdump keeps: the packet number (-#), the
previous and first timestamps (-ttt, -ttttt) and the initial sequence numbers
of each TCP conversation (relative seq/ack).
"""

from __future__ import annotations

import time
from itertools import starmap

# The printer modules, imported once: importing them fills the dispatch tables.
from netlab.capture import fmt_app, fmt_arp, fmt_icmp, fmt_ip, fmt_link, fmt_misc, fmt_tcp  # noqa: F401
from netlab.capture import fmt_ntp, fmt_resp  # noqa: F401
from netlab.capture import fmt_bootp, fmt_dhcp6, fmt_gre, fmt_llc, fmt_lldp, fmt_mpls, fmt_ospf  # noqa: F401
from netlab.capture import fmt_pppoe, fmt_rip, fmt_rx, fmt_snmp, fmt_stp, fmt_tftp, fmt_vrrp  # noqa: F401
from netlab.capture import fmt_afs, fmt_babel, fmt_esp, fmt_lisp, fmt_lwapp, fmt_ospf6, fmt_radius  # noqa: F401
from netlab.capture import fmt_someip  # noqa: F401
from netlab.capture import fmt_zephyr  # noqa: F401
from netlab.capture import dispatch, fastpath, fields, hexdump, linktypes
from netlab.capture.fmt_base import Truncated
from netlab.capture.fmt_rx import RxCalls
from netlab.capture.options import FormatOptions
from netlab.capture.timefmt import TIME_ERROR, TimeFormatter, clock_at

try:
    from netlab.capture import _cprint
except ImportError:  # built without a C compiler: the Python printers print everything
    _cprint = None

__all__ = ["FormatOptions", "Formatter"]


MAXIMUM_SNAPLEN = 262144  # tcpdump's sanity limit on a record's lengths


# The options the C printer knows; any other at a value but its default leaves it out.
_OPTIONS_COMPILED = {"quiet", "link", "verbose", "ts_mode", "nano", "number", "hex_mode", "numeric", "utc",
                     "absolute_seq"}
_OPTIONS_NOT_COMPILED = [(name, default) for name, default in FormatOptions.DEFAULTS.items()
                         if name not in _OPTIONS_COMPILED]
_COMPILED_LINKS = {} if _cprint is None else {"ether": _cprint.LINK_ETHER, "sll": _cprint.LINK_SLL,
                                              "raw": _cprint.LINK_RAW}


def _port_tables() -> tuple[bytes, bytes]:
    """The C printer's port tables, from the dispatch tables: for each port, the kind of the
    C twin of the printer registered there, or APP_PYTHON/TAPP_PYTHON for a printer with
    no twin (the C printer hands such packets to the Python printers)."""
    udp_twins = {fmt_app._dns_udp: _cprint.APP_DNS, fmt_app._mdns_udp: _cprint.APP_MDNS,
                 fmt_ntp.ntp_print: _cprint.APP_NTP, fmt_misc.syslog_print: _cprint.APP_SYSLOG}
    tcp_twins = {fmt_app._http: _cprint.TAPP_HTTP, fmt_app._ssh: _cprint.TAPP_SSH, fmt_resp.resp_print: _cprint.TAPP_RESP,
                 fmt_app._ftp: _cprint.TAPP_FTP, fmt_app._rtsp: _cprint.TAPP_RTSP, fmt_app._smtp: _cprint.TAPP_SMTP,
                 fmt_app._whois: _cprint.TAPP_WHOIS}
    udp = bytearray(65536)
    for port, printer in dispatch.UDP_PORTS.items():
        udp[port] = udp_twins.get(printer, _cprint.APP_PYTHON)
    tcp = bytearray(65536)
    for port, printer in dispatch.TCP_PORTS.items():
        tcp[port] = tcp_twins.get(printer, _cprint.TAPP_PYTHON)
    return bytes(udp), bytes(tcp)


class Formatter:
    """Formats packets of one capture (one link type) as tcpdump prints them."""

    def __init__(self, linktype: int, options: FormatOptions | None = None, fast: bool = True,
                 compiled: bool = True):
        o = options or FormatOptions()
        self._use_fast = fast  # False: the general printers only (tests compare the paths)
        self._compiled = compiled  # False: no C printer (the pure-Python fast path, as without a compiler)
        self.options = o
        self.linktype = linktype
        self.qflag = 1 if o.quiet else 0
        self.eflag = bool(o.link)
        self.vflag = int(o.verbose or 0)
        self.sflag = bool(o.absolute_seq)   # -S
        self.kflag = bool(o.no_checksums)   # -K
        self.hex_mode = o.hex_mode or None
        self.number = bool(o.number)
        self.count = 0
        self.hdrlen = 0
        self.faults = 0  # decoder exceptions caught by _line (each printed as " [|packet]")
        self.last_fault: Exception | None = None
        self.tcp_seq: dict = {}
        self.rx_calls = RxCalls()  # the AFS calls seen, to name their replies (print-rx.c's call cache)
        self.udp_ipoff = 0  # where the IP header of the UDP datagram being printed starts (RX's cache reads it)
        self._link = dispatch.LINKTYPES.get(linktype, fmt_link.unknown_link)
        self._ts = TimeFormatter(o.ts_mode, o.nano, o.utc).format
        self.format = self._make_format()

    def _line(self, length: int, data: bytes) -> str:
        out: list[str] = []
        try:
            self._link(self, out, data, length)
        except Truncated as t:
            # The decoders raise prebuilt instances (fmt_base.TRUNC): each raise adds its
            # frames to the instance's traceback, which would keep every truncated
            # packet's frames, and with them whole batches of packets, alive to the end.
            t.__traceback__ = None
            out.append(" [|%s]" % t.proto)
            if t.whole:
                self.hdrlen = 0
        except Exception as err:  # a decoder bug must never cost the user the capture
            out.append(" [|%s]" % "packet")
            self.hdrlen = 0
            self.faults += 1  # ...but it must be seen: the conformance tests assert there are none
            self.last_fault = err
        return "".join(out)

    def format(self, ts_sec: int, ts_frac: int, caplen: int, length: int, data: bytes) -> str:
        """The full text tcpdump prints for one packet (line, plus dump lines; no trailing newline).

        ``data`` is the captured bytes (caplen of them). Replaced per instance by
        the fastest variant for the options (see _make_format); this is the general one.
        """
        self.count += 1
        if len(data) > caplen:
            data = data[:caplen]
        if not 0 < caplen <= length <= MAXIMUM_SNAPLEN:
            return self._invalid_header(caplen, length)
        line = self._ts(ts_sec, ts_frac) + self._line(length, data)
        if self.number:
            line = "%5u  " % self.count + line
        if self.hex_mode:
            line += hexdump.dump(self.hex_mode, data, self.hdrlen)
        return line

    def _invalid_header(self, caplen: int, length: int) -> str:
        """tcpdump's line for a record header that cannot be right (no stamp, no decode)."""
        parts = []
        if caplen == 0:
            parts.append(" caplen==0")
        if length == 0:
            parts.append(" len==0")
        elif length < caplen:
            parts.append(" len(%u) < caplen(%u)" % (length, caplen))
        if caplen > MAXIMUM_SNAPLEN:
            parts.append(" caplen(%u) > %u" % (caplen, MAXIMUM_SNAPLEN))
        if length > MAXIMUM_SNAPLEN:
            parts.append(" len(%u) > %u" % (length, MAXIMUM_SNAPLEN))
        text = "[Invalid header:" + ",".join(parts) + "]"
        if self.number:
            text = "%5u  " % self.count + text
        return text

    def _make_format(self):
        """A closure specialised for the options: the per-packet cost is what matters."""
        o = self.options
        frac_fmt = "%s.%09u " if o.nano else "%s.%06u "
        common = not (self.number or self.hex_mode or o.ts_mode not in (0, 4))
        printer = self._compiled_printer()
        if printer is not None:
            if common:
                format = self._common_format(printer.line, frac_fmt)
            else:
                format = self._with_fast(printer.line, -1, lambda: printer.hdrlen)
            if not self.number and o.ts_mode in (0, 4):
                self.format_batch = self._compiled_batches(printer, format)
            return format
        if not self._use_fast or self.qflag or self.vflag:
            return Formatter.format.__get__(self)
        kind = linktypes.kind(self.linktype)
        if self.eflag:
            if kind != "ether":
                return Formatter.format.__get__(self)
            return self._with_fast(fastpath.make(self, 14, 12, link_e=True), "", lambda: 14)
        # not Linux cooked v2 (its line starts with the interface) nor loopback (a family, no type)
        where = linktypes.HEADERS.get(kind) if kind in ("ether", "sll", "raw") else None
        if where is None:
            return Formatter.format.__get__(self)
        if common:
            return self._common_format(fastpath.make(self, *where, pre=frac_fmt), frac_fmt)
        return self._with_fast(fastpath.make(self, *where), "", lambda: where[0])

    def _compiled_printer(self):
        """The C twin of the printers (netlab.capture._cprint), where it can serve these options."""
        if not (self._use_fast and self._compiled) or _cprint is None:
            return None
        link = _COMPILED_LINKS.get(linktypes.kind(self.linktype))
        if link is None or any(getattr(self.options, name) != default for name, default in _OPTIONS_NOT_COMPILED):
            return None
        udp_app, tcp_app = _port_tables()
        return _cprint.Printer(link, self.vflag, self.qflag, int(self.eflag), bool(self.options.nano), self.tcp_seq,
                               udp_app, tcp_app, self.hex_mode or "", self.sflag)

    def format_batch(self, batch: list) -> str:
        """The text of a batch of packets: format()'s, each line ending in a newline."""
        return "".join([line + "\n" for line in starmap(self.format, batch)])

    def _compiled_batches(self, printer, format):
        """format_batch with the C printer's loop over the whole batch (Printer.lines): no
        Python call per packet but for the packets it hands back, which format() prints.
        Default or -tttt stamps (the seconds' text is asked once per second), any dump, no -#."""
        o = self.options
        conv = time.gmtime if o.utc else time.localtime
        date = o.ts_mode == 4
        lines = printer.lines

        def stamp_of(ts_sec):
            return clock_at(conv, ts_sec, date)

        def format_batch(batch):
            start = self.count
            try:
                return lines(batch, stamp_of, format)
            finally:
                self.count = start + len(batch)

        return format_batch

    def _common_format(self, fast, frac_fmt):
        """Default or -tttt stamps, no dump, no numbers: the stamp's seconds cached, fast(data,
        length, seconds' text, fraction) prints the line or returns None (the general printers')."""
        o = self.options
        line_of = self._line
        conv = time.gmtime if o.utc else time.localtime
        general_fmt = frac_fmt + "%s"
        date = o.ts_mode == 4
        cache = [None, ""]

        def format(ts_sec, ts_frac, caplen, length, data):
            self.count += 1
            if not 0 < caplen <= length <= MAXIMUM_SNAPLEN:
                return self._invalid_header(caplen, length)
            if ts_sec != cache[0]:
                cache[1] = clock_at(conv, ts_sec, date)
                cache[0] = ts_sec
            if cache[1] is None:  # a stamp tcpdump cannot convert either
                return TIME_ERROR + " " + line_of(length, data)
            line = fast(data, length, cache[1], ts_frac)
            if line is None:
                return general_fmt % (cache[1], ts_frac, line_of(length, data))
            return line

        return format

    def _with_fast(self, fast, no_frac, fast_hdrlen):
        """Other stamp/number/dump options: the fast body inside the general frame.

        fast(data, length, stamp, no_frac) prints stamp + the line, or returns None;
        fast_hdrlen() is the link header length of the packet it printed."""
        stamp = self._ts
        number = self.number
        hex_mode = self.hex_mode
        line_of = self._line
        fmt = self

        def format(ts_sec, ts_frac, caplen, length, data):
            fmt.count += 1
            if len(data) > caplen:
                data = data[:caplen]
            if not 0 < caplen <= length <= MAXIMUM_SNAPLEN:
                return fmt._invalid_header(caplen, length)
            ts = stamp(ts_sec, ts_frac)
            line = fast(data, length, ts, no_frac)
            if line is None:
                line = ts + line_of(length, data)
            elif hex_mode:
                fmt.hdrlen = fast_hdrlen()
            if number:
                line = "%5u  " % fmt.count + line
            if hex_mode:
                line += hexdump.dump(hex_mode, data, fmt.hdrlen)
            return line

        return format

    def record(self, ts_sec: int, ts_frac: int, caplen: int, length: int, data: bytes) -> dict:
        """The --format jsonl object for one packet."""
        self.count += 1
        if len(data) > caplen:
            data = data[:caplen]
        summary = self._ts(ts_sec, ts_frac) + self._line(length, data)
        rec = {
            "time": ts_sec + ts_frac / (1e9 if self.options.nano else 1e6),
            "len": length,
            "caplen": caplen,
            "link": linktypes.linktype_name(self.linktype).split(" ", 1)[0],
            **fields.NULLS,
            "summary": summary,
        }
        fields.fill_or_leave(self.linktype, data, rec)
        return rec
