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
# ns_resp: 16 and up are EDNS extended rcodes (with two spaces missing, as tcpdump has them)
RCODES = ["", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet",
          " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange",
          " BadVers", "Resp17", " Resp18", " Resp19", " Resp20", "Resp21", " Resp22", " BadCookie"]


def _rcode(rcode: int) -> str:
    return RCODES[rcode] if rcode < len(RCODES) else " Resp%u" % (rcode & 0xFFF)


class _Trunc(Exception):
    pass


_MAXCDNAME = 255


def _labellen(d, p, end, parts):
    """labellen: the length of the label at p (a bit label's in bytes, plus one), None
    (with tcpdump's complaint) for an unknown label type or one past the capture."""
    if p >= end:
        return None
    i = d[p]
    kind = i & 0xC0
    if kind == 0x40:
        if i & 0x3F != 1:
            parts.append("<ELT %d>" % (i & 0x3F))
            return None
        if p + 1 >= end:
            return None
        return ((d[p + 1] or 256) + 7) // 8 + 1
    if kind == 0x80:
        parts.append("<BAD LABEL TYPE>")
        return None
    return i


def _bitlabel(d, p, end, parts) -> bool:
    """blabel_print: an EDNS0 bit label as \\[x<hex>/<bits>]."""
    if p >= end:
        return False
    bitlen = d[p] or 256
    lim = p + 1 + (bitlen + 3) // 4
    parts.append("\\[x")
    q, b = p + 1, bitlen
    while q < lim and b > 7:
        if q >= end:
            return False
        parts.append("%02x" % d[q])
        q, b = q + 1, b - 8
    if b > 0:
        if q >= end:
            return False
        if b > 4:
            parts.append("%02x" % (d[q] & (0xFF << (8 - b)) & 0xFF))
        else:
            parts.append("%1x" % ((d[q] >> 4) & (0x0F << (4 - b)) & 0x0F))
    parts.append("/%u]" % bitlen)
    return True


def _fqdn(d, p, base, end):
    """tcpdump's fqdn_print: (what it prints, index after the name in place), the index
    None where it gives up (what it printed so far stays). Pointers must go backwards."""
    parts = []
    length = _labellen(d, p, end, parts)
    if length is None or p >= end:
        return "".join(parts), None
    max_offset = (p - base) & 0xFFFFFFFF  # (an unsigned difference: CHAIN's base is past the name)
    i = d[p]
    p += 1
    rp = None
    compress = False
    if i & 0xC0 != 0xC0:
        rp = p + length
    if i == 0:
        return ".", rp
    chars = 0
    while i and p < end:
        kind = i & 0xC0
        if kind == 0xC0:
            if not compress:
                rp, compress = p + 1, True
            offset = ((i << 8) | d[p]) & 0x3FFF
            if offset >= max_offset:
                parts.append("<BAD PTR>")
                return "".join(parts), None
            max_offset = offset
            p = base + offset
            if p >= end:
                return "".join(parts), None
            i = d[p]
            length = _labellen(d, p, end, parts)
            if length is None:
                return "".join(parts), None
            p += 1
            continue
        if kind == 0x40:
            if not _bitlabel(d, p, end, parts):
                return "".join(parts), None
        else:
            want = length if chars + length <= _MAXCDNAME else max(_MAXCDNAME - chars, 0)
            if want:
                label = d[p:min(p + want, end)]
                parts.append(label.decode("ascii") if _PRINTABLE.issuperset(label) else printjn(label))
                if p + want > end:
                    return "".join(parts), None
            chars += length
        p += length
        if chars <= _MAXCDNAME:
            parts.append(".")
        chars += 1
        if p >= end:
            return "".join(parts), None
        i = d[p]
        length = _labellen(d, p, end, parts)
        if length is None:
            return "".join(parts), None
        p += 1
        if not compress:
            rp += length + 1
    if chars > _MAXCDNAME:
        parts.append("<DOMAIN NAME TOO LONG>")
    return "".join(parts), rp


def _name(d, p, base, end):
    """(text, index after the name in place); _Trunc where tcpdump gives up."""
    text, after = _fqdn(d, p, base, end)
    if after is None:
        raise _Trunc
    return text, after


