"""The packet decoder and tcpdump-identical line formatter of ``netlab capture``.

``Formatter(linktype, FormatOptions(...)).format(ts_sec, ts_frac, caplen, length, data)``
returns the text tcpdump 4.99.3 prints for one packet (the line, plus -x/-X/-A
dump lines); ``record()`` gives the --format jsonl object.

Two paths print a packet. fastpath handles the shapes most traffic has
(Ethernet/cooked/raw IPv4 or IPv6, plain TCP or UDP) with two unpacks and one %
format. Everything else goes through the general printers: fmt_link (the link
layers), then fmt_ip (IPv4, IPv6 and extension headers), fmt_tcp (TCP, UDP),
fmt_icmp, fmt_arp, fmt_misc (IGMP, DHCP), fmt_ntp, fmt_dns, fmt_app and fmt_resp. They
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

# The printer modules, imported once: importing them fills the dispatch tables.
from netlab.capture import fmt_app, fmt_arp, fmt_icmp, fmt_ip, fmt_link, fmt_misc, fmt_tcp  # noqa: F401
from netlab.capture import fmt_ntp, fmt_resp  # noqa: F401
from netlab.capture import dispatch, fastpath, fields, hexdump, linktypes
from netlab.capture.fmt_base import Truncated
from netlab.capture.options import FormatOptions
from netlab.capture.timefmt import TIME_ERROR, TimeFormatter, clock_at

__all__ = ["FormatOptions", "Formatter"]


MAXIMUM_SNAPLEN = 262144  # tcpdump's sanity limit on a record's lengths


class Formatter:
    """Formats packets of one capture (one link type) as tcpdump prints them."""

    def __init__(self, linktype: int, options: FormatOptions | None = None, fast: bool = True):
        o = options or FormatOptions()
        self._use_fast = fast  # False: the general printers only (tests compare both paths)
        self.options = o
        self.linktype = linktype
        self.qflag = 1 if o.quiet else 0
        self.eflag = bool(o.link)
        self.vflag = int(o.verbose or 0)
        self.hex_mode = o.hex_mode or None
        self.number = bool(o.number)
        self.count = 0
        self.hdrlen = 0
        self.faults = 0  # decoder exceptions caught by _line (each printed as " [|packet]")
        self.last_fault: Exception | None = None
        self.tcp_seq: dict = {}
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
        where = None
        if self._use_fast and not (self.qflag or self.vflag):
            kind = linktypes.kind(self.linktype)
            if not self.eflag:
                # not Linux cooked v2 (its line starts with the interface) nor loopback (a family, no type)
                where = linktypes.HEADERS.get(kind) if kind in ("ether", "sll", "raw") else None
            elif kind == "ether":
                self._fast_hdrlen = 14
                return self._with_fast(fastpath.make(self, 14, 12, link_e=True), self._line)
        if where is None:
            return Formatter.format.__get__(self)
        self._fast_hdrlen = where[0]
        line_of = self._line
        if self.number or self.hex_mode or o.ts_mode not in (0, 4):
            return self._with_fast(fastpath.make(self, *where), line_of)
        # the common case: default or -tttt stamps, no dump, no numbers
        frac_fmt = "%s.%09u " if o.nano else "%s.%06u "
        fast = fastpath.make(self, *where, pre=frac_fmt)
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

    def _with_fast(self, fast, line_of):
        """Other stamp/number/dump options: the fast body inside the general frame."""
        stamp = self._ts
        number = self.number
        hex_mode = self.hex_mode
        fmt = self

        def format(ts_sec, ts_frac, caplen, length, data):
            fmt.count += 1
            if len(data) > caplen:
                data = data[:caplen]
            if not 0 < caplen <= length <= MAXIMUM_SNAPLEN:
                return fmt._invalid_header(caplen, length)
            ts = stamp(ts_sec, ts_frac)
            line = fast(data, length, ts, "")
            if line is None:
                line = ts + line_of(length, data)
            elif hex_mode:
                fmt.hdrlen = fmt._fast_hdrlen
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
            "src_mac": None, "dst_mac": None, "src": None, "dst": None, "proto": None, "sport": None, "dport": None,
            "tcp_flags": None, "seq": None, "ack": None, "icmp_type": None,
            "summary": summary,
        }
        try:
            fields.fill(self.linktype, data, rec)
        except Exception:  # fields of a malformed packet stay null
            pass
        return rec
