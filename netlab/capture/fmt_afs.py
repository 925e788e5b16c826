"""AFS calls inside RX (print-rx.c): the file service (port 7000) and the callback
service (7001), as tcpdump 4.99.3 prints them.

A call: `` fs call fetch-data fid 536870919/1/1 offset 0 length 65536``, with its
arguments (file ids, names, store-status masks, ACLs, bulk-stat lists, callbacks with
their expiry dates, UUIDs); a reply, matched to its call by fmt_rx's call cache:
`` fs reply create-file new fid ...``, `` error no such vnode`` for an abort. An
argument past the capture is `` [|fs]`` / `` [|cb]`` (the RX length follows). Not
decoded here (tcpdump does): the protection, VLDB, kauth, volume and BOS services
(ports 7002-7007) and ubik.
"""

from __future__ import annotations

import struct
import time

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, printjn

_READ = Truncated("rx")  # GET_ past the capture: tcpdump's longjmp ends the whole line
_HEADER = 28
_NAME_MAX = 256
_OPAQUE_MAX = 1024
_FS_CALLS = {130: "fetch-data", 131: "fetch-acl", 132: "fetch-status", 133: "store-data", 134: "store-acl",
             135: "store-status", 136: "remove-file", 137: "create-file", 138: "rename", 139: "symlink", 140: "link",
             141: "makedir", 142: "rmdir", 143: "oldsetlock", 144: "oldextlock", 145: "oldrellock", 146: "get-stats",
             147: "give-cbs", 148: "get-vlinfo", 149: "get-vlstats", 150: "set-vlstats", 151: "get-rootvl",
             152: "check-token", 153: "get-time", 154: "nget-vlinfo", 155: "bulk-stat", 156: "setlock",
             157: "extlock", 158: "rellock", 159: "xstat-ver", 160: "get-xstat", 161: "dfs-lookup",
             162: "dfs-flushcps", 163: "dfs-symlink", 220: "residency", 65536: "inline-bulk-status",
             65537: "fetch-data-64", 65538: "store-data-64", 65539: "give-up-all-cbs", 65540: "get-caps",
             65541: "cb-rx-conn-addr"}
_CB_CALLS = {204: "callback", 205: "initcb", 206: "probe", 207: "getlock", 208: "getce", 209: "xstatver",
             210: "getxstat", 211: "initcb2", 212: "whoareyou", 213: "initcb3", 214: "probeuuid", 215: "getsrvprefs",
             216: "getcellservdb", 217: "getlocalcell", 218: "getcacheconf", 65536: "getce64", 65537: "getcellbynum",
             65538: "tellmeaboutyourself"}
_FS_ERRORS = {101: "salvage volume", 102: "no such vnode", 103: "no such volume", 104: "volume exist",
              105: "no service", 106: "volume offline", 107: "voline online", 108: "diskfull",
              109: "diskquota exceeded", 110: "volume busy", 111: "volume moved", 112: "AFS IO error",
              0xFFFFFF9C: "restarting fileserver"}
_ACL_BITS = ((1, "r"), (8, "l"), (4, "i"), (16, "d"), (2, "w"), (32, "k"), (64, "a"))
# sscanf's "%d %d\n%n" and "%1024s %d\n%n": whitespace, then the fields (a %s never gives back characters);
# compiled by the first ACL (re is 1.6 ms of every start), then from re's cache
_ACL_HEAD = rb"\s*([+-]?\d+)\s*([+-]?\d+)\s*"
_ACL_ENTRY = rb"\s*(\S{1,1024}+)\s*([+-]?\d+)\s*"


class _Cut(Exception):
    """The printer's own "goto trunc": `` [|fs]`` or `` [|cb]``, then RX's length."""


