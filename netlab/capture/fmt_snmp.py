"""SNMP on UDP ports 161 and 162, as tcpdump 4.99.3's print-snmp.c prints it (numeric:
netlab's output is always -n's, where tcpdump names no MIB object either).

``C="private" GetRequest(28)  .1.3.6.1.2.1.1.1.0``: the community unless it is
"public", the PDU and its length, each variable binding (with its value in
responses, sets and traps); -v wraps it in ``{ SNMPv2c { ... } }`` and adds the
request id. Traps (v1), GetBulk's N and M, error status and index, SNMPv3's
flags, USM user and scoped PDU. BER the datagram contradicts gets tcpdump's
bracketed complaints; an element past the capture `` [|snmp]``.
"""

from __future__ import annotations

from netlab.capture import dispatch
from netlab.capture.fmt_base import Truncated, printjn

_SOFT_CUT = " [|snmp]"
_CUT = Truncated("snmp")

_UNIVERSAL = ("U-0", "Boolean", "Integer", "Bitstring", "String", "Null", "ObjID", "ObjectDes", "U-8", "U-9",
              "U-10", "U-11", "U-12", "U-13", "U-14", "U-15", "Sequence", "Set")
_APPLICATION = ("IpAddress", "Counter", "Gauge", "TimeTicks", "Opaque", "C-5", "Counter64")
_CONTEXT = ("GetRequest", "GetNextRequest", "GetResponse", "SetRequest", "Trap", "GetBulk", "Inform", "V2Trap",
            "Report")
_PRIVATE = ("P-0",)
_CLASSES = (_UNIVERSAL, _APPLICATION, _CONTEXT, _PRIVATE)
_EXCEPTIONS = ("noSuchObject", "noSuchInstance", "endOfMibView")
_ERRORS = ("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
           "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue", "resourceUnavailable",
           "commitFailed", "undoFailed", "authorizationError", "notWritable", "inconsistentName")
_TRAPS = ("coldStart", "warmStart", "linkDown", "linkUp", "authenticationFailure", "egpNeighborLoss",
          "enterpriseSpecific")
_VERSIONS = ("SNMPv1", "SNMPv2c", "SNMPv2u", "SNMPv3")
GETREQ, GETNEXTREQ, GETRESP, SETREQ, TRAP, GETBULKREQ, INFORMREQ, V2TRAP, REPORT = range(9)
_READS = (GETREQ, GETNEXTREQ, GETBULKREQ)
_NO_ERRORS = (GETREQ, GETNEXTREQ, SETREQ, INFORMREQ, V2TRAP, REPORT)

# element types (struct be's)
ANY, NULL, OCTET, OID, INT, UNS, STR, SEQ, INETADDR, PDU, UNS64, EXCEPTION = range(12)


class _Stop(Exception):
    """A BER element that cannot be parsed: its complaint is printed, the printer returns."""


def _stop(out, complaint):
    """tcpdump's bracketed complaint about the BER, and the element's part of the message ends."""
    out.append(complaint)
    raise _Stop


