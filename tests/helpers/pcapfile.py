"""A minimal pcap/pcapng reader for the conformance tests (independent of the CLI's reader).

Yields (ts_sec, ts_frac, caplen, length, data) with ts_frac in the unit tcpdump
uses for the run: microseconds, or nanoseconds with ``nano=True`` (libpcap's
conversion: nanoseconds truncated to microseconds, microseconds scaled up).
"""

from __future__ import annotations

import struct


def read(path: str, nano: bool = False):
    with open(path, "rb") as fh:
        blob = fh.read()
    magic = struct.unpack_from("<I", blob)[0]
    if magic == 0x0A0D0D0A:
        return _pcapng(blob, nano)
    return _pcap(blob, nano)


def _pcap(blob, nano):
    magic = struct.unpack_from("<I", blob)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    else:
        e = ">"
        magic = struct.unpack_from(">I", blob)[0]
    file_nano = magic == 0xA1B23C4D
    linktype = struct.unpack_from(e + "I", blob, 20)[0] & 0x03FFFFFF
    rec = struct.Struct(e + "IIII")
    pkts = []
    off = 24
    while off + 16 <= len(blob):
        sec, frac, incl, orig = rec.unpack_from(blob, off)
        off += 16
        data = blob[off:off + incl]
        off += incl
        frac = _convert(frac, file_nano, nano)
        pkts.append((sec, frac, len(data), orig, data))
    return linktype, pkts


def _convert(frac, file_nano, nano):
    """libpcap's precision change, in its signed 32-bit arithmetic (4.99.3 shows the wrap)."""
    if file_nano == nano:
        return frac
    signed = frac - (1 << 32) if frac & 0x80000000 else frac
    if file_nano:
        q = abs(signed) // 1000
        value = q if signed >= 0 else -q
    else:
        value = signed * 1000
    return value & 0xFFFFFFFF


def _pcapng(blob, nano):
    off = 0
    e = "<"
    linktypes = []
    tsres = []
    pkts = []
    while off + 12 <= len(blob):
        btype = struct.unpack_from(e + "I", blob, off)[0]
        if btype == 0x0A0D0D0A:
            bom = struct.unpack_from("<I", blob, off + 8)[0]
            e = "<" if bom == 0x1A2B3C4D else ">"
        blen = struct.unpack_from(e + "I", blob, off + 4)[0]
        body = blob[off + 8:off + blen - 4]
        if btype == 1:
            lt = struct.unpack_from(e + "H", body)[0]
            res = 6
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(e + "HH", body, o)
                if code == 0:
                    break
                if code == 9:
                    res = body[o + 4]
                o += 4 + ((olen + 3) & ~3)
            linktypes.append(lt)
            tsres.append(res)
        elif btype == 6:
            ifid, hi, lo, incl, orig = struct.unpack_from(e + "IIIII", body)
            data = body[20:20 + incl]
            ts = (hi << 32) | lo
            units = 10 ** tsres[ifid]
            sec, frac = divmod(ts, units)
            frac = frac * (10 ** 9 if nano else 10 ** 6) // units
            pkts.append((sec, frac, len(data), orig, data))
        off += blen
    return linktypes[0], pkts
