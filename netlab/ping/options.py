"""What a ping run is asked to do (iputils' options), checked once with clear errors."""

from __future__ import annotations

import math

from netlab.core import privilege
from netlab.core.plain import Plain
from netlab.errors import UsageError

MAX_SIZE_V4 = 65507  # 65535 - 20 (IP header) - 8 (ICMP header)
MAX_SIZE_V6 = 65527  # 65535 - 8 (the IPv6 payload length excludes its header)
MIN_USER_INTERVAL = 0.002  # iputils: "minimal interval allowed for user is 2ms"
DEFAULT_INTERVAL = 1.0
DEFAULT_LINGER = 10.0  # iputils' MAXWAIT: how long to wait for a first reply after the last probe
FLOOD_WAIT = 0.010  # flood: without a reply, send again after 10 ms (iputils' MIN_INTERVAL_MS)
DEFAULT_SIZE = 56
MAX_TIMING = 2**31 // 1000  # -i, -W: iputils keeps them as int milliseconds (INT_MAX / 1000 s)
MAX_DEADLINE = 2**31 - 1  # -w: iputils keeps it as int seconds
MAX_PRELOAD = 0x10000  # -l: iputils' MAX_DUP_CHK, the size of its table of received probes
MAX_USER_PRELOAD = 3  # -l: iputils' limit without privilege
MAX_FLOWLABEL = 0xFFFFF  # -F: 20 bits
TIMESTAMP_TYPES = ("tsonly", "tsandaddr", "tsprespec")  # -T


def _seconds_ok(value: float | None, limit: float) -> bool:
    """None, or a finite 0 <= value <= limit (nan and inf fail every comparison or the bound)."""
    return value is None or (math.isfinite(value) and 0 <= value <= limit)


