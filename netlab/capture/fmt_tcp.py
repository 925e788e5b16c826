"""TCP and UDP as tcpdump 4.99 prints them: flags, relative seq/ack, win, options, length.

Relative sequence numbers follow tcpdump's rule exactly: a conversation's
initial numbers are recorded from the first segment carrying ACK (or again from
any SYN with ACK), keyed by the address/port pair ordered by port; until then
numbers print absolute.
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import (SOFT_TRUNC, TRUNC, final_dst4, final_dst6, ip4, ip6, printjn, pseudo4, pseudo6,
                                     shouldbe)
from netlab.core.inet import checksum

_TCP = struct.Struct("!HHIIBBHHH")
_PORTS = struct.Struct("!HH")
_UDP = struct.Struct("!HHHH")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_U64 = struct.Struct("!Q")
_TS = struct.Struct("!II")

T_TCP = SOFT_TRUNC["tcp"]  # tcpdump's own header checks: the dump after the link header
T_UDP = SOFT_TRUNC["udp"]
M32 = 0xFFFFFFFF


def _flag_names(v: int) -> str:
    s = "".join(c for bit, c in ((1, "F"), (2, "S"), (4, "R"), (8, "P"), (16, "."), (32, "U"), (64, "E"), (128, "W"))
                if v & bit)
    return s or "none"


FLAGS = [_flag_names(v) for v in range(256)]

_OPT_NAMES = {0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 6: "echo", 7: "echoreply",
              8: "TS", 11: "cc", 12: "ccnew", 13: "", 19: "md5", 20: "scps", 28: "uto", 29: "tcp-ao",
              30: "mptcp", 34: "tfo", 254: "exp"}


def _addr_ports(d, ipoff, v6, direct, sport, dport):
    """"src.sport > dst.dport: " (or only the ports after IPv6 extension headers)."""
    if not direct:
        return "%u > %u: " % (sport, dport)
    if v6:
        return "%s.%u > %s.%u: " % (ip6(d[ipoff + 8:ipoff + 24]), sport, ip6(d[ipoff + 24:ipoff + 40]), dport)
    return "%s.%u > %s.%u: " % (ip4(d[ipoff + 12:ipoff + 16]), sport, ip4(d[ipoff + 16:ipoff + 20]), dport)


def _addrs(d, ipoff, v6, direct):
    if not direct:
        return ""
    if v6:
        return "%s > %s:" % (ip6(d[ipoff + 8:ipoff + 24]), ip6(d[ipoff + 24:ipoff + 40]))
    return "%s > %s:" % (ip4(d[ipoff + 12:ipoff + 16]), ip4(d[ipoff + 16:ipoff + 20]))


def _l4_cksum(d, ipoff, v6, p, length, proto):
    seg = d[p:p + length]
    # the pseudo header holds the final destination (a routing header's or option's last hop)
    if v6:
        dst = d[ipoff + 24:ipoff + 40] if p == ipoff + 40 else final_dst6(d, ipoff, p)
        ph = pseudo6(d[ipoff + 8:ipoff + 24], dst, proto, length)
    else:
        dst = d[ipoff + 16:ipoff + 20] if p == ipoff + 20 else final_dst4(d, ipoff, p)
        ph = pseudo4(d[ipoff + 12:ipoff + 16], dst, proto, length)
    return checksum(ph + seg)


def tcp_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    if p + 4 > end:  # (the addresses, even after IPv6 extension headers)
        out.append(_addrs(d, ipoff, v6, True))
        raise T_TCP
    if p + 20 > end:
        sport, dport = _PORTS.unpack_from(d, p)
        out.append(_addr_ports(d, ipoff, v6, direct, sport, dport))
        raise T_TCP
    sport, dport, seq, ack, offb, flags, win, csum, urp = _TCP.unpack_from(d, p)
    out.append(_addr_ports(d, ipoff, v6, direct, sport, dport))
    hlen = (offb >> 4) << 2
    if hlen < 20:
        out.append(" tcp %u [bad hdr length %u - too short, < 20]" % ((length - hlen) & M32, hlen))
        return
    if f.qflag:
        out.append("tcp %u" % ((length - hlen) & M32))
        if hlen > length:
            out.append(" [bad hdr length %u - too long, > %u]" % (hlen, length))
        return
    out.append("Flags [")
    out.append(FLAGS[flags])
    out.append("]")
    thseq = thack = 0
    rev = False
    if flags & 16 and not f.sflag:  # -S: the numbers as on the wire
        if v6:
            src = d[ipoff + 8:ipoff + 24]
            dst = d[ipoff + 24:ipoff + 40]
        else:
            src = d[ipoff + 12:ipoff + 16]
            dst = d[ipoff + 16:ipoff + 20]
        key, rev = conversation(src, dst, sport, dport)
        seq, ack, th = relative_seq(f.tcp_seq, key, rev, flags & 2, seq, ack)
        thseq, thack = th
    if hlen > length:
        out.append(" [bad hdr length %u - too long, > %u]" % (hlen, length))
        return
    if f.vflag and not f.kflag and not fragmented and p + length <= end:
        r = _l4_cksum(d, ipoff, v6, p, length, 6)
        if r:
            out.append(", cksum 0x%04x (incorrect -> 0x%04x)" % (csum, shouldbe(csum, r)))
        else:
            out.append(", cksum 0x%04x (correct)" % csum)
    length -= hlen
    if length > 0 or flags & 7 or f.vflag > 1:
        if length > 0:
            out.append(", seq %u:%u" % (seq, (seq + length) & M32))
        else:
            out.append(", seq %u" % seq)
    if flags & 16:
        out.append(", ack %u, win %u" % (ack, win))
    else:
        out.append(", win %u" % win)
    if flags & 32:
        out.append(", urg %u" % urp)
    if hlen > 20:
        if not _tcp_options(f, out, d, p + 20, hlen - 20, end, flags, rev, thseq, thack, p + hlen + length):
            return
    out.append(", length %u" % length)
    if length <= 0:
        return
    q = p + hlen
    if flags & 4 and f.vflag:
        n = min(length, 30)
        text = d[q:min(q + n, end)]
        out.append((" [RST" if q + length <= end else " [!RST") + ("+" if length > 30 else "") + " ")
        out.append(printjn(text))
        out.append("]")
        return
    app = dispatch.TCP_PORTS.get(sport)
    other = dispatch.TCP_PORTS.get(dport)
    if app is None or (other is not None and _asked_first(dport, sport)):
        app = other
    if app is not None:
        app(f, out, d, q, length, end)


# The order tcp_print asks for the ports it knows: both ports of a segment may be
# known (an HTTP client on port 6379), and the first one asked decides.
_PORT_ORDER = {port: rank for rank, port in enumerate((23, 25, 43, 179, 1723, 6379, 22, 139, 445, 10288, 6633, 6653,
                                                       21, 80, 8080, 554, 8554, 53))}


# The same for UDP (print-udp.c's chain of IS_SRC_OR_DST_PORT tests): a DNS query from port
# 7002 is DNS, not RX. A port registered in dispatch.UDP_PORTS belongs here, at tcpdump's rank;
# the whole chain is listed (printers netlab lacks too), so a new printer needs no new rank.
_UDP_ORDER = {port: rank for rank, ports in enumerate((
    (53,), (5353,), (525,), (69,), (67, 68), (520,), (654,), (500,), (4500,), (7500, 8500), (161, 162), (123,),
    (88, 750), (1701,), (137,), (138,), (2103, 2104), tuple(range(7000, 7010)), (521,), (546, 547), (5359,),
    (6696, 6697), (8231,), (496,), (1645, 1812, 1646, 1813, 1700, 3799), (921,), (646,), (698,), (3503,), (701,),
    (1589,), (6343,), (12223,), (12222,), (5060,), (514,), (8472,), (4789,), (6081,), (4342,), (4790,), (17754,),
    (6635,), (319, 320), (30490,))) for port in ports}


def _asked_first(port: int, than: int) -> bool:
    return _PORT_ORDER.get(port, 99) < _PORT_ORDER.get(than, 99)


def conversation(src: bytes, dst: bytes, sport: int, dport: int) -> tuple[tuple, bool]:
    """tcpdump's key for a TCP conversation (ordered by port, then by address), and
    whether this direction is the reverse one."""
    if sport > dport or (sport == dport and src > dst):
        return (dst, src, (dport << 16) | sport), True
    return (src, dst, (sport << 16) | dport), False


def relative_seq(tcp_seq: dict, key: tuple, rev: bool, syn: int, seq: int, ack: int) -> tuple[int, int, list]:
    """tcpdump's relative numbers for a segment with ACK set: (seq, ack, [base of the
    key's first side, base of its second side]).

    The first ACK-carrying segment of a conversation (or any SYN) sets the bases and
    keeps its own absolute numbers, as tcpdump does.
    """
    th = tcp_seq.get(key)
    if th is None or syn:
        th = [(ack - 1) & M32, seq] if rev else [seq, (ack - 1) & M32]
        tcp_seq[key] = th
    elif rev:
        seq = (seq - th[1]) & M32
        ack = (ack - th[0]) & M32
    else:
        seq = (seq - th[0]) & M32
        ack = (ack - th[1]) & M32
    return seq, ack, th


def _tcp_options(f, out, d, p, hlen, end, flags, rev, thseq, thack, seg_end):
    """The ", options [...]" part; False when a bad option ended the line (tcpdump returns)."""
    if hlen == 12 and p + 12 <= end and d[p:p + 4] == b"\x01\x01\x08\x0a":  # the usual one, at once
        out.append(", options [nop,nop,TS val %u ecr %u]" % _TS.unpack_from(d, p + 4))
        return True
    out.append(", options [")
    ch = ""
    proto = "tcp"  # tcpdump's current protocol name: "mptcp" once an MPTCP option was printed
    try:
        while hlen > 0:
            out.append(ch)
            if p >= end:
                raise TRUNC[proto]
            opt = d[p]
            p += 1
            if opt <= 1:
                olen = 1
            else:
                if p >= end:
                    raise TRUNC[proto]
                olen = d[p]
                p += 1
                if olen < 2 or olen > hlen:
                    raise _BadOpt
                hlen -= 1
            hlen -= 1
            datalen = 0
            name = _OPT_NAMES.get(opt)
            out.append(name if name is not None else "unknown-%u" % opt)
            if opt == 2:
                datalen = 2
                _check(datalen, hlen, p, end)
                out.append(" %u" % _U16.unpack_from(d, p)[0])
            elif opt == 3:
                datalen = 1
                _check(datalen, hlen, p, end)
                out.append(" %u" % d[p])
            elif opt == 5:
                datalen = olen - 2
                if datalen % 8:
                    out.append(" invalid sack")
                else:
                    out.append(" %u " % (datalen // 8))
                    for i in range(0, datalen, 8):
                        _check(i + 4, hlen, p, end)
                        s = _U32.unpack_from(d, p + i)[0]
                        _check(i + 8, hlen, p, end)
                        e = _U32.unpack_from(d, p + i + 4)[0]
                        if rev:
                            s = (s - thseq) & M32
                            e = (e - thseq) & M32
                        else:
                            s = (s - thack) & M32
                            e = (e - thack) & M32
                        out.append("{%u:%u}" % (s, e))
            elif opt in (11, 12, 13):
                datalen = 4
                _check(datalen, hlen, p, end)
                out.append(" %u" % _U32.unpack_from(d, p)[0])
            elif opt == 8:
                datalen = 8
                _check(datalen, hlen, p, end)
                out.append(" val %u ecr %u" % (_U32.unpack_from(d, p)[0], _U32.unpack_from(d, p + 4)[0]))
            elif opt == 19:
                datalen = 16
                _check(datalen, hlen, p, end)
                # tcpdump would verify the signature over the whole segment, with a secret (-M)
                why = "snaplen too short" if seg_end > end else "shared secret not supplied with -M"
                out.append(" %s, can't check - %s" % (why, d[p:p + 16].hex()))
            elif opt == 20:
                datalen = 2
                _check(datalen, hlen, p, end)
                out.append(" cap %02x id %u" % (d[p], d[p + 1]))
            elif opt == 28:
                datalen = 2
                _check(datalen, hlen, p, end)
                uto = _U16.unpack_from(d, p)[0]
                out.append(" 0x%x" % uto)
                uto = (uto >> 1) * 60 if uto & 1 else uto >> 1
                out.append(" %u" % uto)
            elif opt == 30:
                datalen = olen - 2
                _check(datalen, hlen, p, end)
                proto = "mptcp"
                if not _mptcp(out, d, p - 2, olen, flags):
                    raise _BadOpt
            elif opt == 34:
                datalen = olen - 2
                _check(datalen, hlen, p, end)
                out.append(" ")
                _tfo(out, d, p, datalen, False)
            elif opt == 254:
                datalen = olen - 2
                _check(datalen, hlen, p, end)
                if datalen < 2:
                    raise _BadOpt
                magic = _U16.unpack_from(d, p)[0]
                out.append("-")
                if magic == 0xF989:
                    _tfo(out, d, p + 2, datalen - 2, True)
                else:
                    out.append("%04x" % magic)
            elif opt > 1 and opt not in (4,):
                datalen = olen - 2
                if datalen:
                    out.append(" 0x")
                for i in range(datalen):
                    _check(i + 1, hlen, p, end)
                    out.append("%02x" % d[p + i])
            p += datalen
            hlen -= datalen
            datalen += 1
            if opt > 1:
                datalen += 1
            if datalen != olen:
                out.append("[len %u]" % olen)
            ch = ","
            if opt == 0:
                break
    except _BadOptError:
        out.append("[bad opt]")
        if ch != "":
            out.append("]")
        return False
    except _OptTruncError:
        # tcpdump's "goto trunc" (an option's data not captured): the marker, and
        # a '>' once an option was printed
        out.append(" [|%s]" % proto)
        if ch != "":
            out.append(">")
        return False
    out.append("]")
    return True


class _BadOptError(Exception):
    pass


_BadOpt = _BadOptError()


class _OptTruncError(Exception):
    pass


_OptTrunc = _OptTruncError()


def _check(n, hlen, p, end):
    """tcpdump's LENCHECK: beyond the header is a bad option, beyond the capture a truncation."""
    if n > hlen:
        raise _BadOpt
    if p + n > end:
        raise _OptTrunc


