"""The IPv4 options a reply brings back (-R record route, -T timestamps), in iputils' words.

``OptionPrinter().text(options, name)`` is what iputils' pr_options() prints after
a reply line: each line starts with a newline, so the caller appends the text to
the reply line as it is. It remembers the last route, as iputils does, to print
"\\t(same route)" when it repeats.
"""

from __future__ import annotations

import socket
from collections.abc import Callable  # not typing: a share of start-up

IPOPT_EOL, IPOPT_NOP, IPOPT_RR, IPOPT_TS, IPOPT_LSRR, IPOPT_SSRR = 0, 1, 7, 68, 131, 137
IPOPT_MINOFF = 4
TS_ONLY = 0


class OptionPrinter:
    def __init__(self, name: Callable[[str], str], flood: bool = False):
        self.name = name  # an address -> as pr_addr() shows it (a name and the address, or the address)
        self.flood = flood
        self._old_route = b""

    def _address(self, raw: bytes) -> str:
        if raw == bytes(4):
            return "\t0.0.0.0"
        return "\t" + self.name(socket.inet_ntoa(raw))

    def text(self, options: bytes) -> str:
        out: list[str] = []
        total = len(options)
        at = 0
        while total > 0:
            kind = options[at]
            if kind == IPOPT_EOL:
                break
            if kind == IPOPT_NOP:
                total -= 1
                at += 1
                out.append("\nNOP")
                continue
            if at + 1 >= len(options):
                break
            length = options[at + 1]
            if length < 2 or length > total:
                break
            body = options[at:at + length]
            if kind == IPOPT_RR:
                out.append(self._record_route(body))
            elif kind == IPOPT_TS:
                out.append(self._timestamps(body))
            elif kind in (IPOPT_LSRR, IPOPT_SSRR):
                out.append(self._source_route(body))
            else:
                out.append(f"\nunknown option {kind:x}")
            total -= length
            at += length
        return "".join(out)

    def _record_route(self, body: bytes) -> str:
        length, pointer = body[1], body[2]
        used = min(pointer, length) - IPOPT_MINOFF
        if used <= 0:
            return ""
        # iputils compares from the pointer byte on (the pointer and the addresses)
        route = body[2:2 + used]
        if route == self._old_route and not self.flood:
            return "\t(same route)"
        self._old_route = route
        lines = []
        at = 3
        while True:
            lines.append(self._address(body[at:at + 4]) + "\n")
            at += 4
            used -= 4
            if used <= 0:
                break
        return "\nRR: " + "".join(lines)

    def _source_route(self, body: bytes) -> str:
        pointer = body[2]
        text = f"\n{'S' if body[0] == IPOPT_SSRR else 'L'}SRR: "
        at = 3
        while pointer > IPOPT_MINOFF:
            text += self._address(body[at:at + 4]) + "\n"
            at += 4
            pointer -= 4
        return text

    def _timestamps(self, body: bytes) -> str:
        length, pointer, flags = body[1], body[2], body[3]
        used = min(pointer, length) - 5
        if used <= 0:
            return ""
        text = "\nTS: "
        at = 4
        std = nonstd = 0
        while True:
            if flags & 0x0F != TS_ONLY:
                text += self._address(body[at:at + 4])
                at += 4
                used -= 4
                if used <= 0:
                    break
            stamp = int.from_bytes(body[at:at + 4], "big")
            at += 4
            if stamp & 0x80000000:
                value = stamp & 0x7FFFFFFF
                text += f"\t{value} absolute not-standard" if nonstd == 0 else f"\t{value - nonstd} not-standard"
                nonstd = value
            else:
                text += f"\t{stamp} absolute" if std == 0 else f"\t{stamp - std}"
                std = stamp
            used -= 4
            text += "\n"
            if used <= 0:
                break
        if flags >> 4:
            text += f"Unrecorded hops: {flags >> 4}\n"
        return text
