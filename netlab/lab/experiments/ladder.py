"""The ladder diagram of one TCP connection, as text: who sent what, when, with J and K.

J is the client's initial sequence number (its SYN's seq), K the server's. Every
seq and ack is printed relative to them (J+1, K+6, ...), as the notes write them,
and the legend gives the absolute numbers the header carried. Events (a call
returning, a state read) are put between the segments at the time they happened.
"""

from __future__ import annotations

from typing import Sequence

from netlab.lab.experiments.site import Segment

FLAG_WORDS = {"S": "SYN", "S.": "SYN,ACK", ".": "ACK", "P.": "PSH,ACK", "F.": "FIN,ACK", "FP.": "FIN,PSH,ACK",
              "R": "RST", "R.": "RST,ACK"}
WIDTH = 44  # the arrow's length


def relative(number: int, base: int, name: str) -> str:
    offset = (number - base) % 2**32
    return name if offset == 0 else f"{name}+{offset}"


def isns(segments: Sequence[Segment], client_port: int) -> tuple[int | None, int | None]:
    """J and K: the seq of the client's SYN and of the server's SYN (None if not captured)."""
    j = next((s.seq for s in segments if s.flags == "S" and s.sport == client_port), None)
    k = next((s.seq for s in segments if s.flags == "S." and s.dport == client_port), None)
    return j, k


def label(segment: Segment, client_port: int, j: int | None, k: int | None) -> str:
    """'SYN,ACK seq=K ack=J+1' for one segment (absolute numbers where J or K is unknown)."""
    from_client = segment.sport == client_port
    mine, theirs = ((j, "J"), (k, "K")) if from_client else ((k, "K"), (j, "J"))
    words = [FLAG_WORDS.get(segment.flags or "", segment.flags or "?")]
    if segment.seq is not None:
        words.append("seq=" + (relative(segment.seq, mine[0], mine[1]) if mine[0] is not None else str(segment.seq)))
    if segment.ack and "." in (segment.flags or ""):
        words.append("ack=" + (relative(segment.ack, theirs[0], theirs[1]) if theirs[0] is not None
                               else str(segment.ack)))
    if segment.payload:
        words.append(f"len={segment.payload}")
    return " ".join(words)


def draw(segments: Sequence[Segment], client_port: int, server_port: int,
         events: Sequence[tuple[float, str, str]] = (), t0: float | None = None, skip: int = 0) -> str:
    """The ladder: one line per segment and per event ``(time, "client"|"server", text)``, in time order.

    ``skip``: leave out the first segments (a close's ladder without its handshake);
    J and K still come from the handshake.
    """
    j, k = isns(segments, client_port)
    segments = segments[skip:]
    if t0 is None:
        t0 = min([s.time for s in segments] + [t for t, _, _ in events], default=0.0)
    rows: list[tuple[float, int, str]] = []
    for seg in segments:
        text = label(seg, client_port, j, k)
        if seg.sport == client_port:
            arrow = f"|-- {text} ".ljust(WIDTH, "-") + ">|"
        else:
            arrow = "|<" + f" {text} --|".rjust(WIDTH, "-")
        rows.append((seg.time, 0, arrow))
    for when, side, text in events:
        gap = " " * (WIDTH + 3)
        rows.append((when, 1, f"  {text}" if side == "client" else f"{gap}{text}"))
    head = f"client :{client_port}".ljust(WIDTH + 2) + f"server :{server_port}"
    lines = [f"{'t (ms)':>9}   {head}"]
    for when, _order, text in sorted(rows, key=lambda r: (r[0], r[1])):
        lines.append(f"{(when - t0) * 1000:9.3f}   {text}")
    legend = []
    if j is not None:
        legend.append(f"J = {j} (the client's first seq)")
    if k is not None:
        legend.append(f"K = {k} (the server's first seq)")
    if legend:
        lines.append("          " + "; ".join(legend))
    return "\n".join(lines)
