"""OSPFv2 (IP protocol 89 over IPv4), as tcpdump 4.99.3's print-ospf.c prints it.

``OSPFv2, Hello, length 44``; -v adds the router and area, the authentication,
and the body: a Hello's timers, DR/BDR and neighbours, a Database Description's
flags and LSA headers, LS-Requests, LS-Updates with each LSA (router, network,
summary, ASBR summary, external, NSSA, group membership) and LS-Acks; -vv a hex
dump of each LSA's body. A read past the capture ends the line with `` [|ospf2]``
(as tcpdump, an LS-Ack's list of headers always ends so: its loop stops only
there). Not decoded (tcpdump does): opaque LSAs' TE, grace and router-information
TLVs, LLS blocks, OSPFv3.
"""

from __future__ import annotations

from netlab.capture import dispatch
from netlab.capture.fmt_base import CheckedReader, Truncated, hex_print, ip4, printjn

_CUT = Truncated("ospf2")

_TYPES = {1: "Hello", 2: "Database Description", 3: "LS-Request", 4: "LS-Update", 5: "LS-Ack"}
_AUTH = {0: "none", 1: "simple", 2: "MD5"}
_OPTIONS = ((0x01, "MultiTopology"), (0x02, "External"), (0x04, "Multicast"), (0x08, "NSSA"), (0x10, "LLS"),
            (0x20, "Demand Circuit"), (0x40, "Opaque"), (0x80, "Up/Down"))
_DD_FLAGS = ((0x04, "Init"), (0x02, "More"), (0x01, "Master"), (0x08, "OOBResync"))
_RLA_FLAGS = ((0x01, "ABR"), (0x02, "ASBR"), (0x04, "Virtual"), (0x08, "Wildcard"), (0x10, "Nt"), (0x80, "Host"))
_LSA_TYPES = {1: "Router", 2: "Network", 3: "Summary", 4: "ASBR Summary", 5: "External", 6: "Multicast Group",
              7: "NSSA", 9: "Link Local Opaque", 10: "Area Local Opaque", 11: "Domain Wide Opaque"}
_OPAQUE_TYPES = {1: "Traffic Engineering", 3: "Graceful restart", 4: "Router Information"}
_TOPOLOGIES = {0: "default", 1: "multicast", 2: "management"}
_LINKS = {4: "Virtual Link: Neighbor Router-ID: %s, Interface Address: %s",
          1: "Neighbor Router-ID: %s, Interface Address: %s",
          2: "Neighbor Network-ID: %s, Interface Address: %s",
          3: "Stub Network: %s, Mask: %s"}
_LSA_HDR = 20


def _bits(names, value):
    found = [name for bit, name in names if value & bit]
    return ", ".join(found) if found else "none"


def ospf_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    r = CheckedReader(d, end, _CUT)
    if r.u16(p + 14) == 2:  # the MD5 digest after the packet is not part of it
        length -= 16
        r.end = end = end - 16
    kind = r.u8(p + 1)
    version = r.u8(p)
    name = _TYPES.get(kind)
    out.append("OSPFv%u, %s, length %u" % (version, name or "unknown LS-type %u" % kind, length))
    if name is None or not f.vflag:
        return
    plen = r.u16(p + 2)
    if length != plen:
        out.append(" [len %u]" % plen)
    dataend = p + (plen if length > plen else length)
    out.append("\n\tRouter-ID %s" % r.ip4(p + 4))
    area = r.u32(p + 8)
    out.append(", Area %s" % ip4(d[p + 8:p + 12]) if area else ", Backbone Area")
    r.need(p + 16, 8)
    auth = r.u16(p + 14)
    out.append(", Authentication Type: %s (%u)" % (_AUTH.get(auth, "unknown"), auth))
    if auth == 1:
        out.append("\n\tSimple text password: ")
        field = d[p + 16:p + 24]
        nul = field.find(b"\x00")
        out.append(printjn(field if nul < 0 else field[:nul]))
    elif auth == 2:
        out.append("\n\tKey-ID: %u, Auth-Length: %u, Crypto Sequence Number: 0x%08x" % (
            r.u8(p + 18), r.u8(p + 19), r.u32(p + 20)))
    elif auth != 0:
        return
    if version != 2:
        out.append(" ospf [version %u]" % version)
        return
    _BODIES[kind](f, out, r, p, dataend)
    if length > plen and kind in (1, 2):
        _lls(out, r, p, length, kind)


