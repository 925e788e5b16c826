"""ESP (IP protocol 50) and ESP in UDP (NAT traversal, UDP 4500), as tcpdump 4.99.3's
print-esp.c and print-isakmp.c's isakmp_rfc3948_print print them.

``ESP(spi=0x00001000,seq=0x5), length 116``: the SPI and sequence number, then the
length; the payload is encrypted (tcpdump decrypts only with -E, which netlab lacks).
On UDP 4500 the same after ``UDP-encap: ``, a one-byte 0xff datagram is
``isakmp-nat-keep-alive``. Not decoded here: IKE on port 4500 (four zero bytes, then
ISAKMP: ``NONESP-encap: isakmp...``), which prints as plain UDP.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated

_ESP_CUT = Truncated("esp", whole=False)      # esp_print's own check: nd_print_trunc
_NATT_READ = Truncated("isakmp_rfc3948")      # a read past the capture (longjmp)
_NATT_SHORT = Truncated("isakmp_rfc3948", whole=False)
_SPI_SEQ = struct.Struct("!II")


def _esp(out, d, p, length, end):
    """esp_print: it wants more than the 8-byte header in the capture."""
    if p + 8 >= end:
        raise _ESP_CUT
    out.append("ESP(spi=0x%08x,seq=0x%x), length %u" % (*_SPI_SEQ.unpack_from(d, p), length))


def esp_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    _esp(out, d, p, length, end)


def natt_print(f, out, d, q, length, end, ulen, fragmented):
    """isakmp_rfc3948_print: a NAT keep-alive, or ESP after ``UDP-encap: ``."""
    if length == 1:
        if q >= end:
            raise _NATT_READ
        if d[q] == 0xFF:
            out.append("isakmp-nat-keep-alive")
            return True
    if length < 4:
        raise _NATT_SHORT
    if q + 4 > end:
        raise _NATT_READ
    if d[q:q + 4] == b"\x00\x00\x00\x00":
        return False  # IKE (NONESP-encap): not decoded, plain UDP
    out.append("UDP-encap: ")
    _esp(out, d, q, length, end)
    return True


dispatch.ip_proto(50, esp_print)
dispatch.ports(dispatch.UDP_PORTS, natt_print, 4500)
