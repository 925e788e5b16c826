"""Spanning tree BPDUs (802.1D STP, 802.1w RSTP, 802.1s MSTP) after an LLC header
of SAP 0x42, as tcpdump 4.99.3's print-stp.c prints them.

``STP 802.1w, Rapid STP, Flags [Learn, Forward], bridge-id 8000.02:00:4d:00:00:01.8001, length 36``;
-v adds the timers, the root bridge and path cost (and RSTP's port role), for
MSTP the CIST and every MSTI. A BPDU shorter than its type needs is ``(invalid)``;
a field past the capture ends the line with `` [|stp]``.
"""

from __future__ import annotations

from netlab.capture import dispatch
from netlab.capture.fmt_base import CheckedReader, Truncated, printjnp

_CUT = Truncated("stp")

_PROTOCOLS = {0: "802.1d", 2: "802.1w", 3: "802.1s", 4: "802.1aq"}
_TYPES = {0x00: "Config", 0x02: "Rapid STP", 0x80: "Topology Change"}
_FLAG_NAMES = ((0x01, "Topology change"), (0x02, "Proposal"), (0x10, "Learn"), (0x20, "Forward"),
               (0x40, "Agreement"), (0x80, "Topology change ACK"))
_ROLES = {0: "Unknown", 1: "Alternate", 2: "Root", 3: "Designated"}

_BPDU_LEN = 36           # up to and with the version 1 length
_MSTP_MIN_LEN = 102
_V3LEN = 36              # MSTP offsets
_MSTI_LEN = 16
_CONFIG_INFO_LEN = 64


class _Bpdu(CheckedReader):
    """The BPDU's bytes with tcpdump's reads: a read past the capture ends the line."""

    __slots__ = ()

    def __init__(self, d, p, end):
        super().__init__(d, end, _CUT, p)

    def bridge_id(self, at):
        self.need(at, 8)
        b = self.d[self.base + at:self.base + at + 8]
        return "%02x%02x.%s" % (b[0], b[1], ":".join("%02x" % c for c in b[2:]))

    def name(self, out, at, size):
        """nd_printjnp: up to size bytes, to the first NUL (what precedes a cut stays printed)."""
        printjnp(out, self.d, self.base + at, size, self.end, self.cut)


def _flags(flags):
    names = [name for bit, name in _FLAG_NAMES if flags & bit]
    return ", ".join(names) if names else "none"


def _timers(b):
    return "\n\tmessage-age %.2fs, max-age %.2fs, hello-time %.2fs, forwarding-delay %.2fs" % (
        b.u16(27) / 256.0, b.u16(29) / 256.0, b.u16(31) / 256.0, b.u16(33) / 256.0)


def stp_print(f, out, d, p, length, end):
    if length < 4:
        out.append(" (invalid)")
        return
    b = _Bpdu(d, p, end)
    if b.u16(0):
        out.append("unknown STP version, length %u" % length)
        return
    version = b.u8(2)
    out.append("STP %s" % _PROTOCOLS.get(version, "Unknown STP protocol (0x%02x)" % version))
    if version not in _PROTOCOLS:
        return
    kind = b.u8(3)
    out.append(", %s" % _TYPES.get(kind, "Unknown BPDU Type (0x%02x)" % kind))
    if kind == 0x00:
        if length < _BPDU_LEN - 1:
            out.append(" (invalid)")
            return
        _config(f, out, b, length)
    elif kind == 0x02:
        if version == 2:
            if length < _BPDU_LEN:
                out.append(" (invalid)")
                return
            _config(f, out, b, length)
        elif version in (3, 4):
            if length < _MSTP_MIN_LEN or b.u8(35) != 0:
                out.append(" (invalid)")
                return
            mstp_len = b.u16(_V3LEN) + 2
            if length < _BPDU_LEN + mstp_len:
                out.append(" (invalid)")
                return
            _mstp(f, out, b, length)
            if version == 4:
                spb_len = b.u16(_V3LEN + mstp_len) + 2
                if length < _BPDU_LEN + mstp_len + spb_len or spb_len < 87:
                    out.append(" (invalid)")
                    return
                _spb(f, out, b, _BPDU_LEN + mstp_len)


