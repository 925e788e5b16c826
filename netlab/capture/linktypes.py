"""Every fact netlab knows about link types, once: names, libpcap's numbers, header layouts.

A pcap file names its link type with a LINKTYPE_ value; libpcap's filter
compiler wants the DLT_ value, which on Linux differs for a few. The printers
(fmt_link), the fast path, the jsonl fields, the "reading from file" line and
the filter compiler's messages (bpf) all read this table.
"""

from __future__ import annotations

from netlab.core.plain import Plain

ETHERNET = 1  # LINKTYPE_ETHERNET: also what VXLAN carries


class LinkType(Plain):
    """What libpcap and tcpdump know of one link type. Not a dataclass (the dataclasses module
    costs `netlab capture --count` a third of its start-up) nor a named tuple (collections, 1.4 ms)."""

    DEFAULTS = {
        "name": None,                  # pcap_datalink_val_to_name(), as tcpdump prints it
        "description": None,           # pcap_datalink_val_to_description()
        "kind": None,                  # the header layout netlab decodes (fmt_link's printer); None: not decoded
        "dlt": None,                   # libpcap's DLT_ value on Linux, when not the same number
        "direction_in_header": False,  # the header says which way a packet went: `inbound` works offline
    }
    FIELDS = tuple(DEFAULTS)
    __slots__ = FIELDS


LINKTYPES: dict[int, LinkType] = {
    0: LinkType("NULL", "BSD loopback", "null"),
    1: LinkType("EN10MB", "Ethernet", "ether"),
    8: LinkType(direction_in_header=True),                    # SLIP
    9: LinkType(None, "PPP"),
    12: LinkType("RAW", "Raw IP", "raw"),
    14: LinkType("RAW", "Raw IP", "raw"),
    100: LinkType(dlt=11),                                    # ATM_RFC1483
    101: LinkType("RAW", "Raw IP", "raw", dlt=12),
    102: LinkType(dlt=15),                                    # SLIP_BSDOS
    103: LinkType(dlt=16),                                    # PPP_BSDOS
    105: LinkType(None, "802.11"),
    108: LinkType("LOOP", "OpenBSD loopback", "loop"),
    113: LinkType("LINUX_SLL", "Linux cooked v1", "sll", direction_in_header=True),
    117: LinkType(direction_in_header=True),                  # PFLOG
    166: LinkType(direction_in_header=True),                  # PPP_PPPD
    228: LinkType("IPV4", "Raw IPv4", "raw"),
    229: LinkType("IPV6", "Raw IPv6", "raw"),
    276: LinkType("LINUX_SLL2", "Linux cooked v2", "sll2", direction_in_header=True),
}
_NONE = LinkType()

# Header layouts with a fixed length: (header length, offset of the Ethernet type in it;
# None where the IP version nibble decides, as for raw IP).
HEADERS = {"ether": (14, 12), "sll": (16, 14), "sll2": (20, 0), "raw": (0, None)}


def of(linktype: int) -> LinkType:
    return LINKTYPES.get(linktype, _NONE)


def kind(linktype: int) -> str | None:
    return LINKTYPES.get(linktype, _NONE).kind


def numbers(of_kind: str) -> list[int]:
    """The link types with one header layout (the printer registers for each)."""
    return [n for n, lt in LINKTYPES.items() if lt.kind == of_kind]


def linktype_name(linktype: int) -> str:
    """The link-type text of tcpdump's "reading from file ..., link-type X (...)" line."""
    lt = LINKTYPES.get(linktype, _NONE)
    if lt.name is None:
        return "%u" % linktype
    return "%s (%s)" % (lt.name, lt.description)


def dlt_for_linktype(linktype: int) -> int:
    return LINKTYPES.get(linktype, _NONE).dlt or linktype
