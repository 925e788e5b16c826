"""The application decorations tcpdump adds after a TCP/UDP line.

Only what tcpdump 4.99 prints on its default line for the commonest ports:
HTTP/WHOIS/SMTP first lines (``: HTTP: GET / HTTP/1.1``), the SSH banner,
and DNS (``fmt_dns``). Everything else gets the plain transport line.
"""

from __future__ import annotations

from netlab.capture import dispatch, fmt_dns, linktypes
from netlab.capture.fmt_base import Truncated

_HTTP_CMDS = frozenset(x.upper() for x in (
    "GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE",
    "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT",
    "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND",
    "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT",
    "VERSION-CONTROL", "BASELINE-CONTROL"))

_SPACE = b" \t\r\n"


def _fetch_token(d, idx, length, end):
    """tcpdump's fetch_token: (token, index after it and the blanks) or (None, 0)."""
    tok = bytearray()
    while idx < length:
        if idx >= end:
            return None, 0
        c = d[idx]
        if c >= 0x80:
            return None, 0
        if c in _SPACE:
            break
        if not 0x20 <= c <= 0x7E:
            return None, 0
        if len(tok) + 2 > 129:
            return None, 0
        tok.append(c)
        idx += 1
    if not tok:
        return None, 0
    while idx < length:
        if idx >= end:
            break
        c = d[idx]
        if c in b"\r\n":
            break
        if not 0x20 <= c <= 0x7E:
            break
        if c not in _SPACE:
            break
        idx += 1
    return tok.decode("ascii"), idx


def _txt_line(out, prefix, d, start, length, end, proto):
    """tcpdump's print_txt_line; returns the index after the line, or 0."""
    idx = start
    while idx < length:
        if idx >= end:  # tcpdump reads past the capture before printing anything
            raise Truncated(proto)
        c = d[idx]
        if c == 10:
            out.append(prefix + d[start:idx].decode("latin-1"))
            return idx + 1
        if c == 13:
            if idx + 1 >= length:
                return 0
            if idx + 1 >= end:
                raise Truncated(proto)
            if d[idx + 1] == 10:
                out.append(prefix + d[start:idx].decode("latin-1"))
                return idx + 2
            return 0
        if not (0x20 <= c <= 0x7E) and c != 9:
            return 0
        idx += 1
    out.append(prefix + d[start:idx].decode("latin-1"))
    out.append(" [|%s]" % proto)
    return 0


def _txtproto(f, out, d, q, length, end, name, cmds, resp_code_second):
    """tcpdump's txtproto_print, with the line bytes at d[q:q+length]."""
    stop = q + length
    print_this = False
    if cmds is not None:
        tok, idx = _fetch_token(d, q, stop, end)
        if idx:
            if tok.upper() in cmds:
                print_this = True
            if resp_code_second:
                tok2, idx = _fetch_token(d, idx, stop, end)
                if idx and len(tok2) == 3 and "1" <= tok2[0] <= "9" and tok2[1].isdigit() and tok2[2].isdigit():
                    print_this = True
    else:
        print_this = True
    out.append(name.upper())
    if print_this:
        if f.vflag:
            out.append(", length: %u" % length)
            idx = q
            while idx < stop:
                eol = _txt_line(out, "\n\t", d, idx, stop, end, name)
                if not eol:
                    break
                idx = eol
        else:
            _txt_line(out, ": ", d, q, stop, end, name)


def _http(f, out, d, q, length, end):
    out.append(": ")
    _txtproto(f, out, d, q, length, end, "http", _HTTP_CMDS, True)


def _whois(f, out, d, q, length, end):
    out.append(": ")
    _txtproto(f, out, d, q, length, end, "whois", None, False)


def _smtp(f, out, d, q, length, end):
    out.append(": ")
    _txtproto(f, out, d, q, length, end, "smtp", None, False)


def _ssh(f, out, d, q, length, end):
    for i, c in enumerate(b"SSH-"):
        if q + i >= end:
            raise Truncated("ssh")
        if d[q + i] != c:
            return
    idx = q
    stop = q + length
    while idx < stop:
        if idx >= end:
            raise Truncated("ssh")
        c = d[idx]
        if c == 10:
            out.append(": SSH: " + d[q:idx].decode("latin-1"))
            return
        if c == 13:
            if idx + 1 >= stop:
                return
            if idx + 1 >= end:
                raise Truncated("ssh")
            if d[idx + 1] == 10:
                out.append(": SSH: " + d[q:idx].decode("latin-1"))
            return
        if not 0x20 <= c <= 0x7E:
            return  # not a version banner
        idx += 1


def _dns_tcp(f, out, d, q, length, end):
    fmt_dns.domain_print(f, out, d, q, length, end, over_tcp=True)


def _dns_udp(f, out, d, q, length, end, ulen, fragmented):
    fmt_dns.domain_print(f, out, d, q, length, end, over_tcp=False)
    return True


_RTSP_CMDS = frozenset(("DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD", "REDIRECT",
                        "SETUP", "SET_PARAMETER", "TEARDOWN"))


