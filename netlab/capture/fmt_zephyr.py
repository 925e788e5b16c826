"""Zephyr (UDP 2103 and 2104), as tcpdump 4.99.3's print-zephyr.c prints it.

A notice is NUL-terminated text fields: `` zephyr unacked user@REALM to
<MESSAGE,personal,bob@REALM> op PERSONAL``, with tcpdump's short forms for
subscriptions, locates, logins and the host manager. Fields that run past the
datagram are `` (invalid)``; a first field not starting with ``ZEPH`` prints nothing.
"""

from __future__ import annotations

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, printjn

_READ = Truncated("zephyr")
_TYPES = {0: "unsafe", 1: "unacked", 2: "acked", 3: "hm-ack", 4: "hm-ctl", 5: "serv-ack", 6: "serv-nak",
          7: "client-ack", 8: "stat"}
_SERVACK = 5
_HEX = "0123456789abcdef"
_EXPOSURES = ("NONE", "OPSTAFF", "REALM-VISIBLE", "REALM-ANNOUNCED", "NET-VISIBLE", "NET-ANNOUNCED")


class _Fields:
    """parse_field over the datagram: each call the next NUL-terminated field, None when
    the datagram ends first (and from then on)."""

    def __init__(self, d, p, length, end):
        self.d, self.p, self.left, self.end = d, p, length, end

    def next(self) -> bytes | None:
        start = self.p
        while True:
            if self.left == 0:
                return None
            if self.p >= self.end:
                raise _READ
            if self.d[self.p] == 0:
                break
            self.p += 1
            self.left -= 1
        self.p += 1
        self.left -= 1
        return self.d[start:self.p - 1]


def _strtol16(s: bytes) -> int:
    """C's strtol(s, 0, 16) stored in an int: spaces, a sign, an optional 0x, hex digits."""
    text = s.decode("latin-1")
    i, n = 0, len(text)
    while i < n and text[i] in " \t\n\v\f\r":
        i += 1
    sign = 1
    if i < n and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    if text[i:i + 2].lower() == "0x" and i + 2 < n and text[i + 2].lower() in _HEX:
        i += 2
    value = 0
    while i < n and text[i].lower() in _HEX:
        value = value * 16 + _HEX.index(text[i].lower())
        i += 1
    value = min(value, 1 << 63) if sign < 0 else min(value, (1 << 63) - 1)  # strtol saturates
    value = (sign * value) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _lower(s: bytes) -> bytes:
    """str_to_lower: into tcpdump's 256-byte buffer (255 characters at most)."""
    return s[:255].lower()


def _print(out, text: str, s: bytes) -> None:
    """ZEPHYR_PRINT: the text, then the field escaped as fn_print_str does."""
    out.append(text + printjn(s))


def _triple(c: bytes, i: bytes, r: bytes) -> bytes:
    return (b"<%s,%s,%s>" % (c, i, r or b"*"))[:255]


def zephyr_print(f, out, d, q, length, end, ulen, fragmented):
    fields = _Fields(d, q, length, end)
    version = fields.next()
    if version is None:
        out.append(" (invalid)")
        return True
    if not version.startswith(b"ZEPH"):
        return True
    values = [version] + [fields.next() for _ in range(16)]
    if None in values:
        out.append(" (invalid)")
        return True
    kind = _strtol16(values[2])
    cls, inst, opcode, sender, recipient = values[8], values[9], values[10], values[11], values[12]
    out.append(" zephyr")
    if version[4:7] != b"0.2":
        _print(out, " v", version[4:])
        return True
    out.append(" " + _TYPES.get(kind, "type %d" % kind))
    if kind == _SERVACK:
        ackdata = fields.next()
        if ackdata is not None and ackdata != b"SENT":
            _print(out, "/", _lower(ackdata))
    if sender:
        _print(out, " ", sender)
    if cls == b"USER_LOCATE":
        if opcode == b"USER_HIDE":
            out.append(" hide")
        elif opcode == b"USER_UNHIDE":
            out.append(" unhide")
        else:
            _print(out, " locate ", inst)
        return True
    if cls == b"ZEPHYR_ADMIN":
        _print(out, " zephyr-admin ", _lower(opcode))
        return True
    if cls == b"ZEPHYR_CTL":
        if inst == b"CLIENT":
            if opcode in (b"SUBSCRIBE", b"SUBSCRIBE_NODEFS", b"UNSUBSCRIBE"):
                out.append(" %ssub%s" % ("" if opcode == b"SUBSCRIBE" else "un",
                                         "-nodefs" if opcode == b"SUBSCRIBE_NODEFS" else ""))
                if kind != _SERVACK:
                    triple = [fields.next() for _ in range(3)]
                    if None not in triple:
                        _print(out, " ", _triple(*triple))
                return True
            short = {b"GIMME": " ret", b"GIMMEDEFS": " gimme-defs", b"CLEARSUB": " clear-subs"}.get(opcode)
            if short:
                out.append(short)
            else:
                _print(out, " ", _lower(opcode))
            return True
        if inst == b"HM":
            _print(out, " ", _lower(opcode))
            return True
        if inst == b"REALM":
            out.append({b"ADD_SUBSCRIBE": " realm add-subs", b"REQ_SUBSCRIBE": " realm req-subs",
                        b"RLM_SUBSCRIBE": " realm rlm-sub", b"RLM_UNSUBSCRIBE": " realm rlm-unsub"}.get(opcode, ""))
            return True
    if cls in (b"HM_CTL", b"WG_CTL"):
        _print(out, " hm_ctl " if cls == b"HM_CTL" else " wg_ctl ", _lower(inst))
        _print(out, " ", _lower(opcode))
        return True
    if cls == b"HM_STAT" and inst == b"HMST_CLIENT" and opcode == b"GIMMESTATS":
        out.append(" get-client-stats")
        return True
    if cls == b"LOGIN":
        if opcode == b"USER_FLUSH":
            out.append(" flush_locs")
            return True
        if opcode.decode("latin-1") in _EXPOSURES:
            _print(out, " set-exposure ", _lower(opcode))
            return True
    _print(out, " to ", _triple(cls, inst, recipient))
    if opcode:
        _print(out, " op ", opcode)
    return True


dispatch.ports(dispatch.UDP_PORTS, zephyr_print, 2103, 2104)