def _hello(f, out, r, p, dataend):
    out.append("\n\tOptions [%s]" % _bits(_OPTIONS, r.u8(p + 30)))
    out.append("\n\t  Hello Timer %us, Dead Timer %us, Mask %s, Priority %u" % (
        r.u16(p + 28), r.u32(p + 32), r.ip4(p + 24), r.u8(p + 31)))
    if r.u32(p + 36):
        out.append("\n\t  Designated Router %s" % r.ip4(p + 36))
    if r.u32(p + 40):
        out.append(", Backup Designated Router %s" % r.ip4(p + 40))
    q = p + 44
    if q < dataend:
        out.append("\n\t  Neighbor List:")
    while q < dataend:
        out.append("\n\t    %s" % r.ip4(q))
        q += 4


def _dd(f, out, r, p, dataend):
    out.append("\n\tOptions [%s]" % _bits(_OPTIONS, r.u8(p + 26)))
    out.append(", DD Flags [%s]" % _bits(_DD_FLAGS, r.u8(p + 27)))
    mtu = r.u16(p + 24)
    if mtu:
        out.append(", MTU: %u" % mtu)
    out.append(", Sequence: 0x%08x" % r.u32(p + 28))
    q = p + 32
    while q < dataend and _lsa_header(out, r, q) != -1:
        q += _LSA_HDR


def _ls_request(f, out, r, p, dataend):
    q = p + 24
    while q < dataend:
        r.need(q, 12)
        kind = r.u32(q)
        out.append("\n\t  Advertising Router: %s, %s LSA (%u)" % (r.ip4(q + 8), _LSA_TYPES.get(kind, "unknown"), kind))
        if kind in (9, 10, 11):
            opaque = r.u8(q + 4)
            out.append(", Opaque-Type: %s LSA (%u), Opaque-ID: %u" % (
                _OPAQUE_TYPES.get(opaque, "unknown"), opaque, r.u32(q + 4) & 0xFFFFFF))
        else:
            out.append(", LSA-ID: %s" % r.ip4(q + 4))
        q += 12


def _ls_update(f, out, r, p, dataend):
    count = r.u32(p + 24)
    out.append(", %u LSA%s" % (count, "" if count == 1 else "s"))
    q = p + 28
    for n in range(1, count + 1):
        out.append("\n\t  LSA #%u" % n)
        q = _lsa(f, out, r, q)
        if q is None:
            raise _CUT


def _ls_ack(f, out, r, p, dataend):
    q = p + 24
    while _lsa_header(out, r, q) != -1:  # (tcpdump's loop stops only at a bad length or the capture's end)
        q += _LSA_HDR


def _lsa_header(out, r, q):
    """ospf_print_lshdr: the LSA header at q; its length, or -1 for a length shorter than the header."""
    ls_length = r.u16(q + 18)
    if ls_length < _LSA_HDR:
        out.append("\n\t    Bogus length %u < header (%u)" % (ls_length, _LSA_HDR))
        return -1
    out.append("\n\t  Advertising Router %s, seq 0x%08x, age %us, length %u" % (
        r.ip4(q + 8), r.u32(q + 12), r.u16(q), ls_length - _LSA_HDR))
    kind = r.u8(q + 3)
    if kind in (9, 10, 11):
        opaque = r.u8(q + 4)
        out.append("\n\t    %s LSA (%u), Opaque-Type %s LSA (%u), Opaque-ID %u" % (
            _LSA_TYPES[kind], kind, _OPAQUE_TYPES.get(opaque, "unknown"), opaque, r.u32(q + 4) & 0xFFFFFF))
    else:
        out.append("\n\t    %s LSA (%u), LSA-ID: %s" % (_LSA_TYPES.get(kind, "unknown"), kind, r.ip4(q + 4)))
    out.append("\n\t    Options: [%s]" % _bits(_OPTIONS, r.u8(q + 2)))
    return ls_length


def _tos_metrics(out, r, at):
    count = r.u8(at + 1) + 1
    for n in range(count):
        kind = r.u8(at) if n else 0
        out.append("\n\t\ttopology %s (%u), metric %u" % (_TOPOLOGIES.get(kind, "Unknown"), kind, r.u16(at + 2)))
        at += 4


