"""Small protocols tcpdump names on its default line: IGMP and syslog, at every verbosity.

NTP, BOOTP/DHCP and DHCPv6 have modules of their own (fmt_ntp, fmt_bootp, fmt_dhcp6).
"""

from __future__ import annotations

import struct

from netlab.capture import dispatch
from netlab.capture.fmt_base import TRUNC, Truncated, checked_readers, hex_print, ip4, printjn
from netlab.core.inet import checksum

_U16 = struct.Struct("!H")

_IGMPV3_RECORDS = {1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}


def _sources(out, d, at, n, end):
    """`` { a b c }``: the n IPv4 source addresses at ``at``; a list the capture cuts ends the line."""
    out.append(" {")
    for k in range(n):
        if at + 4 + 4 * k > end:
            raise TRUNC["igmp"]
        out.append(" " + ip4(d[at + 4 * k:at + 4 + 4 * k]))
    out.append(" }")


def igmp_print(f, out, d, p, length, end, ipoff, v6, direct, fragmented):
    if f.qflag:
        out.append("igmp")
        return
    if p + 1 > end:
        raise TRUNC["igmp"]
    typ = d[p]

    def need(n):
        if p + n > end:
            raise TRUNC["igmp"]

    if typ == 0x11:
        out.append("igmp query")
        if length >= 12:
            _v3_query(f, out, d, p, length, end)
        else:
            need(2)  # (tcpdump reads each field as it prints it)
            if d[p + 1]:
                out.append(" v2")
                if d[p + 1] != 100:
                    out.append(" [max resp time %u]" % d[p + 1])
            else:
                out.append(" v1")
            need(8)
            if any(d[p + 4:p + 8]):
                out.append(" [gaddr %s]" % ip4(d[p + 4:p + 8]))
            if length != 8:
                out.append(" [len %u]" % length)
    elif typ in (0x12, 0x16, 0x17):
        need(8)
        out.append("igmp %s %s" % ({0x12: "v1 report", 0x16: "v2 report", 0x17: "leave"}[typ], ip4(d[p + 4:p + 8])))
        if length != 8:
            out.append(" [len %u]" % length)
    elif typ == 0x22:
        out.append("igmp v3 report")
        _v3_report(f, out, d, p, length, end)
    else:
        out.append("igmp-%x" % typ)
    if f.vflag and length >= 4 and p + length <= end and checksum(d[p:p + length]):
        out.append(" bad igmp cksum %x!" % _U16.unpack_from(d, p + 2)[0])


def _v3_report(f, out, d, p, length, end):
    if length < 8:
        out.append(" [invalid len %u]" % length)
        return
    if p + 8 > end:
        raise TRUNC["igmp"]
    ngroups = _U16.unpack_from(d, p + 6)[0]
    out.append(", %u group record(s)" % ngroups)
    if not f.vflag:
        return
    group = 8
    for _ in range(ngroups):
        if length < group + 8:
            out.append(" [invalid number of groups]")
            return
        q = p + group
        if q + 8 > end:
            raise TRUNC["igmp"]
        out.append(" [gaddr %s" % ip4(d[q + 4:q + 8]))
        out.append(" %s" % _IGMPV3_RECORDS.get(d[q], " [v3-report-#%u]" % d[q]))
        nsrcs = _U16.unpack_from(d, q + 2)[0]
        if length < group + 8 + (nsrcs << 2):
            out.append(" [invalid number of sources %u]" % nsrcs)
            return
        if f.vflag == 1:
            out.append(", %u source(s)" % nsrcs)
        else:
            _sources(out, d, q + 8, nsrcs, end)
        group += 8 + (nsrcs << 2)
        out.append("]")


def _v3_query(f, out, d, p, length, end):
    """print_igmpv3_query: `` v3`` first, then the maximum response time, group and sources."""
    out.append(" v3")
    if length < 12 or length & 3:
        out.append(" [invalid len %u]" % length)
        return
    if p + 2 > end:
        raise TRUNC["igmp"]
    mrc = d[p + 1]
    mrt = mrc if mrc < 128 else ((mrc & 0x0F) | 0x10) << (((mrc & 0x70) >> 4) + 3)
    if mrc != 100:
        out.append(" [max resp time ")
        if mrt < 600:
            out.append("%.1fs" % (mrt * 0.1))
        else:
            out.append(_relts(mrt // 10))
        out.append("]")
    if p + 8 > end:
        raise TRUNC["igmp"]
    if not any(d[p + 4:p + 8]):
        return
    out.append(" [gaddr %s" % ip4(d[p + 4:p + 8]))
    if p + 12 > end:
        raise TRUNC["igmp"]
    nsrcs = _U16.unpack_from(d, p + 10)[0]
    if nsrcs:
        if length < 12 + (nsrcs << 2):
            out.append(" [invalid number of sources]")
        elif f.vflag > 1:
            _sources(out, d, p + 12, nsrcs, end)
        else:
            out.append(", %u source(s)" % nsrcs)
    out.append("]")


def _relts(secs):
    parts = []
    for unit, n in (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= n:
            parts.append("%u%s" % (secs // n, unit))
            secs %= n
    return "".join(parts) or "0s"


_FACILITIES = ["kernel", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
               "ftp", "ntp", "security", "console", "cron", "local0", "local1", "local2", "local3", "local4",
               "local5", "local6", "local7"]
_SEVERITIES = ["emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"]
_SYSLOG_CUT = Truncated("syslog")
_syslog_byte = checked_readers(_SYSLOG_CUT)[0]


def syslog_print(f, out, d, q, length, end, ulen, fragmented):
    """``SYSLOG user.info, length: 35`` from the <PRI> of the message; with -v the
    facility and severity by name and number and the message itself, -vv a hex dump."""
    # tcpdump reads up to the end of the capture, whatever the length says
    if _syslog_byte(d, q, end) != 0x3C:
        out.append(" (invalid)")
        return True
    i = q + 1
    pri = 0
    while i - q <= 3 and 0x30 <= _syslog_byte(d, i, end) <= 0x39:
        pri = pri * 10 + d[i] - 0x30
        i += 1
    if _syslog_byte(d, i, end) != 0x3E:
        out.append(" (invalid)")
        return True
    i += 1
    facility, severity = (pri & 0x3F8) >> 3, pri & 7
    facility_name = _FACILITIES[facility] if facility < len(_FACILITIES) else "unknown (%u)" % facility
    if not f.vflag:
        out.append("SYSLOG %s.%s, length: %u" % (facility_name, _SEVERITIES[severity], length))
        return True
    out.append("SYSLOG, length: %u\n\tFacility %s (%u), Severity %s (%u)\n\tMsg: " % (
        length, facility_name, facility, _SEVERITIES[severity], severity))
    stop = q + length
    if stop > i:  # the message as sent, every byte of it (nd_printn), cut where the capture ends
        out.append(printjn(d[i:min(stop, end)]))
        if stop > end:
            raise _SYSLOG_CUT
    if f.vflag > 1:
        out.append(hex_print("\n\t", d[q:min(stop, end)]))
    return True


dispatch.ip_proto(2, igmp_print, v6=False)
dispatch.ports(dispatch.UDP_PORTS, syslog_print, 514)
