"""DNS messages on tcpdump's default line: ``17177+ [1au] A? www.tcpdump.org. (56)``."""

from __future__ import annotations

import struct

from netlab.capture.fmt_base import TRUNC, ip4, ip6, printjn

_PRINTABLE = frozenset(range(0x20, 0x7F))

_HDR = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_U16 = struct.Struct("!H")

# tcpdump 4.99.3's ns_type2str: the types it names; any other (HTTPS, SVCB, CAA, TLSA, ...)
# it prints by number, "Type65"
TYPES = {1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
         11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25",
         20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP_PTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS",
         28: "AAAA", 29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR",
         36: "KX", 37: "CERT", 38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP",
         45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID",
         103: "UNSPEC", 104: "UNSPECA", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 253: "MAILB",
         254: "MAILA", 255: "ANY", 256: "URI"}
CLASSES = {1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY"}
OPS = ["", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8", " updateA", " updateD",
       " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef"]
RCODES = ["", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet",
          " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange"]


class _Trunc(Exception):
    pass


def _name(d, p, base, end):
    """(text, index after the name in place) for a possibly compressed name."""
    labels = []
    after = None
    hops = 0
    while True:
        if p >= end:
            raise _Trunc
        n = d[p]
        if n & 0xC0 == 0xC0:
            if p + 1 >= end:
                raise _Trunc
            if after is None:
                after = p + 2
            p = base + (((n & 0x3F) << 8) | d[p + 1])
            hops += 1
            if hops > 64:
                raise _Trunc
            continue
        if n & 0xC0:
            raise _Trunc
        if n == 0:
            if after is None:
                after = p + 1
            break
        if p + 1 + n > end:
            raise _Trunc
        label = d[p + 1:p + 1 + n]
        labels.append(label.decode("ascii") if _PRINTABLE.issuperset(label) else printjn(label))
        p += 1 + n
    return (".".join(labels) + ".") if labels else ".", after


def fqdn(d, p, base, end):
    """tcpdump's fqdn_print for other printers (NDP's DNSSL): (name text, index after it),
    or None where the name is cut or bad; ``base``: where compression offsets count from."""
    try:
        return _name(d, p, base, end)
    except _Trunc:
        return None


_EDNS_OPTS = {1: "LLQ", 2: "UL", 3: "NSID", 5: "DAU", 6: "DHU", 7: "N3U", 8: "ECS", 9: "EXPIRE",
              10: "COOKIE", 11: "KEEPALIVE", 12: "PADDING", 13: "CHAIN", 14: "KEY-TAG", 15: "EDE",
              16: "CLIENT-TAG", 17: "SERVER-TAG"}


def _relts(secs):
    """tcpdump's unsigned_relts_print: 1h2m3s style."""
    if secs == 0:
        return "0s"
    parts = []
    for unit, n in (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= n:
            parts.append("%u%s" % (secs // n, unit))
            secs %= n
    return "".join(parts)


def _skip(d, p, end):
    """tcpdump's ns_nskip: the index after a name (None for a bad label type or a cut one)."""
    while True:
        if p >= end:
            return None
        n = d[p]
        if n & 0xC0 == 0xC0:
            return p + 2
        if n & 0xC0:
            return None
        if n == 0:
            return p + 1
        p += 1 + n


def _rr(d, p, base, end, out, verbose, ttl_shown=False, mdns=False):
    """tcpdump's ns_rprint: the index after the record, ``end`` when its fixed part is
    not captured (the caller's loop stops quietly), None for a truncation."""
    if verbose:
        out.append(" ")
        try:
            name, p = _name(d, p, base, end)
        except _Trunc:
            return None
        out.append(name)
    else:
        p = _skip(d, p, end)
    if p is None or p + 10 > end:
        return end
    typ, cls, ttl, rdlen = _RR.unpack_from(d, p)
    p += 10
    flush = False
    if mdns:  # multicast DNS: the top class bit is "cache flush"
        flush = bool(cls & 0x8000)
        cls &= 0x7FFF
    if cls != 1 and typ != 41:
        out.append(" " + CLASSES.get(cls, "(Class %u)" % cls))
    if flush:
        out.append(" (Cache flush)")
    if ttl_shown and typ != 41:
        out.append(" [%s]" % _relts(ttl))
    out.append(" " + TYPES.get(typ, "Type%u" % typ))
    if p + rdlen > end:  # tcpdump wants the whole record data captured, whatever its type
        return None
    try:
        if typ == 1:
            if p + 4 > end:
                return None
            out.append(" " + ip4(d[p:p + 4]))
        elif typ == 28:
            if p + 16 > end:
                return None
            out.append(" " + ip6(d[p:p + 16]))
        elif typ in (2, 5, 12, 39):
            out.append(" ")
            out.append(_name(d, p, base, end)[0])
        elif typ == 15:
            out.append(" ")
            out.append(_name(d, p + 2, base, end)[0])
            out.append(" %u" % _U16.unpack_from(d, p)[0])
        elif typ == 33:
            prio, weight, port = struct.unpack_from("!HHH", d, p)
            out.append(" %s:%u %u %u" % (_name(d, p + 6, base, end)[0], port, prio, weight))
        elif typ == 16:
            q = p
            while q < p + rdlen:
                n = d[q]
                out.append(' "' + d[q + 1:q + 1 + n].decode("latin-1") + '"')
                q += 1 + n
        elif typ == 41:
            out.append(" UDPsize=%u" % cls)
            if ttl & 0xFF000000:
                out.append(" extended-rcode %u" % (ttl >> 24))
            if (ttl >> 16) & 0xFF:
                out.append(" version %u" % ((ttl >> 16) & 0xFF))
            if ttl & 0x8000:
                out.append(" DO")
            opts = []
            q = p
            while q + 4 <= p + rdlen:
                code, olen = struct.unpack_from("!HH", d, q)
                data = d[q + 4:q + 4 + olen]
                text = _EDNS_OPTS.get(code, "Opt%u" % code)
                if data:
                    text += " " + data.hex()
                opts.append(text)
                q += 4 + olen
            if opts:
                out.append(" [" + ", ".join(opts) + "]")
    except (_Trunc, struct.error, IndexError):
        return None
    return p + rdlen


def _section(d, p, base, end, out, count, label, f, ttl_shown, mdns, guard=True):
    """tcpdump's record loop: stops quietly at the capture's end, truncation if records remain."""
    if count and (not guard or p < end):
        if label:
            out.append(label)
        p = _rr(d, p, base, end, out, f.vflag, ttl_shown, mdns)
        if p is None:
            raise _Trunc
        count -= 1
        while p < end and count:
            out.append(",")
            p = _rr(d, p, base, end, out, f.vflag, ttl_shown, mdns)
            if p is None:
                raise _Trunc
            count -= 1
    if count:
        raise _Trunc
    return p


def _question(d, p, base, stop, out, mdns=False):
    q = _skip(d, p, stop)
    if q is None or q + 4 > stop:
        raise _Trunc
    typ, cls = struct.unpack_from("!HH", d, q)
    out.append(" " + TYPES.get(typ, "Type%u" % typ))
    raw = cls
    if mdns:  # multicast DNS: the top class bit asks for a unicast answer
        cls &= 0x7FFF
    if cls != 1:
        out.append(" " + CLASSES.get(cls, "(Class %u)" % cls))
    if mdns:
        out.append(" (QU)" if raw & 0x8000 else " (QM)")
    out.append("? ")
    name, _ = _name(d, p, base, stop)
    out.append(name)
    return q + 4


def domain_print(f, out, d, q, length, end, over_tcp, is_mdns=False):
    try:
        if over_tcp:
            if length < 2:
                out.append(" [DNS over TCP: length %u < 2] (invalid)" % length)
                return
            length -= 2
            if q + 2 > end:  # a read past the capture: tcpdump's longjmp
                raise TRUNC["domain"]
            prefix = _U16.unpack_from(d, q)[0]
            if prefix != length:
                out.append(" [prefix length(%u) != length(%u)] (invalid)" % (prefix, length))
                return
            q += 2
            out.append(" ")
        if length < 12:
            out.append("domain [length %u < 12] (invalid)" % length)
            return
        if q + 12 > end:
            raise _Trunc
        _message(f, out, d, q, length, end, is_mdns)
    except (_Trunc, IndexError, struct.error, UnicodeDecodeError):
        out.append(" [|domain]")
        return
    out.append(" (%u)" % length)


def _message(f, out, d, q, length, end, is_mdns=False):
    mid, fl, qd, an, ns, ar = _HDR.unpack_from(d, q)
    base = q
    opcode = (fl >> 11) & 15
    vv = f.vflag > 1
    ttl_shown = f.vflag > 2
    p = q + 12
    if fl & 0x8000:
        out.append("%u%s%s%s%s%s%s" % (mid, OPS[opcode], RCODES[fl & 15], "*" if fl & 0x400 else "",
                                      "" if fl & 0x80 else "-", "|" if fl & 0x200 else "",
                                      "$" if fl & 0x20 else ""))
        if qd != 1:
            out.append(" [%uq]" % qd)
        for i in range(qd):
            if vv:
                if i:
                    out.append(",")
                out.append(" q:")
                p = _question(d, p, base, end, out, is_mdns)
            else:
                p = _skip(d, p, end)
                if p is None:
                    raise _Trunc
                p += 4
        out.append(" %u/%u/%u" % (an, ns, ar))
        p = _section(d, p, base, end, out, an, "", f, ttl_shown, is_mdns, guard=False)
        if vv:
            p = _section(d, p, base, end, out, ns, " ns:", f, ttl_shown, is_mdns)
            p = _section(d, p, base, end, out, ar, " ar:", f, ttl_shown, is_mdns)
        return
    out.append("%u%s%s%s" % (mid, OPS[opcode], "+" if fl & 0x100 else "", "%" if fl & 0x10 else ""))
    if fl & 0x6CF:
        out.append(" [b2&3=0x%x]" % fl)
    if opcode == 1:
        if qd:
            out.append(" [%uq]" % qd)
        if an != 1:
            out.append(" [%ua]" % an)
    else:
        if an:
            out.append(" [%ua]" % an)
        if qd != 1:
            out.append(" [%uq]" % qd)
    if ns:
        out.append(" [%un]" % ns)
    if ar:
        out.append(" [%uau]" % ar)
    if qd:
        p = _question(d, p, base, end, out, is_mdns)
        qd -= 1
        while p < end and qd:
            p = _question(d, p, base, end, out, is_mdns)
            qd -= 1
    if qd:
        raise _Trunc
    if vv:
        p = _section(d, p, base, end, out, an, " an:", f, ttl_shown, is_mdns, guard=False)
        p = _section(d, p, base, end, out, ns, " ns:", f, ttl_shown, is_mdns)
        p = _section(d, p, base, end, out, ar, " ar:", f, ttl_shown, is_mdns)