class _Args:
    """The arguments after the RX header, read as print-rx.c's macros read them."""

    __slots__ = ("f", "out", "d", "p", "end")

    def __init__(self, f, out, d, p, end):
        self.f, self.out, self.d, self.p, self.end = f, out, d, p, end

    def check(self, n):
        """ND_TCHECK_LEN: the printer's own cut."""
        if self.p + n > self.end:
            raise _Cut

    def u32(self) -> int:
        if self.p + 4 > self.end:
            raise _READ
        value = struct.unpack_from("!I", self.d, self.p)[0]
        self.p += 4
        return value

    def s32(self) -> int:
        value = self.u32()
        return value - (1 << 32) if value & 0x80000000 else value

    def fid(self):
        self.check(12)
        self.out.append(" fid %u/%u/%u" % (self.u32(), self.u32(), self.u32()))

    def string(self, limit=_NAME_MAX):
        """STROUT: a counted string, padded to 4 bytes."""
        n = self.u32()
        if n > limit:
            raise _Cut
        self.out.append(' "')
        text = self.d[self.p:min(self.p + n, self.end)]
        self.out.append(printjn(text))
        if self.p + n > self.end:
            raise _Cut
        self.out.append('"')
        self.p += (n + 3) // 4 * 4

    def uint(self):
        self.out.append(" %u" % self.u32())

    def int(self):
        self.out.append(" %d" % self.s32())

    def uint64(self):
        high = self.u32()
        self.out.append(" %u" % (high << 32 | self.u32()))

    def date(self):
        """DATEOUT: seconds since 1970 in the zone tcpdump runs in."""
        when = self.s32()
        clock = time.gmtime if self.f.options.utc else time.localtime
        self.out.append(" " + time.strftime("%Y/%m/%d %H:%M:%S", clock(when)))

    def store_status(self):
        """STOREATTROUT: the fields the mask says are set."""
        self.check(24)
        mask = self.u32()
        if mask:
            self.out.append(" StoreStatus")
        if mask & 1:
            self.out.append(" date")
            self.date()
        else:
            self.p += 4
        for bit, text in ((2, " owner %u"), (4, " group %u"), (8, " mode %o"), (16, " segsize %u")):
            value = self.u32()
            if mask & bit:
                self.out.append(text % (value & 0o7777 if bit == 8 else value))
        if mask & 1024:
            self.out.append(" fsync")

    def uuid(self):
        """AFSUUIDOUT: 11 words, the last 8 a byte each."""
        self.check(44)
        words = [self.u32() for _ in range(11)]
        self.out.append(" %08x%04x%04x" % tuple(words[:3]) + "".join("%02x" % (w & 0xFF) for w in words[3:]))

    def acl(self):
        """An ACL's text (a count, then at most 1024 bytes up to a NUL) as acl_print shows it."""
        n = self.u32()
        self.check(n)
        text = self.d[self.p:self.p + min(n, _OPAQUE_MAX)].split(b"\x00", 1)[0]
        self.out.append(_acl_text(text))


def _acl_text(s: bytes) -> str:
    import re

    head = re.match(_ACL_HEAD, s)
    if not head:
        return ""
    parts = []
    at = head.end()
    counts = (int(head.group(1)), int(head.group(2)))
    for sign, count in zip("+-", counts):
        for _ in range(count):
            entry = re.compile(_ACL_ENTRY).match(s, at)
            if not entry:
                return "".join(parts)
            at = entry.end()
            bits = int(entry.group(2))
            parts.append(" %s{%s %s}" % (sign, printjn(entry.group(1)), "".join(c for b, c in _ACL_BITS if bits & b)))
            if at > len(s):
                return "".join(parts)
    return "".join(parts)


def _fids(a: _Args):
    """A counted list of file ids, comma-separated, or <none!>."""
    count = a.u32()
    for i in range(count):
        a.fid()
        if i != count - 1:
            a.out.append(",")
    if count == 0:
        a.out.append(" <none!>")


