"""The tables that hand a packet from one printer to the next (tcpdump's printers[]).

Each printer module registers what it prints here when it is imported, and
looks up the layer above here when it prints: a printer never imports the
printer of a higher layer, so the printer modules form no import cycle. The
Formatter (decode.py) imports every printer module once, which fills the
tables before the first packet.

Signatures, by table:

- LINKTYPES[linktype](f, out, d, length): a whole captured frame.
- ETHERTYPES[ethertype](f, out, d, p, length, end): the network layer at d[p:].
- IP4_PROTOS[proto], IP6_PROTOS[next header](f, out, d, p, length, end, ipoff, v6, direct, fragmented):
  what follows an IP header at ipoff; ``direct``: the printer prints the addresses itself.
- TCP_PORTS[port](f, out, d, q, length, end): the payload of a TCP segment.
- UDP_PORTS[port](f, out, d, q, length, end, ulen, fragmented): the payload of a
  UDP datagram; True if it printed the line's end (else the plain UDP text follows).
- RX_SERVICES[port] = (call, reply): the AFS service on an RX port; call(f, out, d, q, length,
  end) prints a call (q: the RX header), reply(f, out, d, q, length, end, opcode) a reply.
- LLC["802.2"](f, out, d, p, length, end, src, dst): the LLC header after an 802.3
  length field (fmt_llc); the header's length, or None for a frame it leaves to the
  link printer.
- LLC_SAPS[sap](f, out, d, p, length, end): the payload of an LLC UI frame whose
  DSAP and SSAP are both sap.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: collections (1.4 ms) is not imported at start-up
    from collections.abc import Callable

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD

LINKTYPES: dict[int, Callable] = {}
ETHERTYPES: dict[int, Callable] = {}
IP4_PROTOS: dict[int, Callable] = {}
IP6_PROTOS: dict[int, Callable] = {}
TCP_PORTS: dict[int, Callable] = {}
UDP_PORTS: dict[int, Callable] = {}
RX_SERVICES: dict[int, tuple] = {}
LLC: dict[str, Callable] = {}
LLC_SAPS: dict[int, Callable] = {}


def ip_proto(proto: int, printer: Callable, v4: bool = True, v6: bool = True) -> None:
    """Register the printer of an IP protocol (after IPv4, IPv6 or both)."""
    if v4:
        IP4_PROTOS[proto] = printer
    if v6:
        IP6_PROTOS[proto] = printer


def ports(table: dict[int, Callable], printer: Callable, *numbers: int) -> None:
    """Register the printer of a TCP or UDP application on its well-known ports."""
    for n in numbers:
        table[n] = printer
