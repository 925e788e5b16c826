"""--follow tcp,N: one stream's payload, reassembled, printed as tshark -z follow,tcp,ascii prints it.

Each direction is put in sequence order: a segment's bytes already delivered
(a retransmission) are left out, a segment past a gap waits until the gap is
filled. Node 0 is the sender of the stream's first packet; its chunks are
printed flush left, node 1's after a tab, each as its byte count, a newline and
the bytes (printable ASCII, CR and LF as they are; any other byte a dot).
"""

from __future__ import annotations

from netlab.capture.statspec import FollowSpec

RULE = "=" * 67


class Follower:
    def __init__(self, spec: FollowSpec):
        self.spec = spec
        self.stream = None  # the tcpstreams.Stream once found
        self.nodes: list[tuple[str, int]] = []
        self.chunks: list[tuple[int, bytes]] = []  # (node, bytes) in the order they were delivered
        self._next: dict[int, int | None] = {0: None, 1: None}
        self._waiting: dict[int, dict[int, bytes]] = {0: {}, 1: {}}

    def wants(self, stream) -> bool:
        if self.stream is not None:
            return stream is self.stream
        if self.spec.stream is not None:
            hit = stream.stream == self.spec.stream
        else:
            ends = {(stream.src, stream.sport), (stream.dst, stream.dport)}
            hit = ends == set(self.spec.ends)
        if hit:
            self.stream = stream
            self.nodes = [(stream.src, stream.sport), (stream.dst, stream.dport)]
        return hit

    def add(self, view: dict, stream) -> None:
        if stream is None or not self.wants(stream):
            return
        node = self.nodes.index((view["src"], view["sport"]))
        if "." in view["tcp_flags"]:
            self._acknowledged(1 - node, view["ack"])
        seq = view["seq"]
        if "S" in view["tcp_flags"]:
            self._next[node] = (seq + 1) & 0xFFFFFFFF
            seq = (seq + 1) & 0xFFFFFFFF
        data = b""
        if view["payload_at"] is not None:
            data = view["data"][view["payload_at"]:view["payload_at"] + view["payload_len"]]
        if not data:
            return
        if self._next[node] is None:
            self._next[node] = seq
        self._deliver(node, seq, data)

    def _acknowledged(self, node: int, ack: int) -> None:
        """The peer acknowledged bytes of this node past a gap: the capture missed them (tshark's marker)."""
        waiting = self._waiting[node]
        if not waiting or self._next[node] is None:
            return
        first = min(waiting, key=lambda s: (s - self._next[node]) & 0xFFFFFFFF)
        if ((ack - first) & 0xFFFFFFFF) < 0x80000000:  # first <= ack
            gap = (first - self._next[node]) & 0xFFFFFFFF
            self.chunks.append((node, b"[%d bytes missing in capture file]." % gap))
            self._next[node] = first
            self._deliver(node, first, waiting.pop(first))

    def _ahead(self, node: int, seq: int) -> bool:
        """Whether seq lies past what this node has delivered so far (a gap before it)."""
        return 0 < ((seq - self._next[node]) & 0xFFFFFFFF) < 0x80000000

    def _deliver(self, node: int, seq: int, data: bytes) -> None:
        waiting = self._waiting[node]
        if self._ahead(node, seq):
            waiting.setdefault(seq, data)
            return
        self._take(node, seq, data)
        ready = [s for s in waiting if not self._ahead(node, s)]
        while ready:  # the gap is filled: what waited behind it, in order
            for queued in sorted(ready, key=lambda s: (self._next[node] - s) & 0xFFFFFFFF, reverse=True):
                self._take(node, queued, waiting.pop(queued))
            ready = [s for s in waiting if not self._ahead(node, s)]

    def _take(self, node: int, seq: int, data: bytes) -> None:
        behind = (self._next[node] - seq) & 0xFFFFFFFF
        if behind >= len(data):
            return  # delivered already: a retransmission
        new = data[behind:]
        self.chunks.append((node, new))
        self._next[node] = (self._next[node] + len(new)) & 0xFFFFFFFF


_PRINTABLE = bytes(c if 32 <= c < 127 or c in (10, 13) else 46 for c in range(256))


def render(follower: Follower) -> str:
    spec = follower.spec
    number = follower.stream.stream if follower.stream else spec.stream
    where = f"tcp.stream eq {number}" if spec.ends is None else _address_filter(*spec.ends)
    lines = ["", RULE, "Follow: tcp,ascii", f"Filter: {where}"]
    for i, (address, port) in enumerate(follower.nodes or [("", 0), ("", 0)]):
        shown = f"[{address}]" if ":" in address else address
        lines.append(f"Node {i}: {shown}:{port}" if address else f"Node {i}: :0")
    for node, data in follower.chunks:
        lines.append(("\t" if node else "") + str(len(data)))
        lines.append(data.translate(_PRINTABLE).decode("ascii"))
    lines.append(RULE)
    return "\n".join(lines)


def _address_filter(one: tuple[str, int], other: tuple[str, int]) -> str:
    """tshark's filter line for a stream named by its endpoints."""
    def side(src, dst):
        ip = "ipv6" if ":" in src[0] else "ip"
        return (f"(({ip}.src eq {src[0]} and tcp.srcport eq {src[1]}) and "
                f"({ip}.dst eq {dst[0]} and tcp.dstport eq {dst[1]}))")
    return f"{side(one, other)} or {side(other, one)}"
