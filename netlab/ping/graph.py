"""--graph: the round trip times as a terminal chart, a column per probe, newest on the right.

``render(samples, width, height)`` is a pure function (lines of text); ``Graph``
keeps the samples and, on a terminal, redraws the chart in place (at most 20
times a second: cursor up, overwrite); elsewhere it prints the chart once at the
end. Eighth-block characters give each row eight steps; a probe answered by an
ICMP error is a ``x`` on the baseline. Imported only with --graph.
"""

from __future__ import annotations

import shutil
import time

BLOCKS = " ▁▂▃▄▅▆▇█"
HEIGHT = 8
LABEL = 10  # "  12.345 |"
REDRAW_EVERY = 0.05


def render(samples: list, width: int, height: int = HEIGHT) -> list[str]:
    """The chart of the last ``width`` samples (RTT in us, or None for an error), scaled to their maximum."""
    shown = samples[-width:] if width > 0 else []
    values = [s for s in shown if s is not None]
    top = max(values, default=0) or 1
    lines = []
    for row in range(height):
        floor = (height - 1 - row) * 8  # eighths below this row
        label = f"{top / 1000:8.3f} |" if row == 0 else f"{top / 2000:8.3f} |" if row == height // 2 else \
            f"{0:8.3f} |" if row == height - 1 else " " * (LABEL - 1) + "|"
        cells = []
        for s in shown:
            if s is None:
                cells.append("x" if row == height - 1 else " ")
                continue
            eighths = max(1, round(s * height * 8 / top))  # every reply shows, however fast
            cells.append(BLOCKS[min(8, max(0, eighths - floor))])
        lines.append(label + "".join(cells))
    return lines


class Graph:
    def __init__(self, out, tty: bool):
        self.out = out
        self.tty = tty
        self.samples: list = []
        self._drawn = False
        self._last = 0.0

    def width(self) -> int:
        return max(10, shutil.get_terminal_size((80, 24)).columns - LABEL - 1)

    def add(self, rtt_us: int | None) -> None:
        self.samples.append(rtt_us)
        if len(self.samples) > 4096:
            del self.samples[:2048]
        now = time.monotonic()
        if self.tty and now - self._last >= REDRAW_EVERY:
            self._last = now
            self.draw()

    def draw(self) -> None:
        lines = [f"rtt ms, last {min(len(self.samples), self.width())} probes:"]
        lines += render(self.samples, self.width())
        text = "\n".join(lines) + "\n"
        if self.tty and self._drawn:
            text = f"\x1b[{len(lines)}A" + "".join(f"\x1b[2K{line}\n" for line in lines)
        self.out.write(text)
        self.out.flush()
        self._drawn = True

    def finish(self) -> None:
        self.draw()