class _Elem:
    __slots__ = ("type", "cls", "id", "asnlen", "at", "value")


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _parse(out, d, p, length, end):
    """asn1_parse: the element at p within ``length`` bytes; (element, its length with header).
    Its whole content is captured when this returns."""
    e = _Elem()
    e.type = ANY
    if length < 1:
        _stop(out, "[nothing to parse]")
    if p >= end:
        raise _CUT
    first = d[p]
    ident, form, cls = first & 0x1F, (first & 0x20) >> 5, (first & 0xC0) >> 6
    p += 1
    length -= 1
    hdr = 1
    if ident == 0x1F:
        ident = 0
        while True:
            if p >= end:
                raise _CUT
            if not d[p] & 0x80:
                break
            if length < 1:
                _stop(out, "[Xtagfield?]")
            ident = ((ident << 7) | (d[p] & 0x7F)) & 0xFFFFFFFF
            length -= 1
            hdr += 1
            p += 1
        if length < 1:
            _stop(out, "[Xtagfield?]")
        ident = ((ident << 7) | d[p]) & 0xFF  # (tcpdump keeps it in a u_char)
        length -= 1
        hdr += 1
        p += 1
    e.cls, e.id = cls, ident
    if length < 1:
        _stop(out, "[no asnlen]")
    if p >= end:
        raise _CUT
    asnlen = d[p]
    p += 1
    length -= 1
    hdr += 1
    if asnlen & 0x80:
        noct = asnlen % 0x80
        asnlen = 0
        if length < noct:
            _stop(out, "[asnlen? %d<%d]" % (length, noct))
        if p + noct > end:
            _stop(out, _SOFT_CUT)
        for _ in range(noct):
            asnlen = ((asnlen << 8) | d[p]) & 0xFFFFFFFF
            p += 1
            length -= 1
            hdr += 1
    e.asnlen = asnlen
    if length < asnlen:
        _stop(out, "[len%d<asnlen%u]" % (length, asnlen))
    names = _CLASSES[cls]
    if ident >= len(names):
        _stop(out, "[id?%s/x/%d]" % ("PC"[form], ident))  # (tcpdump's class names are all "x")
    if p + asnlen > end:
        _stop(out, _SOFT_CUT)
    e.at = p
    e.value = None
    if form == 0:
        if cls == 0:
            if ident == 4:
                e.type = STR
            elif ident == 2:
                e.type = INT
                if asnlen == 0:
                    _stop(out, "[asnlen=0]")
                e.value = _s32(int.from_bytes(d[p:p + asnlen], "big", signed=True))
            elif ident == 6:
                e.type = OID
            elif ident == 5:
                e.type = NULL
            else:
                e.type = OCTET
                out.append("[P/U/%s]" % names[ident])
        elif cls == 1:
            if ident == 0:
                e.type = INETADDR
            elif ident in (1, 2, 3):
                e.type = UNS  # (tcpdump's accumulator keeps the low 32 bits)
                e.value = int.from_bytes(d[p:p + asnlen], "big") & 0xFFFFFFFF
            elif ident == 6:
                e.type = UNS64
                e.value = int.from_bytes(d[p:p + asnlen], "big") & 0xFFFFFFFFFFFFFFFF
            else:
                e.type = OCTET
                out.append("[P/A/%s]" % names[ident])
        elif cls == 2:
            if ident <= 2:
                e.type = EXCEPTION
        else:
            out.append("[P/x/%s]" % names[ident])
            e.type = OCTET
    else:
        if cls == 0:
            if ident == 16:
                e.type = SEQ
            else:
                e.type = OCTET
                out.append("C/U/%s" % names[ident])
        elif cls == 2:
            e.type = PDU
        else:
            e.type = OCTET
            out.append("C/x/%s" % names[ident])
    return e, asnlen + hdr


def _octets(out, d, e):
    out.append("".join("_%02x" % c for c in d[e.at:e.at + e.asnlen]))


def _string(out, d, e):
    b = d[e.at:e.at + e.asnlen]
    if all(0x20 <= c <= 0x7E for c in b):
        out.append('"%s"' % printjn(b))
    else:
        out.append("_".join("%02x" % c for c in b))


def _print(out, d, e):
    """asn1_print: one element's value."""
    t = e.type
    if t == OCTET:
        _octets(out, d, e)
    elif t == OID:
        text = []
        o = 0
        first = True
        for c in d[e.at:e.at + e.asnlen]:
            o = ((o << 7) + (c & 0x7F)) & 0xFFFFFFFF
            if c & 0x80:
                continue
            if first:
                s = min(int(_s32(o) / 40), 2)  # (C's division: toward zero)
                text.append(".%u" % (s & 0xFFFFFFFF))
                o = (o - s * 40) & 0xFFFFFFFF
                first = False
            text.append(".%u" % o)
            o = 0
        out.append("".join(text))
    elif t == INT:
        out.append("%d" % e.value)
    elif t in (UNS, UNS64):
        out.append("%u" % e.value)
    elif t == STR:
        _string(out, d, e)
    elif t == SEQ:
        out.append("Seq(%u)" % e.asnlen)
    elif t == INETADDR:
        if e.asnlen != 4:
            out.append("[inetaddr len!=4]")
        out.append(".".join("%u" % c for c in d[e.at:e.at + e.asnlen]))
    elif t == EXCEPTION:
        out.append("[%s]" % _EXCEPTIONS[e.id])
    elif t == PDU:
        out.append("%s(%u)" % (_CONTEXT[e.id], e.asnlen))
    elif t == ANY:
        out.append("[BE_ANY!?]")


def _expect(out, d, e, kind, complaint):
    if e.type != kind:
        out.append(complaint)
        _print(out, d, e)
        raise _Stop


def _next(out, d, p, length, end, kind, complaint):
    """The element at p, which must be a ``kind`` (else its complaint and value, and _Stop);
    (element, where the rest begins, how long the rest is)."""
    e, n = _parse(out, d, p, length, end)
    _expect(out, d, e, kind, complaint)
    return e, p + n, length - n