def _tfo(out, d, p, datalen, exp):
    if exp:
        out.append("tfo")
    if datalen == 0:
        out.append(" cookiereq")
    elif datalen % 2 or datalen < 4 or datalen > 16:
        out.append(" (invalid)")
    else:
        out.append(" cookie " + d[p:p + datalen].hex())


_MP_SUBTYPES = ["capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "tcprst"]


def _mptcp(out, d, p, olen, flags):
    """MPTCP option as tcpdump 4.99.3 prints it (returns False for a malformed one)."""
    if olen < 3:
        return False
    sub = d[p + 2] >> 4
    out.append(" %u" % olen)
    if sub >= 8:
        out.append(" unknown")
        return True
    out.append(" " + _MP_SUBTYPES[sub])
    if sub == 0:
        return _mp_capable(out, d, p, olen, flags)
    if sub == 1:
        return _mp_join(out, d, p, olen, flags)
    if sub == 2:
        return not flags & 2 and _mp_dss(out, d, p, olen)
    if sub == 3:
        return _mp_add_addr(out, d, p, olen)
    if sub == 4:
        if olen < 4:
            return False
        out.append(" id")
        for i in range(3, olen):
            out.append(" %u" % d[p + i])
        return True
    if sub == 5:
        if olen not in (3, 4):
            return False
        if d[p + 2] & 1:
            out.append(" backup")
        else:
            out.append(" non-backup")
        if olen == 4:
            out.append(" id %u" % d[p + 3])
        return True
    if sub == 6:
        if olen != 12:
            return False
        out.append(" seq %u" % _U64.unpack_from(d, p + 4)[0])
        return True
    if sub == 7:
        if olen != 12:
            return False
        out.append(" key 0x%x" % _U64.unpack_from(d, p + 4)[0])
        return True
    return True


def _mp_capable(out, d, p, olen, flags):
    # the lengths tcpdump 4.99.3 accepts: with SYN 4 or 12, on the third ACK / data 20, 22 or 24
    if not ((olen in (4, 12) and flags & 2) or (olen in (20, 22, 24) and flags & 18 == 16)):
        return False
    version = d[p + 2] & 15
    if version == 0:
        out.append(" v0")
    elif version == 1:
        out.append(" v1")
    else:
        out.append(" Unknown Version (%u)" % version)
    mflags = d[p + 3] if olen > 3 else 0
    if mflags & 0x80:
        out.append(" csum")
    if olen >= 12:
        out.append(" {0x%x" % _U64.unpack_from(d, p + 4)[0])
        if olen >= 20:
            out.append(",0x%x" % _U64.unpack_from(d, p + 12)[0])
        out.append("}")
    return True


def _mp_join(out, d, p, olen, flags):
    if olen == 12:  # SYN
        out.append(" id %u token 0x%x nonce 0x%x" % (d[p + 3], _U32.unpack_from(d, p + 4)[0], _U32.unpack_from(d, p + 8)[0]))
    elif olen == 16:  # SYN/ACK
        out.append(" id %u hmac 0x%x nonce 0x%x" % (d[p + 3], _U64.unpack_from(d, p + 4)[0], _U32.unpack_from(d, p + 12)[0]))
    elif olen == 24:  # ACK
        out.append(" hmac 0x" + d[p + 4:p + 24].hex())
    else:
        return False
    return True


def _dss_number(out, label, wide, d, q, left):
    """A DSS data ack or sequence number, 8 bytes if wide else 4: its size, or 0 if the
    option ends first (the label is printed either way, as tcpdump does)."""
    out.append(label)
    n = 8 if wide else 4
    if left < n:
        return 0
    out.append("%u" % (_U64 if wide else _U32).unpack_from(d, q)[0])
    return n


def _mp_dss(out, d, p, olen):
    """DSS as tcpdump 4.99.3 checks and prints it (False: a bad option)."""
    if olen < 4:
        return False
    fl = d[p + 3]
    if fl & 0x10:
        out.append(" fin")
    q = p + 4
    left = olen - 4
    if fl & 1:  # data ack present, 8 bytes with 'a'
        n = _dss_number(out, " ack ", fl & 2, d, q, left)
        if not n:
            return False
        q += n
        left -= n
    if fl & 4:  # mapping present, 8-byte DSN with 'm'
        n = _dss_number(out, " seq ", fl & 8, d, q, left)
        if not n:
            return False
        q += n
        left -= n
        if left < 4:
            return False
        out.append(" subseq %u" % _U32.unpack_from(d, q)[0])
        q += 4
        left -= 4
        if left < 2:
            return False
        out.append(" len %u" % _U16.unpack_from(d, q)[0])
        q += 2
        left -= 2
        if left >= 2:
            out.append(" csum 0x%x" % _U16.unpack_from(d, q)[0])
            left -= 2
    return left == 0


_ADDR_SUBECHO = {6: "v0-ip6", 4: "v0-ip4", 1: "v1-echo", 0: "v1"}


def _mp_add_addr(out, d, p, olen):
    if olen not in (8, 10, 16, 18, 20, 22, 28, 30):
        return False
    out.append(" " + _ADDR_SUBECHO.get(d[p + 2] & 15, "[bad version/echo]"))
    out.append(" id %u" % d[p + 3])
    if olen in (8, 10, 16, 18):
        out.append(" " + ip4(d[p + 4:p + 8]))
        if olen in (10, 18):
            out.append(":%u" % _U16.unpack_from(d, p + 8)[0])
        if olen == 16:
            out.append(" hmac 0x%x" % _U64.unpack_from(d, p + 8)[0])
        if olen == 18:
            out.append(" hmac 0x%x" % _U64.unpack_from(d, p + 10)[0])
    else:
        out.append(" " + ip6(d[p + 4:p + 20]))
        if olen in (22, 30):
            out.append(":%u" % _U16.unpack_from(d, p + 20)[0])
        if olen == 28:
            out.append(" hmac 0x%x" % _U64.unpack_from(d, p + 20)[0])
        if olen == 30:
            out.append(" hmac 0x%x" % _U64.unpack_from(d, p + 22)[0])
    return True


# ---- UDP ----

def udp_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    if p + 4 > end:
        out.append(_addrs(d, ipoff, v6, direct).rstrip(":") + ": " if direct else "")
        raise T_UDP
    sport, dport = _PORTS.unpack_from(d, p)
    if length < 8:
        out.append(_addr_ports(d, ipoff, v6, direct, sport, dport))
        out.append("truncated-udp %u" % length)
        return
    if p + 6 > end:
        out.append(_addr_ports(d, ipoff, v6, direct, sport, dport))
        raise T_UDP
    ulen = _U16.unpack_from(d, p + 4)[0]
    if ulen == 0 and length > 65535:
        ulen = length
    if ulen < 8:
        out.append(_addr_ports(d, ipoff, v6, direct, sport, dport))
        out.append("truncated-udplength %u" % ulen)
        return
    ulen -= 8
    length -= 8
    if ulen < length:
        length = ulen
    if p + 8 > end:
        out.append(_addr_ports(d, ipoff, v6, direct, sport, dport))
        raise T_UDP
    out.append(_addr_ports(d, ipoff, v6, direct, sport, dport))
    if f.vflag and not f.kflag and not fragmented:
        usum = _U16.unpack_from(d, p + 6)[0]
        if not v6 and f.vflag > 1:
            if usum == 0:
                out.append("[no cksum] ")
            elif p + 8 + length <= end:
                r = _l4_cksum(d, ipoff, v6, p, length + 8, 17)
                if r:
                    out.append("[bad udp cksum 0x%04x -> 0x%04x!] " % (usum, shouldbe(usum, r)))
                else:
                    out.append("[udp sum ok] ")
        elif v6 and p + 8 + length <= end:
            r = _l4_cksum(d, ipoff, v6, p, length + 8, 17)
            if r:
                out.append("[bad udp cksum 0x%04x -> 0x%04x!] " % (usum, shouldbe(usum, r)))
            else:
                out.append("[udp sum ok] ")
    if not f.qflag:
        app = dispatch.UDP_PORTS.get(sport)
        other = dispatch.UDP_PORTS.get(dport)
        if app is None or (other is not None and _UDP_ORDER.get(dport, 99) < _UDP_ORDER.get(sport, 99)):
            app = other
        f.udp_ipoff = ipoff
        if app is not None and app(f, out, d, p + 8, length, end, ulen, fragmented):
            return
    if ulen > length and not fragmented:
        out.append("UDP, bad length %u > %u" % (ulen, length))
    else:
        out.append("UDP, length %u" % ulen)


dispatch.ip_proto(6, tcp_print)
dispatch.ip_proto(17, udp_print)