def _fs_args(a: _Args, op: int):
    if op == 130:
        a.fid()
        a.out.append(" offset")
        a.uint()
        a.out.append(" length")
        a.uint()
    elif op in (131, 132, 143, 144, 145, 156, 157, 158):
        a.fid()
    elif op == 135:
        a.fid()
        a.store_status()
    elif op == 133:
        a.fid()
        a.store_status()
        for label in (" offset", " length", " flen"):
            a.out.append(label)
            a.uint()
    elif op == 134:
        a.fid()
        a.acl()
    elif op in (137, 141):
        a.fid()
        a.string()
        a.store_status()
    elif op in (136, 142):
        a.fid()
        a.string()
    elif op == 138:
        a.out.append(" old")
        a.fid()
        a.string()
        a.out.append(" new")
        a.fid()
        a.string()
    elif op == 139:
        a.fid()
        a.string()
        a.out.append(" link to")
        a.string()
    elif op == 140:
        a.fid()
        a.string()
        a.out.append(" link to")
        a.fid()
    elif op == 148:
        a.string()
    elif op in (149, 150):
        a.out.append(" volid")
        a.uint()
    elif op == 154:
        a.out.append(" volname")
        a.string()
    elif op in (155, 65536):
        _fids(a)
    elif op == 65537:
        a.fid()
        a.out.append(" offset")
        a.uint64()
        a.out.append(" length")
        a.uint64()
    elif op == 65538:
        a.fid()
        a.store_status()
        for label in (" offset", " length", " flen"):
            a.out.append(label)
            a.uint64()
    elif op == 65541:
        a.out.append(" addr")
        a.uint()


def _call(name, calls, args, f, out, d, q, length, end):
    if length <= _HEADER:
        return
    if q + _HEADER + 4 > end:
        raise _READ
    op = struct.unpack_from("!I", d, q + _HEADER)[0]
    out.append(" %s call %s" % (name, calls.get(op, "op#%u" % op)))
    try:
        args(_Args(f, out, d, q + _HEADER + 4, end), op)
    except _Cut:
        out.append(" [|%s]" % name)


def fs_call(f, out, d, q, length, end):
    _call("fs", _FS_CALLS, _fs_args, f, out, d, q, length, end)


def fs_reply(f, out, d, q, length, end, opcode):
    if length <= _HEADER:
        return
    out.append(" fs reply %s" % _FS_CALLS.get(opcode, "op#%u" % opcode))
    a = _Args(f, out, d, q + _HEADER, end)
    kind = d[q + 20]
    try:
        if kind == 1:
            if opcode == 131:
                a.acl()
            elif opcode in (137, 141):
                out.append(" new")
                a.fid()
            elif opcode == 151:
                out.append(" root volume")
                a.string()
            elif opcode == 153:
                a.date()
        elif kind == 4:
            code = a.s32()
            out.append(" error %s" % _FS_ERRORS.get(code & 0xFFFFFFFF, "#%d" % code))
        else:
            out.append(" strange fs reply of type %u" % kind)
    except _Cut:
        out.append(" [|fs]")


def _cb_args(a: _Args, op: int):
    if op == 204:
        _fids(a)
        count = a.u32()
        if count:
            a.out.append(";")
        for _ in range(count):
            a.out.append(" ver")
            a.int()
            a.out.append(" expires")
            a.date()
            a.u32()  # (the callback's type: tcpdump reads it and prints nothing)
    elif op == 214:
        a.out.append(" afsuuid")
        a.uuid()


def cb_call(f, out, d, q, length, end):
    _call("cb", _CB_CALLS, _cb_args, f, out, d, q, length, end)


def cb_reply(f, out, d, q, length, end, opcode):
    if length <= _HEADER:
        return
    out.append(" cb reply %s" % _CB_CALLS.get(opcode, "op#%u" % opcode))
    a = _Args(f, out, d, q + _HEADER, end)
    try:
        if d[q + 20] == 1:
            if opcode == 213:
                a.uuid()
        else:
            out.append(" errcode")
            a.int()
    except _Cut:
        out.append(" [|cb]")


dispatch.RX_SERVICES[7000] = (fs_call, fs_reply)
dispatch.RX_SERVICES[7001] = (cb_call, cb_reply)