def _sequence(out, d, p, length, end, complaint, after=None):
    """The SEQ at p, which must be one: (where its content begins, its length). With ``after``
    the bytes that follow it are complained of (``[3 extra after iSEQ]``)."""
    e, _, rest = _next(out, d, p, length, end, SEQ, complaint)
    if after is not None and rest > 0:
        out.append("[%d extra after %s]" % (rest, after))
    return e.at, e.asnlen


def _part(f, out, closing, printer, *args):
    """One part of the message: a BER complaint inside ends that part alone; -v closes its brace."""
    try:
        printer(*args)
    except _Stop:
        pass
    if f.vflag:
        out.append(closing)


def snmp_print(f, out, d, q, length, end, ulen, fragmented):
    out.append(" ")
    try:
        _message(f, out, d, q, length, end)
    except _Stop:
        pass
    return True


def _message(f, out, d, p, length, end):
    p, length = _sequence(out, d, p, length, end, "[!init SEQ]", "iSEQ")
    e, p, length = _next(out, d, p, length, end, INT, "[version!=INT]")
    version = e.value
    if version not in (0, 1, 3):
        out.append("SNMP [version = %d]" % version)
        return
    if f.vflag:
        out.append("{ %s " % _VERSIONS[version])
    if version == 3:
        _part(f, out, "} ", _v3, f, out, d, p, length, end)
    else:
        _part(f, out, "} ", _community, f, out, d, p, length, end, version)


def _community(f, out, d, p, length, end, version):
    e, p, length = _next(out, d, p, length, end, STR, "[comm!=STR]")
    if d[e.at:e.at + e.asnlen] != b"public":
        out.append("C=")
        _string(out, d, e)
        out.append(" ")
    _pdu(f, out, d, p, length, end, version)


def _pdu(f, out, d, p, length, end, version):
    e, n = _parse(out, d, p, length, end)
    if e.type != PDU:
        out.append("[no PDU]")
        return
    if n < length:
        out.append("[%d extra after PDU]" % (length - n))
    if f.vflag:
        out.append("{ ")
    _print(out, d, e)
    out.append(" ")
    if version == 0 and e.id in (GETBULKREQ, INFORMREQ, V2TRAP, REPORT):
        out.append("[v2 PDU in v1 message]")
        return
    if version == 1 and e.id == TRAP:
        out.append("[v1 PDU in v2 message]")
        return
    if e.id == TRAP:
        _part(f, out, " } ", _trap, out, d, e.at, e.asnlen, end)
    else:
        _part(f, out, " } ", _request, f, out, d, e.id, e.at, e.asnlen, end)


def _request(f, out, d, pduid, p, length, end):
    """snmppdu_print: request id, error status and index, then the bindings."""
    e, p, length = _next(out, d, p, length, end, INT, "[reqId!=INT]")
    if f.vflag:
        out.append("R=%d " % e.value)
    e, p, length = _next(out, d, p, length, end, INT, "[errorStatus!=INT]")
    status = 0
    if pduid in _NO_ERRORS and e.value != 0:
        out.append("[errorStatus(%s)!=0]" % _error(e.value))
    elif pduid == GETBULKREQ:
        out.append(" N=%d" % e.value)
    elif e.value != 0:
        out.append(" %s" % _error(e.value))
        status = e.value
    e, p, length = _next(out, d, p, length, end, INT, "[errorIndex!=INT]")
    if pduid in _NO_ERRORS and e.value != 0:
        out.append("[errorIndex(%d)!=0]" % e.value)
    elif pduid == GETBULKREQ:
        out.append(" M=%d" % e.value)
    elif e.value != 0:
        out.append("@%d" % e.value if status else "[errorIndex(%d) w/o errorStatus]" % e.value)
    elif status:
        out.append("[errorIndex==0]")
    _bindings(out, d, pduid, p, length, end)


def _error(code):
    return _ERRORS[code] if 0 <= code < len(_ERRORS) else "err=%u" % (code & 0xFFFFFFFF)


def _trap(out, d, p, length, end):
    """trappdu_print: enterprise, agent address, generic and specific trap, time stamp, bindings."""
    out.append(" ")
    e, p, length = _next(out, d, p, length, end, OID, "[enterprise!=OID]")
    _print(out, d, e)
    out.append(" ")
    e, p, length = _next(out, d, p, length, end, INETADDR, "[agent-addr!=INETADDR]")
    _print(out, d, e)
    e, p, length = _next(out, d, p, length, end, INT, "[generic-trap!=INT]")
    generic = e.value
    out.append(" %s" % (_TRAPS[generic] if 0 <= generic < len(_TRAPS) else "gt=%d" % generic))
    e, p, length = _next(out, d, p, length, end, INT, "[specific-trap!=INT]")
    if generic != 6:
        if e.value != 0:
            out.append("[specific-trap(%d)!=0]" % e.value)
    else:
        out.append(" s=%d" % e.value)
    out.append(" ")
    e, p, length = _next(out, d, p, length, end, UNS, "[time-stamp!=TIMETICKS]")
    _print(out, d, e)
    _bindings(out, d, TRAP, p, length, end)