def _ftp(f, out, d, q, length, end):
    out.append(": ")
    _txtproto(f, out, d, q, length, end, "ftp", None, False)


def _rtsp(f, out, d, q, length, end):
    out.append(": ")
    _txtproto(f, out, d, q, length, end, "rtsp", _RTSP_CMDS, True)


dispatch.ports(dispatch.TCP_PORTS, _http, 80, 8080)
dispatch.ports(dispatch.TCP_PORTS, _whois, 43)
dispatch.ports(dispatch.TCP_PORTS, _smtp, 25)
dispatch.ports(dispatch.TCP_PORTS, _ssh, 22)
dispatch.ports(dispatch.TCP_PORTS, _dns_tcp, 53)
dispatch.ports(dispatch.TCP_PORTS, _ftp, 21)
dispatch.ports(dispatch.TCP_PORTS, _rtsp, 554, 8554)


def _mdns_udp(f, out, d, q, length, end, ulen, fragmented):
    fmt_dns.domain_print(f, out, d, q, length, end, over_tcp=False, is_mdns=True)
    return True


def _inner_ether(f, out, d, q, length, end):
    """The Ethernet frame a tunnel header carries (ether_print), as a frame of its own."""
    outer_hdrlen = f.hdrlen
    try:
        dispatch.LINKTYPES[linktypes.ETHERNET](f, out, d[q:end], length)
    finally:
        f.hdrlen = outer_hdrlen


def _vxlan(f, out, d, q, length, end, ulen, fragmented):
    """VXLAN: its header, a newline, then the inner Ethernet frame as tcpdump prints it."""
    out.append("VXLAN")
    if length < 8:
        out.append(" (invalid)")
        return True
    if q >= end:
        raise Truncated("vxlan")
    flags = d[q]
    out.append(", flags [%s] (0x%02x), " % ("I" if flags & 8 else "invalid", flags))
    if q + 7 > end:
        raise Truncated("vxlan")
    out.append("vni %u\n" % int.from_bytes(d[q + 4:q + 7], "big"))
    if q + 8 > end:  # (tcpdump reads the reserved byte too)
        raise Truncated("vxlan")
    _inner_ether(f, out, d, q + 8, length - 8, end)
    return True


_GPE_FLAGS = ((0x08, "I"), (0x04, "P"), (0x02, "B"), (0x01, "O"))


def _vxlan_gpe(f, out, d, q, length, end, ulen, fragmented):
    """VXLAN-GPE (print-vxlan-gpe.c): flags, VNI, then the IPv4, IPv6 or Ethernet packet
    its next-protocol field names (NSH, 4, is not decoded: netlab has no NSH printer)."""
    out.append("VXLAN-GPE, ")
    if length < 8:
        out.append(" (len %u < 8) (invalid)" % length)
        return True
    if q >= end:
        raise Truncated("vxlan_gpe")
    flags = d[q]
    out.append("flags [%s], " % ("".join(name for bit, name in _GPE_FLAGS if flags & bit) or "none"))
    if q + 8 > end:  # (the next protocol, the VNI and the reserved byte are read before printing)
        raise Truncated("vxlan_gpe")
    out.append("vni %u" % int.from_bytes(d[q + 4:q + 7], "big"))
    out.append("\n    " if f.vflag else ": ")
    nxt = d[q + 3]
    if nxt == 3:
        _inner_ether(f, out, d, q + 8, length - 8, end)
    elif nxt in (1, 2):
        dispatch.ETHERTYPES[dispatch.ETH_P_IP if nxt == 1 else dispatch.ETH_P_IPV6](f, out, d, q + 8, length - 8, end)
    else:
        out.append("ERROR: unknown-next-protocol (invalid)")
    return True


def _otv(f, out, d, q, length, end, ulen, fragmented):
    """OTV (print-otv.c): flags, overlay and instance, a newline, then the inner Ethernet frame."""
    out.append("OTV, ")
    if length < 8:
        out.append("[length %u < 8] (invalid)" % length)
        if q + length > end:  # (ND_TCHECK_LEN after the invalid mark)
            raise Truncated("otv")
        return True
    if q >= end:
        raise Truncated("otv")
    flags = d[q]
    out.append("flags [%s] (0x%02x), " % ("I" if flags & 8 else ".", flags))
    if q + 4 > end:
        raise Truncated("otv")
    out.append("overlay %u, " % int.from_bytes(d[q + 1:q + 4], "big"))
    if q + 7 > end:
        raise Truncated("otv")
    out.append("instance %u\n" % int.from_bytes(d[q + 4:q + 7], "big"))
    if q + 8 > end:
        raise Truncated("otv")
    _inner_ether(f, out, d, q + 8, length - 8, end)
    return True


dispatch.ports(dispatch.UDP_PORTS, _dns_udp, 53)
dispatch.ports(dispatch.UDP_PORTS, _mdns_udp, 5353)
dispatch.ports(dispatch.UDP_PORTS, _vxlan, 4789)
dispatch.ports(dispatch.UDP_PORTS, _otv, 8472)
dispatch.ports(dispatch.UDP_PORTS, _vxlan_gpe, 4790)