def _config(f, out, b, length):
    flags = b.u8(4)
    out.append(", Flags [%s]" % _flags(flags))
    out.append(", bridge-id %s.%04x, length %u" % (b.bridge_id(17), b.u16(25), length))
    if not f.vflag:
        return
    out.append(_timers(b))
    out.append("\n\troot-id %s, root-pathcost %u" % (b.bridge_id(5), b.u32(13)))
    if b.u8(2) == 2:
        out.append(", port-role %s" % _ROLES[(flags & 0x0C) >> 2])


def _mstp(f, out, b, length):
    flags = b.u8(4)
    out.append(", CIST Flags [%s], length %u" % (_flags(flags), length))
    if not f.vflag:
        return
    out.append("\n\tport-role %s, " % _ROLES[(flags & 0x0C) >> 2])
    out.append("CIST root-id %s, CIST ext-pathcost %u" % (b.bridge_id(5), b.u32(13)))
    out.append("\n\tCIST regional-root-id %s, " % b.bridge_id(17))
    out.append("CIST port-id %04x," % b.u16(25))
    out.append(_timers(b))
    out.append("\n\tv3len %u, " % b.u16(_V3LEN))
    out.append("MCID Name ")
    b.name(out, 39, 32)
    out.append(", rev %u,\n\t\tdigest %08x%08x%08x%08x, " % (b.u16(71), b.u32(73), b.u32(77), b.u32(81), b.u32(85)))
    out.append("CIST int-root-pathcost %u," % b.u32(89))
    out.append("\n\tCIST bridge-id %s, " % b.bridge_id(93))
    out.append("CIST remaining-hops %u" % b.u8(101))
    v3len = b.u16(_V3LEN)
    if v3len > _CONFIG_INFO_LEN:
        left = v3len - _CONFIG_INFO_LEN
        at = 102
        while left >= _MSTI_LEN:
            msti = b.u16(at + 1) & 0x0FFF
            mflags = b.u8(at)
            out.append("\n\tMSTI %u, Flags [%s], port-role %s" % (msti, _flags(mflags), _ROLES[(mflags & 0x0C) >> 2]))
            out.append("\n\t\tMSTI regional-root-id %s, pathcost %u" % (b.bridge_id(at + 1), b.u32(at + 9)))
            out.append("\n\t\tMSTI bridge-prio %u, port-prio %u, hops %u" % (
                b.u8(at + 13) >> 4, b.u8(at + 14) >> 4, b.u8(at + 15)))
            left -= _MSTI_LEN
            at += _MSTI_LEN


def _spb(f, out, b, at):
    if not f.vflag:
        return
    out.append("\n\tv4len %u, " % b.u16(at))
    out.append("AUXMCID Name ")
    b.name(out, at + 3, 32)
    out.append(", Rev %u,\n\t\tdigest %08x%08x%08x%08x" % (b.u16(at + 35), b.u32(at + 37), b.u32(at + 41),
                                                          b.u32(at + 45), b.u32(at + 49)))
    agreement, fmt, con = b.u8(at + 53), b.u8(at + 55), b.u8(at + 56)
    out.append("\n\tAgreement num %u, Discarded Agreement num %u, Agreement valid-flag %u,\n\t"
               "Restricted role-flag: %u, Format id %u cap %u, Convention id %u cap %u,\n\tEdge count %u, "
               "Agreement digest %08x%08x%08x%08x%08x" % (
                   agreement >> 6, agreement >> 4 & 3, agreement >> 3 & 1, agreement >> 2 & 1, fmt >> 4, fmt & 0xFF,
                   con >> 4, con & 0xFF, b.u16(at + 57), b.u32(at + 67), b.u32(at + 71), b.u32(at + 75),
                   b.u32(at + 79), b.u32(at + 83)))


dispatch.LLC_SAPS[0x42] = stp_print