class PingOptions(Plain):
    """What a run is asked to do: every field by keyword (or in DEFAULTS' order), defaulting as below."""

    DEFAULTS = {
        "count": None,  # -c
        "interval": None,  # -i, seconds; None = 1 s (0 with -f)
        "timeout": None,  # -W, seconds
        "deadline": None,  # -w, seconds
        "size": DEFAULT_SIZE,  # -s
        "ttl": None,  # -t
        "tos": None,  # -Q
        "pmtudisc": None,  # -M do|dont|want|probe
        "interface": None,  # -I name
        "source": None,  # -I address
        "pattern": None,  # -p
        "flood": False,  # -f
        "family": None,  # 4 or 6
        "outstanding": False,  # -O
        "keep_replies": True,  # keep every Reply in the summary (for --format json)
        "stream_timeouts": False,  # report Timeout events while running (for jsonl)
        "reply_events": True,  # yield a Reply per reply; off, a flood yields only Progress
        "tcp_port": None,  # --tcp
        "audible": False,  # -a: a bell with every reply
        "adaptive": False,  # -A: the interval follows the RTT
        "broadcast": False,  # -b
        "strict_source": False,  # -B: bind to the source address the route gives, never change it
        "so_debug": False,  # -d: SO_DEBUG
        "ident": None,  # -e: the ICMP identifier
        "flowlabel": None,  # -F: IPv6 flow label
        "preload": 1,  # -l: probes sent at once before the interval applies
        "no_loop": False,  # -L: no multicast loopback
        "mark": None,  # -m: SO_MARK
        "dont_route": False,  # -r: SO_DONTROUTE, on-link hosts only
        "record_route": False,  # -R: the IPv4 record-route option
        "timestamp": None,  # -T tsonly|tsandaddr|tsprespec: the IPv4 timestamp option
        "prespec": (),  # -T tsprespec: the addresses that stamp (the hosts before the target)
        "sndbuf": None,  # -S: SO_SNDBUF
        "latency": False,  # -U: user-to-user time, not the kernel's timestamps
        "verbose": False,  # -v
        "report_interval": None,  # --summary-interval: fping's -Q, seconds
        "tcp_syn": False,  # --syn: a half-open probe over a raw socket (root), not connect()
    }
    FIELDS = tuple(DEFAULTS)
    __slots__ = FIELDS

    @property
    def run_deadline(self) -> float | None:
        """-w in seconds, or None: iputils takes -w 0 as no deadline at all."""
        return self.deadline or None

    @property
    def effective_interval(self) -> float:
        if self.interval is not None:
            return self.interval
        return 0.0 if self.flood else DEFAULT_INTERVAL

    def validate(self) -> "PingOptions":
        """Check every value the way ping does; raise UsageError (exit 2) on the first bad one."""
        if self.count is not None and self.count < 1:
            raise UsageError(f"invalid count {self.count}", "-c needs a count of 1 or more")
        if not _seconds_ok(self.interval, MAX_TIMING):
            raise UsageError(f"bad timing interval: {self.interval:g}", f"-i takes 0 to {MAX_TIMING} seconds")
        if self.tcp_port is not None and (self.flood or self.effective_interval < MIN_USER_INTERVAL):
            # Each TCP probe is a socket and a handshake: no flooding the target's accept queue.
            raise UsageError("TCP probes need an interval of at least 2ms", "drop -f, use -i 0.002 or more")
        if self.tcp_port is not None:
            # A connect() sends a bare SYN: no ICMP data to size or fill, and the kernel
            # owns the segment sizes. Refused rather than silently ignored.
            for flag, given in (("-s", self.size != DEFAULT_SIZE), ("-p", self.pattern is not None),
                                ("-M", self.pmtudisc is not None)):
                if given:
                    raise UsageError(f"{flag} does not apply to a TCP connect ping", f"drop {flag} or --tcp")
        privileged = privilege.can_raw()  # root without CAP_NET_RAW is not privileged here
        if self.flood and not privileged:
            raise UsageError("cannot flood: -f needs root or CAP_NET_RAW", "drop -f, or use -i 0.002 or more")
        if self.interval is not None and self.interval < MIN_USER_INTERVAL and not privileged:
            raise UsageError(f"cannot flood; minimal interval allowed for user is {MIN_USER_INTERVAL * 1000:g}ms",
                             "use -i 0.002 or more, or run as root")
        if not _seconds_ok(self.timeout, MAX_TIMING):
            raise UsageError(f"bad linger time: {self.timeout:g}", f"-W takes 0 to {MAX_TIMING} seconds")
        if not _seconds_ok(self.deadline, MAX_DEADLINE):
            raise UsageError(f"bad wait time: {self.deadline:g}", f"-w takes 0 to {MAX_DEADLINE} seconds")
        limit = MAX_SIZE_V6 if self.family == 6 else MAX_SIZE_V4
        if not 0 <= self.size <= MAX_SIZE_V6 or (self.family == 4 and self.size > MAX_SIZE_V4):
            raise UsageError(f"invalid packet size {self.size}", f"-s takes 0 to {limit} data bytes")
        if self.ttl is not None and not 1 <= self.ttl <= 255:
            # The kernel refuses a TTL / hop limit of 0 (EINVAL), iputils refuses it too.
            raise UsageError(f"invalid TTL {self.ttl}: out of range: 1 <= value <= 255", "-t takes 1 to 255")
        if self.tos is not None and not 0 <= self.tos <= 255:
            raise UsageError(f"the decimal value of TOS bits must be in range 0-255: {self.tos}", "-Q takes 0 to 255")
        if self.pmtudisc is not None and self.pmtudisc not in ("do", "dont", "want", "probe"):
            raise UsageError(f"invalid -M argument: {self.pmtudisc}", "use do, dont, want or probe")
        if self.tcp_port is not None and not 1 <= self.tcp_port <= 65535:
            raise UsageError(f"invalid port {self.tcp_port}", "--tcp takes a port 1-65535")
        if not 1 <= self.preload <= MAX_PRELOAD:
            raise UsageError(f"invalid argument: '{self.preload}'", f"-l takes 1 to {MAX_PRELOAD}")
        if self.preload > MAX_USER_PRELOAD and not privileged:
            raise UsageError(f"cannot set preload to value greater than 3: {self.preload}", "run as root, or -l 3 or less")
        if self.ident is not None and not 0 <= self.ident <= 0xFFFF:
            raise UsageError(f"invalid argument: '{self.ident}'", "-e takes 0 to 65535")
        if self.flowlabel is not None and not 0 <= self.flowlabel <= MAX_FLOWLABEL:
            raise UsageError(f"flow value is greater than 20 bits: {self.flowlabel}", "-F takes 0 to 0xfffff")
        if self.record_route and self.timestamp:
            raise UsageError("only one of -T or -R may be used", "drop -T or -R")
        if self.timestamp is not None and self.timestamp not in TIMESTAMP_TYPES:
            raise UsageError(f"invalid timestamp type: {self.timestamp}", "use tsonly, tsandaddr or tsprespec")
        if self.tcp_syn and self.tcp_port is None:
            raise UsageError("--syn needs --tcp PORT", "add --tcp PORT")
        if self.report_interval is not None and not (math.isfinite(self.report_interval) and self.report_interval > 0):
            raise UsageError(f"invalid summary interval {self.report_interval}", "--summary-interval takes seconds above 0")
        if self.tcp_port is not None:
            for flag, given in (("--summary-interval", self.report_interval is not None), ("-R", self.record_route), ("-T", self.timestamp), ("-b", self.broadcast),
                                ("-e", self.ident is not None), ("-F", self.flowlabel is not None),
                                ("-l", self.preload > 1), ("-A", self.adaptive)):
                if given:
                    raise UsageError(f"{flag} does not apply to a TCP connect ping", f"drop {flag} or --tcp")
        return self

    @property
    def ip_options(self) -> bool:
        """-R or -T: the replies carry IPv4 options to print."""
        return self.record_route or self.timestamp is not None


def parse_pattern(text: str) -> bytes:
    """-p: up to 16 bytes given as hex digits (an odd count pads a leading 0, as ping does)."""
    digits = text.strip()
    if not digits or len(digits) > 32 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise UsageError(f"patterns must be specified as hex digits: {text}", "e.g. -p ff00, at most 16 bytes")
    if len(digits) % 2:
        digits = "0" + digits
    return bytes.fromhex(digits)


def parse_tos(text: str) -> int:
    """-Q: decimal or 0x hex, 0-255."""
    try:
        value = int(text, 0)
    except ValueError:
        raise UsageError(f"invalid TOS value {text!r}", "-Q takes a number 0-255, decimal or 0x hex") from None
    return value


def parse_interface(text: str | None) -> tuple[str | None, str | None]:
    """-I: (source address, None) for an address, (None, name) for an existing interface."""
    if not text:
        return None, None
    from netlab.core.addr import parse_address

    try:
        return str(parse_address(text)), None
    except UsageError:
        pass
    import socket

    try:
        socket.if_nametoindex(text)
    except OSError:
        raise UsageError(f"unknown iface: {text}", "give an interface name or a local address to -I") from None
    return None, text