def _put_name(out, d, p, base, end):
    """fqdn_print into out: what tcpdump prints even when it then gives up (_Trunc)."""
    text, after = _fqdn(d, p, base, end)
    out.append(text)
    if after is None:
        raise _Trunc
    return after


def fqdn(d, p, base, end):
    """tcpdump's fqdn_print for other printers (NDP's DNSSL): (name text, index after it),
    or None where the name is cut or bad; ``base``: where compression offsets count from."""
    try:
        return _name(d, p, base, end)
    except _Trunc:
        return None


_EDNS_OPTS = {1: "LLQ", 2: "UL", 3: "NSID", 5: "DAU", 6: "DHU", 7: "N3U", 8: "ECS", 9: "EXPIRE",
              10: "COOKIE", 11: "KEEPALIVE", 12: "PADDING", 13: "CHAIN", 14: "KEY-TAG",
              16: "CLIENT-TAG", 17: "SERVER-TAG"}
_DAU = {0: "DELETE", 1: "RSAMD5", 2: "DH", 3: "DS", 5: "RSASHA1", 6: "DSA-NSEC3-SHA1", 7: "RSASHA1-NSEC3-SHA1",
        8: "RSASHA256", 10: "RSASHA512", 12: "ECC-GOST", 13: "ECDSAP256SHA256", 14: "ECDSAP384SHA384",
        15: "ED25519", 16: "ED448", 252: "INDIRECT", 253: "PRIVATEDNS", 254: "PRIVATEOID"}
_DHU = {1: "SHA-1", 2: "SHA-256", 3: "GOST_R_34.11-94", 4: "SHA-384"}
_N3U = {1: "SHA-1"}
_INVALID = " (invalid)"


