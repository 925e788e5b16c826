"""--stats tcp: TCP streams numbered as Wireshark numbers them, and its sequence analysis per stream.

The analysis is Wireshark's (epan/dissectors/packet-tcp.c,
tcp_analyze_sequence_number), step for step, so that the counts are the ones
tshark reports as tcp.analysis.* on the same file:

- a duplicate ACK: no data, the same window, seq and ack as the last segment
  the same way, no SYN/FIN/RST;
- a zero window: window 0 without SYN/FIN/RST;
- a segment with data that ends at or below the last ACK the other way is a
  spurious retransmission (whether or not it is below the highest sequence number);
  else a segment with data (or SYN/FIN) below the highest sequence number seen that
  way is a fast retransmission (two or more duplicate ACKs for it the other way, the
  last under 20 ms before), else out of order (under the handshake RTT, or 3 ms,
  after the highest one, not ending where it did), else a retransmission. Like
  tshark, ``retransmissions`` counts all three kinds; the two special ones are also
  counted apart. This is the order of Wireshark 4.0 (Debian 12's tshark); 3.x
  looked for a spurious retransmission last;
- the handshake RTT (tshark's tcp.analysis.initial_rtt): from the last SYN to the
  first ACK without SYN after a SYN+ACK (null without the whole handshake).

A stream is a pair of endpoints; a SYN on a pair whose stream ended (FIN or RST)
or that began with another SYN sequence number starts a new stream, as in tshark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FAST_RETRANSMIT_NS = 20_000_000
DEFAULT_OOO_NS = 3_000_000
_KEEP_ALIVE, _ZERO_WINDOW_PROBE = "keep-alive", "zero-window-probe"
_MASK = 0xFFFFFFFF


def _lt(a: int, b: int) -> bool:
    """Sequence numbers compared modulo 2**32 (Wireshark's LT_SEQ)."""
    return a != b and ((a - b) & _MASK) > 0x7FFFFFFF


@dataclass(slots=True)
class _Side:
    """What one direction of a stream has sent so far (0 for "none yet", as Wireshark keeps it)."""

    nextseq: int = 0
    nextseq_ns: int = 0
    lastack: int = 0
    lastack_ns: int = 0
    window: int | None = None
    dupacks: int = 0
    last_marks: frozenset = frozenset()


@dataclass(slots=True)
class Stream:
    stream: int
    src: str
    sport: int
    dst: str
    dport: int
    first_ns: int
    packets: int = 0
    bytes: int = 0
    payload_bytes: int = 0
    retransmissions: int = 0
    fast_retransmissions: int = 0
    spurious_retransmissions: int = 0
    out_of_order: int = 0
    dup_acks: int = 0
    zero_windows: int = 0
    handshake_rtt_ms: float | None = None
    handshake_rtt_ns: int = 0
    syn_seq: int | None = None
    syn_ns: int | None = None
    saw_syn_ack: bool = False
    ended: bool = False
    sides: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {key: getattr(self, key) for key in STREAM_KEYS}


STREAM_KEYS = ("stream", "src", "sport", "dst", "dport", "packets", "bytes", "payload_bytes", "retransmissions",
               "fast_retransmissions", "spurious_retransmissions", "out_of_order", "dup_acks", "zero_windows",
               "handshake_rtt_ms")


class StreamTracker:
    """Numbers the TCP streams and analyses each segment; ``add(view)`` -> the segment's Stream (None if not TCP)."""

    def __init__(self):
        self.streams: list[Stream] = []
        self._by_pair: dict[frozenset, Stream] = {}

    def add(self, view: dict) -> Stream | None:
        flags = view["tcp_flags"]
        if flags is None or view["payload_len"] is None:
            return None
        here, there = (view["src"], view["sport"]), (view["dst"], view["dport"])
        pair = frozenset((here, there))
        stream = self._by_pair.get(pair)
        syn_only = "S" in flags and "." not in flags
        if stream is None or (syn_only and (stream.ended or (stream.syn_seq is not None and stream.syn_seq != view["seq"]))):
            stream = Stream(len(self.streams), *here, *there, view["ns"])
            self.streams.append(stream)
            self._by_pair[pair] = stream
        stream.packets += 1
        stream.bytes += view["len"]
        stream.payload_bytes += view["payload_len"]
        if syn_only:
            stream.syn_seq = view["seq"]
        if "F" in flags or "R" in flags:
            stream.ended = True
        fwd = stream.sides.setdefault(here, _Side())
        rev = stream.sides.setdefault(there, _Side())
        _analyse(stream, fwd, rev, view, flags)
        return stream


def _analyse(stream: Stream, fwd: _Side, rev: _Side, view: dict, flags: str) -> None:
    """tcp_analyze_sequence_number for one segment (see the module's docstring)."""
    ns, seq, ack, window, seglen = view["ns"], view["seq"], view["ack"], view["tcp_window"], view["payload_len"]
    syn, fin, rst, has_ack = "S" in flags, "F" in flags, "R" in flags, "." in flags
    if syn and not has_ack:
        stream.syn_ns = ns
    elif syn:
        stream.saw_syn_ack = True
    elif has_ack and stream.handshake_rtt_ms is None and stream.syn_ns is not None and stream.saw_syn_ack:
        stream.handshake_rtt_ns = ns - stream.syn_ns
        stream.handshake_rtt_ms = stream.handshake_rtt_ns / 1e6
    marks = set()
    plain = not (syn or fin or rst)
    same_place = seq == fwd.nextseq and ack == fwd.lastack
    if seglen == 1 and seq == fwd.nextseq and rev.window == 0:
        marks.add(_ZERO_WINDOW_PROBE)
    else:
        if window == 0 and plain:
            marks.add("zero-window")
        if (seglen in (0, 1)) and seq == (fwd.nextseq - 1) & _MASK and plain:
            marks.add(_KEEP_ALIVE)
        repeat = seglen == 0 and window and window == fwd.window and same_place and plain
        if repeat and (_KEEP_ALIVE in rev.last_marks):
            pass  # a keep-alive's ACK
        elif seglen == 0 and window == 0 and window == fwd.window and same_place and plain \
                and _ZERO_WINDOW_PROBE in rev.last_marks:
            pass  # a zero window probe's ACK
        elif repeat:
            fwd.dupacks += 1
            marks.add("dup-ack")
    if ack != fwd.lastack:
        fwd.dupacks = 0
    if (seglen > 0 or syn or fin) and _KEEP_ALIVE not in marks:
        kind = _resent_kind(stream, fwd, rev, ns, seq, seglen, syn or fin)
        if kind:
            marks.add(kind)
    nextseq = (seq + seglen + (1 if syn or fin else 0)) & _MASK
    if (not fwd.nextseq or _lt(fwd.nextseq, nextseq)) and _ZERO_WINDOW_PROBE not in marks:
        fwd.nextseq, fwd.nextseq_ns = nextseq, ns
    fwd.window, fwd.lastack, fwd.lastack_ns = window, ack, ns
    fwd.last_marks = frozenset(marks)
    stream.dup_acks += "dup-ack" in marks
    stream.zero_windows += "zero-window" in marks
    stream.out_of_order += "out-of-order" in marks
    stream.fast_retransmissions += "fast-retransmission" in marks
    stream.spurious_retransmissions += "spurious-retransmission" in marks
    stream.retransmissions += bool(marks & {"retransmission", "fast-retransmission", "spurious-retransmission"})


def _resent_kind(stream: Stream, fwd: _Side, rev: _Side, ns: int, seq: int, seglen: int, syn_or_fin: bool) -> str | None:
    """Which kind of resent segment this one is, if any: the retransmission checks of tshark 4.0, in its order."""
    end = (seq + seglen) & _MASK
    if seglen > 0 and rev.lastack and not _lt(rev.lastack, end):
        return "spurious-retransmission"  # all of it acknowledged already
    not_advanced = bool(fwd.nextseq) and _lt(seq, fwd.nextseq)
    if seglen > 1 and (fwd.nextseq - 1) & _MASK == seq:
        not_advanced = False  # new data after a possible zero window probe's byte
    if not not_advanced:
        return None
    # tshark takes these time differences as unsigned: a packet stamped before the reference is never "within"
    if rev.dupacks >= 2 and rev.lastack == seq and 0 <= ns - rev.lastack_ns < FAST_RETRANSMIT_NS:
        return "fast-retransmission"
    ooo_ns = stream.handshake_rtt_ns or DEFAULT_OOO_NS
    if 0 <= ns - fwd.nextseq_ns < ooo_ns and fwd.nextseq != (end + syn_or_fin) & _MASK:
        return "out-of-order"
    return "retransmission"


def stream_columns():
    from netlab.output import Column

    def ms(value):
        return "-" if value is None else f"{value:.3f}"

    return [Column("stream", "STREAM", align="right"), Column("src", "SRC"), Column("sport", "SPORT", align="right"),
            Column("dst", "DST"), Column("dport", "DPORT", align="right"),
            Column("packets", "PACKETS", align="right"), Column("bytes", "BYTES", align="right"),
            Column("retransmissions", "RETRANS", align="right"), Column("dup_acks", "DUP ACKS", align="right"),
            Column("zero_windows", "ZERO WIN", align="right"), Column("out_of_order", "OUT OF ORDER", align="right"),
            Column("handshake_rtt_ms", "HANDSHAKE ms", align="right", fmt=ms)]
