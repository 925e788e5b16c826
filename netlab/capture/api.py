"""`netlab capture` for scripts: the packets of a capture file or an interface, with their fields.

    import netlab
    for packet in netlab.capture.read("trace.pcap", filter="tcp port 80"):
        print(packet["src"], packet["dport"], packet.line)
    for packet in netlab.capture.listen("eth0", "icmp", count=10, seconds=30):   # root
        print(packet.as_dict())

Each packet is a CapturedPacket: its fields are the object `netlab capture -r
FILE --format jsonl` prints for it (``as_dict()``, or ``packet[key]``), its
``line`` the text of that line (tcpdump's, without the hex dump), its ``data``
the captured bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

from netlab.capture.options import FormatOptions
from netlab.capture.reader import OfflineCapture
from netlab.errors import UsageError


@dataclass(frozen=True, slots=True)
class CapturedPacket:
    """One packet of a capture: the jsonl record's fields, and the bytes they were read from."""

    fields: dict
    data: bytes

    def as_dict(self) -> dict:
        return dict(self.fields)

    def __getitem__(self, key: str):
        return self.fields[key]

    @property
    def line(self) -> str:
        """The packet's line as `netlab capture -r` prints it (the timestamp in local time)."""
        return self.fields["summary"]


def read(path: str | os.PathLike, filter: str | None = None, *, count: int | None = None, nano: bool = False,
         utc: bool = False) -> Iterator[CapturedPacket]:
    """The packets of a pcap or pcapng file, in order; ``filter`` is a pcap-filter(7) expression.

    ``count`` stops after that many (-c), ``nano`` gives nanosecond times
    (--nano), ``utc`` prints the line's time in UTC. A file that is not a
    capture raises CaptureFileError, a bad filter UsageError, both at the
    call; a file damaged further on gives the packets before the damage, then
    raises CaptureFileError there (where tcpdump stops, with libpcap's reason).
    The file is closed when the loop ends (or the iterator is closed).
    """
    if count is not None and count <= 0:
        raise UsageError(f"invalid packet count {count}", "count takes a positive number")
    capture = OfflineCapture(os.fspath(path), filter, nano)  # a bad file or filter raises here, not at the first packet
    return _packets(capture, count, FormatOptions(nano=nano, utc=utc))


def listen(interface: str | None = None, filter: str | None = None, *, count: int | None = None,
         seconds: float | None = None, snaplen: int = 262144, promisc: bool = True, nano: bool = False,
         utc: bool = False) -> Iterator[CapturedPacket]:
    """The packets seen on an interface (default: the first up, non-loopback one) from this call on.

    Ends after ``count`` packets or ``seconds`` from the call (whichever comes
    first; with neither, when the loop is left). Needs root or CAP_NET_RAW
    (PrivilegeError). The capture is open from the call on: packets sent
    before the first next() are kept.
    """
    from netlab.capture.live import LiveCapture, default_device

    if count is not None and count <= 0:
        raise UsageError(f"invalid packet count {count}", "count takes a positive number")
    if seconds is not None and not seconds > 0:
        raise UsageError(f"invalid duration {seconds}", "seconds takes a positive number")
    capture = LiveCapture(interface or default_device(), snaplen, filter, promisc=promisc, nano=nano)
    stop = None
    if seconds is not None:
        import threading

        stop = threading.Timer(seconds, capture.request_stop)  # wakes the live loop, which then drains
        stop.daemon = True
        stop.start()
    return _packets(capture, count, FormatOptions(nano=nano, utc=utc), stop)


def _packets(capture, count: int | None, options: FormatOptions, stop=None) -> Iterator[CapturedPacket]:
    """A capture's packets (an OfflineCapture or a LiveCapture) as CapturedPackets; ``stop``: a timer to cancel."""
    from netlab.capture.decode import Formatter  # the printers: imported only when reading

    try:
        with capture:
            record = Formatter(capture.linktype, options).record
            done = 0
            for batch in capture.batches():
                for packet in batch:
                    yield CapturedPacket(record(*packet), packet[4])
                    done += 1
                    if done == count:
                        return
    finally:
        if stop is not None:
            stop.cancel()
