"""What libpcap (1.10, tcpdump's) accepts in a capture file, shared by the pcap and pcapng readers.

tcpdump refuses a damaged file, or stops at the damage, with libpcap's
reason; netlab gives the same verdict with the same words, and says where:
``CaptureFileError(path, words, where)``. The rules here are libpcap's
(savefile.c, sf-pcap.c, sf-pcapng.c, and gencode.c for the link types tcpdump
can compile a filter for, even the empty one it always compiles).
"""

from __future__ import annotations

from netlab.capture import linktypes
from netlab.errors import ExitStatus, NetlabError

MAXIMUM_SNAPLEN = 262144
INT_MAX = 0x7FFFFFFF
DAMAGED = "the file is damaged"
CUT_SHORT = "the file was cut short; the packets before it were read"

# LINKTYPE_ values whose DLT_ libpcap's filter compiler knows (gencode.c's init_linktype: a
# list of named types, and every type of the "matching" range 104-289). tcpdump compiles a
# filter, the empty one too, before it reads a packet: any other type ends it at once.
_KNOWN_BELOW_MATCHING = frozenset({0, 1, 6, 7, 8, 9, 10, 11, 12, 15, 16, 19, 50, 51, 99, 100, 101, 102, 103})
_MATCHING = range(104, 290)

# max_snaplen_for_dlt(): the few link types whose packets may be bigger than 256 KiB.
_MAX_SNAPLEN = {231: 128 * 1024 * 1024, 279: 8 * 1024 * 1024, 249: 1024 * 1024}  # DBUS, EBHSCR, USBPCAP


class CaptureFileError(NetlabError):
    """A capture file that is not one, or is damaged.

    ``packets_before`` (set by ``count()``) is how many matching packets came before the damage.
    """

    exit_code = ExitStatus.USAGE
    packets_before: int | None = None

    @classmethod
    def at(cls, path: str, words: str, where: str | None = None, hint: str = DAMAGED) -> "CaptureFileError":
        """libpcap's ``words`` about ``path``; ``where`` (a record, a block, a byte offset) goes in the hint."""
        return cls(f"{path}: {words}", f"{where}: {hint}" if where else hint)


def max_snaplen(linktype: int) -> int:
    return _MAX_SNAPLEN.get(linktypes.dlt_for_linktype(linktype), MAXIMUM_SNAPLEN)


def adjust_snapshot(linktype: int, snaplen: int) -> int:
    """pcap_adjust_snapshot(): a file's snapshot length of 0 or past INT_MAX means the link type's maximum."""
    if snaplen == 0 or snaplen > INT_MAX:
        return max_snaplen(linktype)
    return snaplen


def check_linktype(path: str, linktype: int) -> None:
    """Refuse a link type tcpdump cannot compile a filter for (its "unknown data link type")."""
    if linktype in _MATCHING or linktype in _KNOWN_BELOW_MATCHING:
        return
    raise CaptureFileError.at(path, f"unknown data link type {linktypes.dlt_for_linktype(linktype)}", "file header",
                              "libpcap knows no such link type")