def _lsa(f, out, r, q):
    """ospf_print_lsa: one LSA; where the next one starts, or None (a bogus length)."""
    ls_length = _lsa_header(out, r, q)
    if ls_length < 0:
        return None
    ls_end = q + ls_length
    body = ls_length - _LSA_HDR
    kind = r.u8(q + 3)
    b = q + _LSA_HDR
    if kind == 1:
        out.append("\n\t    Router LSA Options: [%s]" % _bits(_RLA_FLAGS, r.u8(b)))
        links = r.u16(b + 2)
        r.need(b + 4, 12)
        link = b + 4
        for _ in range(links):
            r.need(link, 12)
            ltype = r.u8(link + 8)
            text = _LINKS.get(ltype)
            if text is None:
                out.append("\n\t      Unknown Router Link Type (%u)" % ltype)
                return ls_end
            out.append("\n\t      " + text % (r.ip4(link), r.ip4(link + 4)))
            _tos_metrics(out, r, link + 8)
            link += 12 + r.u8(link + 9) * 4
    elif kind == 2:
        out.append("\n\t    Mask %s\n\t    Connected Routers:" % r.ip4(b))
        at = b + 4
        while at < ls_end:
            out.append("\n\t      %s" % r.ip4(at))
            at += 4
    elif kind in (3, 4, 5, 7):  # summaries and externals: (a mask,) then a word per topology
        if kind != 4:
            r.need(b, 4)
            out.append("\n\t    Mask %s" % r.ip4(b))
        r.need(b + 4, 4)
        at = b + 4
        while at < ls_end:
            word = r.u32(at)
            topology = (word & 0x7F000000) >> 24
            name = _TOPOLOGIES.get(topology, "Unknown")
            if kind in (3, 4):
                out.append("\n\t\ttopology %s (%u) metric %u" % (name, topology, word & 0xFFFFFF))
                at += 4
                continue
            out.append("\n\t\ttopology %s (%u), type %u, metric" % (name, topology, 2 if word & 0x80000000 else 1))
            metric = word & 0xFFFFFF
            out.append(" infinite" if metric == 0xFFFFFF else " %u" % metric)
            if r.u32(at + 4):
                out.append(", forward %s" % r.ip4(at + 4))
            if r.u32(at + 8):
                out.append(", tag %s" % r.ip4(at + 8))
            at += 12
    elif kind == 6:
        at = b
        while at < ls_end:
            vtype = r.u32(at)
            if vtype == 1:
                out.append("\n\t    Router Router-ID %s" % r.ip4(at + 4))
            elif vtype == 2:
                out.append("\n\t    Network Designated Router %s" % r.ip4(at + 4))
            else:
                out.append("\n\t    unknown VertexType (%u)" % vtype)
            at += 8
    elif kind in (9, 10, 11) and r.u8(q + 4) not in _OPAQUE_TYPES:
        if f.vflag <= 1:
            out.append(hex_print("\n\t    ", r.d[b:min(b + body, r.end)]))
    if f.vflag > 1:
        out.append(hex_print("\n\t    ", r.d[b:min(b + body, r.end)]))
    return ls_end


def _lls(out, r, p, length, kind):
    """ospf_decode_lls: the link-local signalling block after the packet (RFC 5613)."""
    if not r.u8(p + 30 if kind == 1 else p + 26) & 0x10:
        return
    at = p + r.u16(p + 2)
    seen = r.u16(p + 2)
    if r.u16(p + 14) == 2:
        at += r.u8(p + 19)
        seen += r.u8(p + 19)
    if seen >= length:
        out.append("\n\t[LLS truncated]")
        return
    out.append("\n\t  LLS: checksum: 0x%04x" % r.u16(at))
    out.append(", length: %u" % r.u16(at + 2))
    at += 4
    stop = p + length
    while at < stop:
        kind = r.u16(at)
        name = {1: "Extended Options", 2: "MD5 Authentication"}.get(kind, "Unknown TLV")
        out.append("\n\t    %s (%u)" % (name, kind))
        size = r.u16(at + 2)
        out.append(", length: %u" % size)
        at += 4
        if kind == 1:
            if size != 4:
                out.append(" [should be 4]")
                size = 4
            flags = r.u32(at)
            names = [n for bit, n in ((1, "LSDB resync"), (2, "Restart")) if flags & bit]
            out.append("\n\t      Options: 0x%08x [%s]" % (flags, ", ".join(names) if names else "?"))
        elif kind == 2:
            if size != 20:
                out.append(" [should be 20]")
                size = 20
            out.append("\n\t      Sequence number: 0x%08x" % r.u32(at))
        at += size


_BODIES = {1: _hello, 2: _dd, 3: _ls_request, 4: _ls_update, 5: _ls_ack}

dispatch.ip_proto(89, ospf_print, v6=False)