def _bindings(out, d, pduid, p, length, end):
    """varbind_print: `` name`` for reads, `` name=value`` for the rest."""
    p, length = _sequence(out, d, p, length, end, "[!SEQ of varbind]", "SEQ of varbind")
    while length:
        out.append(" ")
        e, next_p, next_length = _next(out, d, p, length, end, SEQ, "[!varbind]")
        e, p, length = _next(out, d, e.at, e.asnlen, end, OID, "[objName!=OID]")
        _print(out, d, e)
        if pduid not in _READS:
            out.append("=")
        e, n = _parse(out, d, p, length, end)
        if pduid in _READS:
            if e.type != NULL:
                out.append("[objVal!=NULL]")
                _print(out, d, e)
        elif e.type != NULL:
            _print(out, d, e)
        p, length = next_p, next_length


def _v3(f, out, d, p, length, end):
    """v3msg_print: the header's flags and security model, the USM parameters, the scoped PDU."""
    start, whole = p, length
    p, length = _sequence(out, d, p, length, end, "[!message]")
    if f.vflag:
        out.append("{ ")
    for complaint in ("[msgID!=INT]", "[msgMaxSize!=INT]"):
        _, p, length = _next(out, d, p, length, end, INT, complaint)
    e, p, length = _next(out, d, p, length, end, STR, "[msgFlags!=STR]")
    if e.asnlen != 1:
        out.append("[msgFlags size %d]" % e.asnlen)
        return
    flags = d[e.at]
    if flags not in (0, 1, 3, 4, 5, 7):
        out.append("[msgFlags=0x%02X]" % flags)
        return
    out.append("F=%s%s%s " % ("a" if flags & 1 else "", "p" if flags & 2 else "", "r" if flags & 4 else ""))
    e, n = _parse(out, d, p, length, end)
    _expect(out, d, e, INT, "[msgSecurityModel!=INT]")
    model = e.value
    p, length = p + n, length - n
    if n < length:
        out.append("[%d extra after message SEQ]" % (length - n))
    if f.vflag:
        out.append("} ")
    if model != 3:
        out.append("[security model %d]" % model)
        return
    if f.vflag:
        out.append("{ USM ")
    e, p, length = _next(out, d, p, whole - (p - start), end, STR, "[msgSecurityParameters!=STR]")
    _part(f, out, "} ", _usm, f, out, d, e.at, e.asnlen, end)
    if f.vflag:
        out.append("{ ScopedPDU ")
    _part(f, out, "} ", _scoped, f, out, d, p, length, end)


def _usm(f, out, d, p, length, end):
    p, length = _sequence(out, d, p, length, end, "[!usm]")
    _, p, length = _next(out, d, p, length, end, STR, "[msgAuthoritativeEngineID!=STR]")
    for complaint, label in (("[msgAuthoritativeEngineBoots!=INT]", "B"), ("[msgAuthoritativeEngineTime!=INT]", "T")):
        e, p, length = _next(out, d, p, length, end, INT, complaint)
        if f.vflag:
            out.append("%s=%d " % (label, e.value))
    e, p, length = _next(out, d, p, length, end, STR, "[msgUserName!=STR]")
    out.append("U=")
    _string(out, d, e)
    out.append(" ")
    for complaint in ("[msgAuthenticationParameters!=STR]", "[msgPrivacyParameters!=STR]"):
        e, n = _parse(out, d, p, length, end)
        _expect(out, d, e, STR, complaint)
        p, length = p + n, length - n
    if n < length:  # (tcpdump compares the last element's size with what is left after it)
        out.append("[%d extra after usm SEQ]" % (length - n))


def _scoped(f, out, d, p, length, end):
    p, length = _sequence(out, d, p, length, end, "[!scoped PDU]")
    e, p, length = _next(out, d, p, length, end, STR, "[contextEngineID!=STR]")
    out.append("E=")
    _octets(out, d, e)
    out.append(" ")
    e, p, length = _next(out, d, p, length, end, STR, "[contextName!=STR]")
    out.append("C=")
    _string(out, d, e)
    out.append(" ")
    _pdu(f, out, d, p, length, end, 3)


dispatch.ports(dispatch.UDP_PORTS, snmp_print, 161, 162)