def _ecs(data: bytes) -> str:
    """print_eopt_ecs: address/source length/scope length."""
    if len(data) < 4:
        return _INVALID
    family, src, scope = struct.unpack_from("!HBB", data)
    bits = {1: 32, 2: 128}.get(family)
    if bits is None or len(data) - 4 > bits // 8 or src > bits or scope > bits or (src + 7) // 8 != len(data) - 4:
        return _INVALID
    addr = data[4:].ljust(bits // 8, b"\x00")
    return "%s/%d/%d" % (ip4(addr) if family == 1 else ip6(addr), src, scope)


def _edns_option(code: int, data: bytes, d, p, end) -> str:
    """eopt_print's text of one option's data (p: where it starts in d)."""
    n = len(data)
    if code == 8:
        return _ecs(data)
    if code == 10:
        if n < 8 or 8 < n < 16 or n > 40:
            return _INVALID
        return data[:8].hex() + (" " + data[8:].hex() if n > 8 else "")
    if code == 11:
        return _INVALID if n != 2 else "%0.1f sec" % (_U16.unpack_from(data)[0] / 10.0)
    if code == 9:
        return _INVALID if n != 4 else "%u sec" % struct.unpack_from("!I", data)[0]
    if code == 12:
        return "(%u)" % n
    if code == 14:
        return _INVALID if n % 2 else " ".join("%u" % v for (v,) in struct.iter_unpack("!H", data))
    if code in (5, 6, 7):
        names = {5: _DAU, 6: _DHU, 7: _N3U}[code]
        return " ".join(names.get(c, "Alg_%u" % c) for c in data)
    if code == 13:  # (compression offsets count from the option's end, as tcpdump has it)
        return _fqdn(d, p, p + n, end)[0]
    return data.hex()


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
            p = _put_name(out, d, p, base, end)
        except _Trunc:
            return None
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
            _put_name(out, d, p, base, end)
        elif typ == 15:
            out.append(" ")
            if p + 2 > end:
                return None
            _put_name(out, d, p + 2, base, end)
            out.append(" %u" % _U16.unpack_from(d, p)[0])
        elif typ == 33:
            out.append(" ")
            if p + 6 > end:
                return None
            prio, weight, port = struct.unpack_from("!HHH", d, p)
            _put_name(out, d, p + 6, base, end)
            out.append(":%u %u %u" % (port, prio, weight))
        elif typ == 16:
            q = p
            while q < p + rdlen:
                n = d[q]
                out.append(' "' + d[q + 1:q + 1 + n].decode("latin-1") + '"')
                q += 1 + n
        elif typ == 41:
            out.append(" UDPsize=%u" % cls)
            if ttl & 0x8000:
                out.append(" DO")
            if rdlen:
                out.append(" [")
                q, stop = p, p + rdlen
                while q < stop:
                    if q + 2 > end:
                        return None
                    code = _U16.unpack_from(d, q)[0]
                    out.append(_EDNS_OPTS.get(code, "Opt%u" % code))
                    if q + 4 > end:
                        return None
                    olen = _U16.unpack_from(d, q + 2)[0]
                    q += 4
                    if q + olen > end:
                        return None
                    if olen:
                        out.append(" " + _edns_option(code, d[q:q + olen], d, q, end))
                    q += olen
                    if q < stop:
                        out.append(",")
                out.append("]")
        elif typ == 6:
            if verbose:
                q = p
                for _ in range(2):
                    out.append(" ")
                    q = _put_name(out, d, q, base, end)
                if q + 20 > end:
                    return None
                out.append(" %u %u %u %u %u" % struct.unpack_from("!IIIII", d, q))
        elif typ == 256:  # URI: priority, weight, then the target as text
            if p + 4 > end:  # (read past the capture: tcpdump's longjmp)
                raise TRUNC["domain"]
            out.append(" %u %u " % struct.unpack_from("!HH", d, p))
            if rdlen < 4:  # (tcpdump's count wraps round: it prints to the capture's end)
                out.append(printjn(d[p + 4:end]))
                return None
            out.append(printjn(d[p + 4:p + rdlen]))
        elif typ == 104:  # UNSPECA: one long string
            out.append(printjn(d[p:p + rdlen]))
        elif typ == 250:
            if verbose:
                out.append(" ")
                q = _put_name(out, d, p, base, end) + 6
                for label in (" fudge=%u", " maclen=%u", " origid=%u", " error=%u", " otherlen=%u"):
                    if q + 2 > end:
                        return None
                    value = _U16.unpack_from(d, q)[0]
                    out.append(label % value)
                    q += 2 + (value if label == " maclen=%u" else 0)
        elif typ == 38:  # A6: prefix length, the address's last bits, the prefix's name
            pbit = d[p]
            pbyte = (pbit & ~7) // 8
            if pbit > 128:
                out.append(" %u(bad plen)" % pbit)
            else:
                if pbit < 128:
                    if p + 1 + 16 - pbyte > end:  # (tcpdump's longjmp)
                        raise TRUNC["domain"]
                    out.append(" %u %s" % (pbit, ip6(bytes(pbyte) + d[p + 1:p + 17 - pbyte])))
                if pbit > 0:
                    out.append(" ")
                    _put_name(out, d, p + 1 + 16 - pbyte, base, end)
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
    _put_name(out, d, p, base, stop)
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


def _extended_rcode(d, p, qd, an_ns, ar, end, rcode):
    """domain_print's look for an OPT record: its extended rcode makes the rcode's high bits.
    Any record it cannot walk over ends the look."""
    for _ in range(qd):
        p = _skip(d, p, end)
        if p is None or p + 4 >= end:
            return rcode
        p += 4
    for _ in range(an_ns):
        p = _skip(d, p, end)
        if p is None or p + 10 > end:
            return rcode
        p += 10 + _U16.unpack_from(d, p + 8)[0]
        if p >= end:
            return rcode
    for _ in range(ar):
        p = _skip(d, p, end)
        if p is None or p + 2 > end:
            return rcode
        typ = _U16.unpack_from(d, p)[0]
        p += 4
        if p + 1 > end:
            return rcode
        if typ == 41:
            return rcode | d[p] << 4
        p += 4
        if p + 2 > end:
            return rcode
        p += 2 + _U16.unpack_from(d, p)[0]
        if p >= end:
            return rcode
    return rcode


def _message(f, out, d, q, length, end, is_mdns=False):
    mid, fl, qd, an, ns, ar = _HDR.unpack_from(d, q)
    base = q
    opcode = (fl >> 11) & 15
    vv = f.vflag > 1
    ttl_shown = f.vflag > 2
    p = q + 12
    if fl & 0x8000:
        rcode = _extended_rcode(d, p, qd, an + ns, ar, end, fl & 15)
        out.append("%u%s%s%s%s%s%s" % (mid, OPS[opcode], _rcode(rcode), "*" if fl & 0x400 else "",
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
