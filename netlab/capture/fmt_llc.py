"""802.2 LLC after an 802.3 length field, as tcpdump 4.99.3's print-llc.c prints it.

The SAP pairs tcpdump decodes and netlab has a printer for (dispatch.LLC_SAPS:
STP's 0x42, IP's 0x06) get their printer after the 3-byte header; U, S and I
frames of other SAPs get tcpdump's ``Unnumbered, ui, Flags [Command], length
46`` text (the addresses and SAP names first, unless -e printed them). The
frames of SNAP, IPX, NetBEUI and OSI SAPs, which tcpdump decodes and netlab
does not, are left to fmt_link's plain 802.3 text.

The -x dump of a frame with an LLC header starts after that header, as tcpdump's.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import default_print, mac

_LE16 = struct.Struct("<H")

_SAP_NAMES = {0x00: "Null", 0xFF: "Global", 0x02: "802.1B I", 0x03: "802.1B G", 0x06: "IP", 0x04: "SNA",
              0x0E: "ProWay NM", 0x42: "STP", 0x4E: "RS511", 0x7E: "ISO8208", 0x8E: "ProWay", 0xAA: "SNAP",
              0xE0: "IPX", 0xF0: "NetBeui", 0xFE: "OSI"}
_U_COMMANDS = {0x03: "ui", 0xE3: "test", 0xAF: "xid", 0x63: "ua", 0x43: "disc", 0x0F: "dm", 0x6F: "sabme",
               0x87: "frmr"}
_FLAGS = {0: "Command", 1: "Response", 0x10: "Poll", 0x11: "Final", 0x100: "Poll", 0x101: "Final"}
_SUPERVISORY = {0: "Receiver Ready", 1: "Receiver not Ready", 2: "Reject"}
_UI = 0x03
_XID = 0xAF
# SAPs whose UI frames (or, for NetBEUI, I frames too) tcpdump hands to a decoder netlab lacks
_UNDECODED = (0xAA, 0xE0, 0xFE, 0xF0)


def llc_print(f, out, d, p, length, end, src, dst):
    """The LLC header at d[p:] and what follows; the header length (the -x dump skips it),
    or None for a frame tcpdump hands to a decoder netlab lacks (nothing printed)."""
    caplen = end - p
    if caplen < 3 or length < 3:
        out.append(" [|llc]")
        default_print(f, out, d[p:end], always=True)
        return caplen if caplen < 3 else length
    dsap_field, ssap_field, control = d[p], d[p + 1], d[p + 2]
    is_u = control & 3 == 3
    if is_u:
        hdrlen = 3
    else:
        if caplen < 4 or length < 4:
            out.append(" [|llc]")
            default_print(f, out, d[p:end], always=True)
            return caplen if caplen < 4 else length
        control = _LE16.unpack_from(d, p + 2)[0]
        hdrlen = 4
    if ssap_field == 0xFF and dsap_field == 0xFF:
        return None  # Novell's raw 802.3 IPX
    dsap, ssap = dsap_field & 0xFE, ssap_field & 0xFE
    if dsap == ssap and (dsap in _UNDECODED[:3] and control == _UI
                         or dsap == 0xF0 and (not control & 1 or control == 3)):
        return None
    if f.eflag:
        out.append("LLC, dsap %s (0x%02x) %s, ssap %s (0x%02x) %s" % (
            _SAP_NAMES.get(dsap, "Unknown"), dsap, "Group" if dsap_field & 1 else "Individual",
            _SAP_NAMES.get(ssap, "Unknown"), ssap, "Response" if ssap_field & 1 else "Command"))
        out.append(", ctrl 0x%02x: " % control if is_u else ", ctrl 0x%04x: " % control)
    q = p + hdrlen
    length -= hdrlen
    if dsap == ssap and control == _UI:
        printer = dispatch.LLC_SAPS.get(dsap)
        if printer is not None:
            f.hdrlen = q  # (a cut inside the payload still dumps from after this header)
            printer(f, out, d, q, length, end)
            return hdrlen
    if not f.eflag:
        if ssap == dsap:
            out.append("%s > %s %s " % (mac(src), mac(dst), _SAP_NAMES.get(dsap, "Unknown DSAP 0x%02x" % dsap)))
        else:
            out.append("%s %s > %s %s " % (mac(src), _SAP_NAMES.get(ssap, "Unknown SSAP 0x%02x" % ssap),
                                           mac(dst), _SAP_NAMES.get(dsap, "Unknown DSAP 0x%02x" % dsap)))
    gsap = ssap_field & 1
    if is_u:
        out.append("Unnumbered, %s, Flags [%s], length %u" % (
            _U_COMMANDS.get(control & 0xEF, "%02x" % (control & 0xEF)), _FLAGS.get(gsap | (control & 0x10), "?"),
            length + hdrlen))
        if control & ~0x10 == _XID:
            if length == 0:
                return hdrlen
            if end - q < 1:
                out.append(" [|llc]")
                return hdrlen
            if d[q] == 0x81:
                if end - q < 3 or length < 3:
                    out.append(" [|llc]")
                    default_print(f, out, d[q:end], always=True)
                else:
                    out.append(": %02x %02x" % (d[q + 1], d[q + 2]))
                return hdrlen
    elif control & 1:
        out.append("Supervisory, %s, rcv seq %u, Flags [%s], length %u" % (
            _SUPERVISORY.get((control >> 2) & 3, "?"), (control >> 9) & 0x7F, _FLAGS.get(gsap | (control & 0x100), "?"),
            length + hdrlen))
        return hdrlen
    else:
        out.append("Information, send seq %u, rcv seq %u, Flags [%s], length %u" % (
            (control >> 1) & 0x7F, (control >> 9) & 0x7F, _FLAGS.get(gsap | (control & 0x100), "?"), length + hdrlen))
    default_print(f, out, d[p:end])  # (tcpdump dumps from the LLC header on)
    return hdrlen


def _ip_in_llc(f, out, d, p, length, end):
    dispatch.ETHERTYPES[dispatch.ETH_P_IP](f, out, d, p, length, end)


dispatch.LLC["802.2"] = llc_print
dispatch.LLC_SAPS[0x06] = _ip_in_llc
