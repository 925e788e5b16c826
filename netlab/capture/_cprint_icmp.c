/* ICMP, ICMPv6 and ARP as tcpdump prints them: the C twins of fmt_icmp.py and fmt_arp.py (see _cprint.h).
 *
 * Every bounds check here is one of the Python twin's, or stricter: where the Python
 * printer raises a truncation (hard or soft), prints a hex dump it cannot know the
 * layout of here (ARP's unknown operations, whose dump depends on -x/-X), or would
 * read past the captured bytes, the C printer punts. */
#include "_cprint.h"

#include <stdio.h>

static inline unsigned be16(const u8 *p) { return (unsigned)p[0] << 8 | p[1]; }
static inline uint32_t be32(const u8 *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* fmt_base.ip4 into a buffer, for the texts that place an address inside a format */
static const char *ip4_text(char buf[16], const u8 *a)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return buf;
}

/* fmt_base.linkaddr: the bytes in hex, joined by ':' (a MAC address when there are 6) */
static void linkaddr(cp_out *out, const u8 *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cp_printf(out, i ? ":%02x" : "%02x", a[i]);
}

/* fmt_icmp._unknown_data: hexdump.hex_lines(d[start:stop], False), each line after
   `indent` instead of its tab: "0x0010:  4500 0054 ..." (an odd last byte a 2-digit word). */
static void unknown_data(cp_out *out, const u8 *d, size_t start, size_t stop, const char *indent)
{
    for (size_t off = 0; start + off < stop; off += 16) {
        cp_puts(out, indent);
        cp_printf(out, "0x%04zx: ", off);
        for (size_t i = off; i < off + 16 && start + i < stop; i++)
            cp_printf(out, i % 2 ? "%02x" : " %02x", d[start + i]);
    }
}

/* ---------------------------------------------------------------- ICMP */

static const char *unreach_text(unsigned code)
{
    switch (code) {
    case 0: return "net %s unreachable";
    case 1: return "host %s unreachable";
    case 5: return "%s unreachable - source route failed";
    case 6: return "net %s unreachable - unknown";
    case 7: return "host %s unreachable - unknown";
    case 8: return "%s unreachable - source host isolated";
    case 9: return "net %s unreachable - admin prohibited";
    case 10: return "host %s unreachable - admin prohibited";
    case 11: return "net %s unreachable - tos prohibited";
    case 12: return "host %s unreachable - tos prohibited";
    case 13: return "host %s unreachable - admin prohibited filter";
    case 14: return "host %s unreachable - host precedence violation";
    case 15: return "host %s unreachable - precedence cutoff";
    default: return NULL;
    }
}

static const char *redirect_text(unsigned code)
{
    switch (code) {
    case 0: return "redirect %s to net %s";
    case 1: return "redirect %s to host %s";
    case 2: return "redirect-tos %s to net %s";
    case 3: return "redirect-tos %s to host %s";
    default: return NULL;
    }
}

static const char *l4_name(unsigned proto) { return proto == 6 ? "tcp" : proto == 17 ? "udp" : NULL; }

/* fmt_icmp._ms: milliseconds since midnight as hh:mm:ss.mmm */
static void ms_text(cp_out *out, uint32_t v)
{
    cp_printf(out, "%02u:%02u:%02u.%03u", v / 3600000, v % 3600000 / 60000, v % 60000 / 1000, v % 1000);
}

/* fmt_icmp._router_adv */
static int router_adv(cp_out *out, const u8 *d, size_t p, size_t end)
{
    if (p + 8 > end)
        return CP_PUNT;
    unsigned num = d[p + 4], size = d[p + 5], life = be16(d + p + 6);
    if (size == 2 && p + 8 + 8 * (size_t)num > end)
        return CP_PUNT;  /* (a cut entry: tcpdump's own check) */
    if (life < 60)
        cp_printf(out, "router advertisement lifetime %u", life);
    else if (life < 3600)
        cp_printf(out, "router advertisement lifetime %u:%02u", life / 60, life % 60);
    else
        cp_printf(out, "router advertisement lifetime %u:%02u:%02u", life / 3600, life % 3600 / 60, life % 60);
    cp_printf(out, " %u:", num);
    if (size != 2) {
        cp_printf(out, " [size %u]", size);
        return CP_OK;
    }
    for (size_t q = p + 8; num--; q += 8) {
        cp_put(out, " {", 2);
        cp_ip4(out, d + q);
        cp_printf(out, " %u}", (unsigned)be32(d + q + 4));
    }
    return CP_OK;
}

/* fmt_icmp._icmp_text: the text after "ICMP ", or CP_PUNT where the Python twin raises
   (None, _SOFT, an IndexError) or might read past the captured bytes. */
static int icmp_text(cp_out *out, const u8 *d, size_t p, size_t end, unsigned typ, unsigned code)
{
    char a[16], b[16];
    size_t q = p + 8;  /* an error's quoted datagram */
    switch (typ) {
    case 0:
    case 8:
        if (p + 8 > end)
            return CP_PUNT;
        cp_puts(out, typ ? "echo request, id " : "echo reply, id ");
        cp_u(out, be16(d + p + 4));
        cp_put(out, ", seq ", 6);
        cp_u(out, be16(d + p + 6));
        return CP_OK;
    case 3: {
        if (q + 20 > end)
            return CP_PUNT;
        const char *dst = ip4_text(a, d + q + 16);
        if (code == 2) {
            cp_printf(out, "%s protocol %u unreachable", dst, d[q + 9]);
        } else if (code == 3) {
            size_t hl = (size_t)(d[q] & 15) * 4;
            unsigned proto = d[q + 9];
            if (q + hl + 4 > end)
                return CP_PUNT;
            unsigned dport = be16(d + q + hl + 2);
            if (l4_name(proto))
                cp_printf(out, "%s %s port %u unreachable", dst, l4_name(proto), dport);
            else
                cp_printf(out, "%s protocol %u port %u unreachable", dst, proto, dport);
        } else if (code == 4) {
            unsigned mtu = be16(d + p + 6);
            if (mtu)
                cp_printf(out, "%s unreachable - need to frag (mtu %u)", dst, mtu);
            else
                cp_printf(out, "%s unreachable - need to frag", dst);
        } else if (unreach_text(code)) {
            cp_printf(out, unreach_text(code), dst);
        } else {
            cp_printf(out, "%s unreachable - #%u", dst, code);
        }
        return CP_OK;
    }
    case 5:
        if (q + 20 > end)
            return CP_PUNT;
        ip4_text(a, d + q + 16);
        ip4_text(b, d + p + 4);
        if (redirect_text(code))
            cp_printf(out, redirect_text(code), a, b);
        else
            cp_printf(out, "redirect-#%u %s to %s", code, a, b);
        return CP_OK;
    case 11:
        if (p + 28 > end)
            return CP_PUNT;
        if (code == 0)
            cp_puts(out, "time exceeded in-transit");
        else if (code == 1)
            cp_puts(out, "ip reassembly time exceeded");
        else
            cp_printf(out, "time exceeded-#%u", code);
        return CP_OK;
    case 12:
        if (code == 0) {
            if (p + 5 > end)
                return CP_PUNT;
            cp_printf(out, "parameter problem - octet %u", d[p + 4]);
        } else {
            cp_printf(out, "parameter problem - code %u", code);
        }
        return CP_OK;
    case 13:
    case 14:
        if (p + 8 > end || (typ == 14 && p + 20 > end))
            return CP_PUNT;
        cp_printf(out, "time stamp %s id %u seq %u", typ == 13 ? "query" : "reply", be16(d + p + 4), be16(d + p + 6));
        if (typ == 14) {
            cp_put(out, ": org ", 6);
            ms_text(out, be32(d + p + 8));
            cp_put(out, ", recv ", 7);
            ms_text(out, be32(d + p + 12));
            cp_put(out, ", xmit ", 7);
            ms_text(out, be32(d + p + 16));
        }
        return CP_OK;
    case 9:
        return router_adv(out, d, p, end);
    case 17:
        if (p + 8 > end)
            return CP_PUNT;
        cp_puts(out, "address mask request");
        return CP_OK;
    case 18:
        if (p + 12 > end)
            return CP_PUNT;
        cp_printf(out, "address mask is 0x%08x", (unsigned)be32(d + p + 8));
        return CP_OK;
    case 4: cp_puts(out, "source quench"); return CP_OK;
    case 10: cp_puts(out, "router solicitation"); return CP_OK;
    case 15: cp_puts(out, "info request"); return CP_OK;
    case 16: cp_puts(out, "info reply"); return CP_OK;
    default:
        cp_printf(out, "type-#%u", typ);
        return CP_OK;
    }
}

static int icmp_errtype(unsigned typ) { return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12; }

int cp_icmp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, size_t ipoff,
                  int v6, int direct, int fragmented)
{
    if (p + 2 > end)
        return CP_PUNT;
    unsigned typ = d[p], code = d[p + 1];
    cp_put(out, "ICMP ", 5);
    if (icmp_text(out, d, p, end, typ, code) != CP_OK)
        return CP_PUNT;
    cp_put(out, ", length ", 9);
    cp_u(out, length);
    if (f->vflag && !fragmented && p + length <= end) {
        unsigned c = cp_cksum(d + p, length, 0);
        if (c) {
            if (p + 4 > end)
                return CP_PUNT;  /* (the field lies past the capture) */
            unsigned field = be16(d + p + 2);
            cp_printf(out, " (wrong icmp cksum %x (->%x)!)", field, cp_shouldbe(field, c));
        }
    }
    if (f->vflag && icmp_errtype(typ)) {
        /* the quoted datagram, through the IP printer: it punts where the quote is cut
           inside a header (the Python printers print the truncation marker) */
        size_t q = p + 8;
        if (q + 4 > end)
            return CP_PUNT;
        cp_put(out, "\n\t", 2);
        return cp_ip4_print(f, out, d, q, be16(d + q + 2), end);
    }
    return CP_OK;
}

/* ---------------------------------------------------------------- ICMPv6 */

static const char *icmp6_type_name(unsigned typ)
{
    switch (typ) {
    case 1: return "destination unreachable";
    case 2: return "packet too big";
    case 3: return "time exceeded in-transit";
    case 4: return "parameter problem";
    case 128: return "echo request";
    case 129: return "echo reply";
    case 130: return "multicast listener query";
    case 131: return "multicast listener report";
    case 132: return "multicast listener done";
    case 133: return "router solicitation";
    case 134: return "router advertisement";
    case 135: return "neighbor solicitation";
    case 136: return "neighbor advertisement";
    case 137: return "redirect";
    case 138: return "router renumbering";
    case 139: return "who-are-you request";
    case 140: return "who-are-you reply";
    case 141: return "inverse neighbor solicitation";
    case 142: return "inverse neighbor advertisement";
    case 143: return "multicast listener report v2";
    case 144: return "home agent discovery request";
    case 145: return "home agent discovery reply";
    case 146: return "mobile router solicitation";
    case 147: return "mobile router advertisement";
    case 148: return "certification path solicitation";
    case 149: return "certification path advertisement";
    case 151: return "multicast router advertisement";
    case 152: return "multicast router solicitation";
    case 153: return "multicast router termination";
    case 155: return "RPL";
    case 200: return "mtrace response";
    case 201: return "mtrace";
    default: return NULL;
    }
}

/* (tcpdump 4.99.3's own strings, the leading space of code 1 included) */
static const char *unreach6_name(unsigned code)
{
    switch (code) {
    case 0: return "unreachable route";
    case 1: return " unreachable prohibited";
    case 2: return "beyond scope";
    case 3: return "unreachable address";
    case 4: return "unreachable port";
    default: return NULL;
    }
}

static const char *nd_opt_name(unsigned typ)
{
    switch (typ) {
    case 1: return "source link-address";
    case 2: return "destination link-address";
    case 3: return "prefix info";
    case 4: return "redirected header";
    case 5: return "mtu";
    case 7: return "advertisement interval";
    case 8: return "homeagent information";
    case 24: return "route info";
    case 25: return "rdnss";
    case 31: return "dnssl";
    default: return NULL;
    }
}

/* fmt_icmp._lifetime */
static void lifetime(cp_out *out, uint32_t v)
{
    if (v == 0xFFFFFFFFu)
        cp_put(out, "infinity", 8);
    else
        cp_printf(out, "%us", (unsigned)v);
}

/* fmt_icmp._nd_opts (tcpdump's icmp6_opt_print, -v): resid is what the message leaves for
   the options. Punts where the Python twin raises, or would slice an address short. */
static int nd_opts(cp_ctx *f, cp_out *out, const u8 *d, size_t p, long resid, size_t end)
{
    while (p < end) {
        if (p + 2 > end)
            return CP_PUNT;
        if (resid <= 0)
            return CP_OK;
        unsigned typ = d[p], olen = d[p + 1];
        size_t stop = p + (size_t)olen * 8;
        if (olen == 0 || stop > end)
            return CP_PUNT;
        const char *name = nd_opt_name(typ);
        cp_printf(out, "\n\t  %s option (%u), length %u (%u): ", name ? name : "unknown", typ, olen * 8, olen);
        if (typ == 1 || typ == 2) {
            cp_mac(out, d + p + 2);  /* (an option is at least 8 bytes: 6 of address) */
        } else if (typ == 5) {
            cp_printf(out, " %u", (unsigned)be32(d + p + 4));
        } else if (typ == 3) {
            if (olen < 4)
                return CP_PUNT;  /* (the prefix lies past the option) */
            unsigned plen = d[p + 2], fl = d[p + 3];
            cp_ip6(out, d + p + 16);
            cp_printf(out, "/%u, Flags [", plen);
            const char *sep = "";
            if (!(fl & 0xE0))
                cp_put(out, "none", 4);
            if (fl & 0x80) { cp_printf(out, "%sonlink", sep); sep = ", "; }
            if (fl & 0x40) { cp_printf(out, "%sauto", sep); sep = ", "; }
            if (fl & 0x20) cp_printf(out, "%srouter", sep);
            cp_put(out, "], valid time ", 14);
            lifetime(out, be32(d + p + 4));
            cp_put(out, ", pref. time ", 13);
            lifetime(out, be32(d + p + 8));
        } else if (typ == 25) {
            if ((olen - 1) % 2)
                return CP_PUNT;  /* (the last address would be cut) */
            cp_printf(out, " lifetime %us,", (unsigned)be32(d + p + 4));
            for (size_t a = p + 8; a < stop; a += 16) {
                cp_put(out, " addr: ", 7);
                cp_ip6(out, d + a);
            }
        } else if (typ == 7 || typ == 8 || typ == 24 || typ == 31) {
            return CP_PUNT;  /* advertisement interval, home agent, route information, DNSSL: fmt_icmp's */
        } else if (!name && f->vflag <= 1) {
            unknown_data(out, d, p + 2, stop, "\n\t  ");
            return CP_OK;
        }
        if (f->vflag > 1)
            unknown_data(out, d, p + 2, stop, "\n\t    ");
        p = stop;
        resid -= (long)olen * 8;
    }
    return CP_OK;
}

/* fmt_icmp._upper_layer: the protocol and offset of an ICMPv6 error's quoted transport
   header, through the extension headers; CP_PUNT where the quote is cut. */
static int upper_layer(const u8 *d, size_t q, size_t end, unsigned *proto, size_t *l4)
{
    if (q + 40 > end)
        return CP_PUNT;
    unsigned nh = d[q + 6];
    size_t p = q + 40;
    while (nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51) {
        if (p + 2 > end)
            return CP_PUNT;
        size_t adv = nh == 44 ? 8 : nh == 51 ? (size_t)(d[p + 1] + 2) << 2 : (size_t)(d[p + 1] + 1) << 3;
        nh = d[p];
        p += adv;
    }
    *proto = nh;
    *l4 = p;
    return CP_OK;
}

/* fmt_icmp._mld */
static int mld(cp_out *out, const u8 *d, size_t p, size_t end)
{
    if (p + 24 > end)
        return CP_PUNT;
    cp_printf(out, "max resp delay: %u addr: ", be16(d + p + 4));
    cp_ip6(out, d + p + 8);
    return CP_OK;
}

static const char *mldv2_record_name(unsigned rtype)
{
    static const char *names[] = {"is_in", "is_ex", "to_in", "to_ex", "allow", "block"};
    return rtype >= 1 && rtype <= 6 ? names[rtype - 1] : NULL;
}

/* fmt_icmp._mldv2_report */
static int mldv2_report(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end)
{
    if (length < 8) {
        cp_printf(out, " [invalid len %zu]", length);
        return CP_OK;
    }
    if (p + 8 > end)
        return CP_PUNT;
    unsigned ngroups = be16(d + p + 6);
    cp_printf(out, ", %u group record(s)", ngroups);
    if (!f->vflag)
        return CP_OK;
    size_t group = 8;
    while (ngroups--) {
        if (length < group + 20) {
            cp_puts(out, " [invalid number of groups]");
            return CP_OK;
        }
        size_t q = p + group;
        if (q + 20 > end)
            return CP_PUNT;
        unsigned rtype = d[q], nsrcs = be16(d + q + 2);
        const char *name = mldv2_record_name(rtype);
        cp_put(out, " [gaddr ", 8);
        cp_ip6(out, d + q + 4);
        if (name)
            cp_printf(out, " %s", name);
        else
            cp_printf(out, "  [v2-report-#%u]", rtype);
        if (length < group + 20 + (size_t)nsrcs * 16) {
            cp_printf(out, " [invalid number of sources %u]", nsrcs);
            return CP_OK;
        }
        if (f->vflag == 1) {
            cp_printf(out, ", %u source(s)", nsrcs);
        } else {
            if (q + 20 + (size_t)nsrcs * 16 > end)
                return CP_PUNT;
            cp_put(out, " {", 2);
            for (size_t k = 0; k < nsrcs; k++) {
                cp_putc(out, ' ');
                cp_ip6(out, d + q + 20 + 16 * k);
            }
            cp_put(out, " }", 2);
        }
        group += 20 + (size_t)nsrcs * 16;
        cp_putc(out, ']');
    }
    return CP_OK;
}

/* fmt_icmp._mldv2_query (after " v2") */
static int mldv2_query(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end)
{
    if (p + 28 > end)
        return CP_PUNT;
    unsigned mrc = be16(d + p + 4), nsrcs = be16(d + p + 26);
    unsigned mrt = mrc < 32768 ? mrc : ((mrc & 0x0FFF) | 0x1000) << (((mrc & 0x7000) >> 12) + 3);
    if (nsrcs && length >= 28 + (size_t)nsrcs * 16 && f->vflag != 1 && p + 28 + (size_t)nsrcs * 16 > end)
        return CP_PUNT;  /* (a source address cut: the Python printer) */
    if (f->vflag)
        cp_printf(out, " [max resp delay=%u]", mrt);
    cp_put(out, " [gaddr ", 8);
    cp_ip6(out, d + p + 8);
    if (f->vflag) {
        unsigned qqi = d[p + 25], flags = d[p + 24];
        if (qqi & 0x80)
            qqi = ((qqi & 0x0F) | 0x10) << (((qqi & 0x70) >> 4) + 3);
        if (flags & 0x08)
            cp_puts(out, " sflag");
        if (flags & 0x07)
            cp_printf(out, " robustness=%u", flags & 7);
        cp_printf(out, " qqi=%u", qqi);
    }
    if (nsrcs) {
        if (length < 28 + (size_t)nsrcs * 16) {
            cp_puts(out, " [invalid number of sources]]");
            return CP_OK;
        }
        if (f->vflag == 1) {
            cp_puts(out, " {...}");
        } else {
            cp_put(out, " {", 2);
            for (size_t i = 0; i < nsrcs; i++) {
                cp_putc(out, ' ');
                cp_ip6(out, d + p + 28 + 16 * i);
            }
            cp_put(out, " }", 2);
        }
    }
    cp_putc(out, ']');
    return CP_OK;
}

/* fmt_icmp._nodeinfo: node information queries and replies (RFC 4620), as far as tcpdump 4.99.3 names them */
static int nodeinfo(cp_out *out, const u8 *d, size_t p, size_t length, size_t end, unsigned typ, unsigned code)
{
    if (typ == 140) {
        cp_puts(out, " node information reply");
        return CP_OK;
    }
    if ((p + length < end ? p + length : end) - p == 12) {
        cp_puts(out, " who-are-you request");  /* KAME's form */
        return CP_OK;
    }
    cp_puts(out, " node information query");
    if (p + 16 > end) {
        cp_puts(out, " [|icmp6]");  /* tcpdump's own marker here, and the line goes on */
        return CP_OK;
    }
    unsigned qtype = be16(d + p + 4), fl = be16(d + p + 6);
    int subject4 = code == 2 && length >= 20, subject6 = code == 0 && length >= 32;
    if (qtype != 0 && ((subject6 && p + 32 > end) || (subject4 && p + 20 > end)))
        return CP_PUNT;
    switch (qtype) {
    case 0:
        cp_puts(out, " (noop)");
        return CP_OK;
    case 1: cp_puts(out, " (supported qtypes"); break;
    case 2: cp_puts(out, " (DNS name"); break;
    case 3: {
        static const char letters[] = "TACLSG";
        cp_puts(out, " (node addresses");
        if (fl & 0x3F) {
            cp_put(out, " [", 2);
            for (int i = 0; i < 6; i++)
                if (fl & (1u << i))
                    cp_putc(out, letters[i]);
            cp_putc(out, ']');
        }
        break;
    }
    case 4: cp_puts(out, " (ipv4 addresses"); break;
    default: cp_puts(out, " (unknown"); break;
    }
    if (subject6) {
        cp_put(out, ", subject=", 10);
        cp_ip6(out, d + p + 16);
    } else if (subject4) {
        cp_put(out, ", subject=", 10);
        cp_ip4(out, d + p + 16);
    }
    cp_putc(out, ')');
    return CP_OK;
}

/* fmt_icmp.icmp6_print after the type's name: the type's own text */
static int icmp6_body(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, unsigned typ,
                      unsigned code)
{
    size_t q = p + 8;  /* an error's quoted packet */
    switch (typ) {
    case 1: {
        const char *name = unreach6_name(code);
        cp_put(out, ", ", 2);
        if (name)
            cp_puts(out, name);
        else
            cp_printf(out, "unknown unreach code (%u)", code);
        if (code == 0 || code == 1 || code == 3) {
            if (q + 40 > end)
                return CP_PUNT;
            cp_putc(out, ' ');
            cp_ip6(out, d + q + 24);
        } else if (code == 2) {
            if (q + 40 > end)
                return CP_PUNT;
            cp_putc(out, ' ');
            cp_ip6(out, d + q + 24);
            cp_put(out, ", source address ", 17);
            cp_ip6(out, d + q + 8);
        } else if (code == 4) {
            unsigned proto;
            size_t l4;
            if (upper_layer(d, q, end, &proto, &l4) != CP_OK || l4 + 4 > end)
                return CP_PUNT;
            cp_put(out, ", ", 2);
            cp_ip6(out, d + q + 24);
            if (l4_name(proto))
                cp_printf(out, " %s port %u", l4_name(proto), be16(d + l4 + 2));
            else
                cp_printf(out, " protocol %u port %u unreachable", proto, be16(d + l4 + 2));
        } else if (f->vflag <= 1) {
            unknown_data(out, d, p, p + length < end ? p + length : end, "\n\t");
            return CP_PLAIN;  /* (printed to the end: no length follows) */
        }
        return CP_OK;
    }
    case 2:
        if (p + 8 > end)
            return CP_PUNT;
        cp_printf(out, ", mtu %u", (unsigned)be32(d + p + 4));
        return CP_OK;
    case 3:
        if (code == 0) {
            if (q + 40 > end)
                return CP_PUNT;
            cp_put(out, " for ", 5);
            cp_ip6(out, d + q + 24);
        } else if (code == 1) {
            cp_puts(out, " (reassembly)");
        } else {
            cp_printf(out, ", unknown code (%u)", code);
        }
        return CP_OK;
    case 4: {
        if (q + 40 > end)
            return CP_PUNT;
        static const char *what[] = {"erroneous", "next header", "option", "incomplete header chain"};
        unsigned ptr = (unsigned)be32(d + p + 4);
        if (code < 4)
            cp_printf(out, ", %s - octet %u", what[code], ptr);
        else
            cp_printf(out, ", code-#%u", code);
        return CP_OK;
    }
    case 128:
    case 129:
        if (p + 8 > end)
            return CP_PUNT;
        cp_printf(out, ", id %u, seq %u", be16(d + p + 4), be16(d + p + 6));
        return CP_OK;
    case 130:
        if (length == 24)
            return mld(out, d, p, end);
        if (length >= 28) {
            cp_put(out, " v2", 3);
            return mldv2_query(f, out, d, p, length, end);
        }
        cp_printf(out, " unknown-version (len %zu) ", length);
        return CP_OK;
    case 131:
    case 132:
        return mld(out, d, p, end);
    case 133:
        return f->vflag ? nd_opts(f, out, d, p + 8, (long)length - 8, end) : CP_OK;
    case 134: {
        if (!f->vflag)
            return CP_OK;
        if (p + 16 > end)
            return CP_PUNT;
        static const char *pref[] = {"medium", "high", "rsv", "low"};
        unsigned fl = d[p + 5];
        cp_printf(out, "\n\thop limit %u, Flags [", d[p + 4]);
        const char *sep = "";
        if (!(fl & 0xE0))
            cp_put(out, "none", 4);
        if (fl & 0x80) { cp_printf(out, "%smanaged", sep); sep = ", "; }
        if (fl & 0x40) { cp_printf(out, "%sother stateful", sep); sep = ", "; }
        if (fl & 0x20) cp_printf(out, "%shome agent", sep);
        cp_printf(out, "], pref %s, router lifetime %us, reachable time %ums, retrans timer %ums", pref[(fl >> 3) & 3],
                  be16(d + p + 6), (unsigned)be32(d + p + 8), (unsigned)be32(d + p + 12));
        return nd_opts(f, out, d, p + 16, (long)length - 16, end);
    }
    case 135:
        if (p + 24 > end)
            return CP_PUNT;
        cp_put(out, ", who has ", 10);
        cp_ip6(out, d + p + 8);
        return f->vflag ? nd_opts(f, out, d, p + 24, (long)length - 24, end) : CP_OK;
    case 136: {
        if (p + 24 > end)
            return CP_PUNT;
        cp_put(out, ", tgt is ", 9);
        cp_ip6(out, d + p + 8);
        if (!f->vflag)
            return CP_OK;
        unsigned fl = d[p + 4];
        const char *sep = "";
        cp_put(out, ", Flags [", 9);
        if (!(fl & 0xE0))
            cp_put(out, "none", 4);
        if (fl & 0x80) { cp_printf(out, "%srouter", sep); sep = ", "; }
        if (fl & 0x40) { cp_printf(out, "%ssolicited", sep); sep = ", "; }
        if (fl & 0x20) cp_printf(out, "%soverride", sep);
        cp_putc(out, ']');
        return nd_opts(f, out, d, p + 24, (long)length - 24, end);
    }
    case 137:
        if (p + 40 > end)
            return CP_PUNT;
        cp_put(out, ", ", 2);
        cp_ip6(out, d + p + 24);
        cp_put(out, " to ", 4);
        cp_ip6(out, d + p + 8);
        return f->vflag ? nd_opts(f, out, d, p + 40, (long)length - 40, end) : CP_OK;
    case 141:
    case 142:
        return CP_OK;
    case 144:
    case 146:
        if (p + 6 > end)
            return CP_PUNT;
        cp_printf(out, ", id 0x%04x", be16(d + p + 4));
        return CP_OK;
    case 143:
        return mldv2_report(f, out, d, p, length, end);
    case 139:
    case 140:
        return nodeinfo(out, d, p, length, end, typ, code);
    default:
        cp_printf(out, ", length %zu", length);
        if (f->vflag <= 1)
            unknown_data(out, d, p, p + length < end ? p + length : end, "\n\t");
        return CP_PLAIN;
    }
}

int cp_icmp6_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, size_t ipoff,
                   int v6, int direct, int fragmented)
{
    if (length == 0) {
        cp_puts(out, "ICMP6, length 0 (invalid)");
        return CP_OK;
    }
    if (p + 2 > end)
        return CP_PUNT;
    unsigned typ = d[p], code = d[p + 1];
    if (f->vflag && !fragmented && p + length <= end) {
        /* the checksum with the pseudo header: addresses, the 32-bit length, next header 58 */
        uint32_t sum = 0;
        for (size_t i = ipoff + 8; i < ipoff + 40; i += 2)
            sum += be16(d + i);
        sum += (uint32_t)(length >> 16) + (uint32_t)(length & 0xFFFF) + 58;
        unsigned c = cp_cksum(d + p, length, sum);
        unsigned field = p + 4 <= end ? be16(d + p + 2) : 0;
        if (c)
            cp_printf(out, "[bad icmp6 cksum 0x%04x -> 0x%04x!] ", field, cp_shouldbe(field, c));
        else
            cp_put(out, "[icmp6 sum ok] ", 15);
    }
    const char *name = icmp6_type_name(typ);
    if (name) {
        cp_put(out, "ICMP6, ", 7);
        cp_puts(out, name);
    } else {
        cp_printf(out, "ICMP6, unknown icmp6 type (%u)", typ);
    }
    if (f->vflag && (typ == 133 || typ == 134 || typ == 135 || typ == 136 || typ == 137 || typ == 145 || typ == 147))
        cp_printf(out, ", length %zu", length);
    int r = icmp6_body(f, out, d, p, length, end, typ, code);
    if (r == CP_PLAIN)  /* the text ended with the type's own */
        return CP_OK;
    if (r != CP_OK)
        return CP_PUNT;
    if (!f->vflag)
        cp_printf(out, ", length %zu", length);
    return CP_OK;
}

/* ---------------------------------------------------------------- ARP */

static const char *arp_op_name(unsigned op)
{
    switch (op) {
    case 1: return "Request";
    case 2: return "Reply";
    case 3: return "Reverse Request";
    case 4: return "Reverse Reply";
    case 8: return "InvRequest";
    case 9: return "InvReply";
    default: return NULL;
    }
}

static const char *arp_hrd_name(unsigned hrd)
{
    switch (hrd) {
    case 1: return "Ethernet";
    case 6: return "TokenRing";
    case 15: return "FrameRelay";
    case 19: return "ATM";
    case 24: return "IEEE1394";
    case 32: return "InfiniBand";
    default: return NULL;
    }
}

static const char *arp_pro_name(unsigned pro)
{
    switch (pro) {
    case 0x0800: return "IPv4";
    case 0x86DD: return "IPv6";
    case 0x0806: return "ARP";
    default: return NULL;
    }
}

int cp_arp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end)
{
    if (p + 8 > end)
        return CP_PUNT;
    unsigned hrd = be16(d + p), pro = be16(d + p + 2), hln = d[p + 4], pln = d[p + 5], op = be16(d + p + 6);
    size_t sha = p + 8, spa = sha + hln, tha = spa + pln, tpa = tha + hln;
    if (tpa + pln > end)
        return CP_PUNT;
    const char *opname = arp_op_name(op);
    int plain = (pro == 0x0800 || pro == 0x1000) && pln == 4 && hln != 0 && !f->vflag;
    if (!opname && (plain || f->vflag))
        return CP_PUNT;  /* an unknown operation: a dump of the ARP bytes, as -x/-X want it */
    if (!f->eflag)
        cp_put(out, "ARP, ", 5);
    if (!plain) {
        const char *hname = arp_hrd_name(hrd), *pname = arp_pro_name(pro);
        if (hname)
            cp_puts(out, hname);
        else
            cp_printf(out, "Unknown Hardware (%u)", hrd);
        cp_printf(out, " (len %u), ", hln);
        if (pname)
            cp_puts(out, pname);
        else
            cp_printf(out, "Unknown Protocol (0x%04x)", pro);
        cp_printf(out, " (len %u)", pln);
        if (!f->vflag) {
            cp_put(out, ", length ", 9);
            cp_u(out, length);
            return CP_OK;
        }
        cp_put(out, ", ", 2);
    }
    cp_puts(out, opname);
    cp_putc(out, ' ');
    /* fmt_arp.arp_print's paddr */
    const char *bad = pro != 0x0800 ? "<wrong proto type>" : pln != 4 ? "<wrong len>" : NULL;
#define PADDR(q) do { if (bad) cp_puts(out, bad); else cp_ip4(out, d + (q)); } while (0)
    switch (op) {
    case 1: {
        cp_put(out, "who-has ", 8);
        PADDR(tpa);
        int any = 0;
        for (size_t i = 0; i < hln; i++)
            any |= d[tha + i];
        if (any) {
            cp_put(out, " (", 2);
            linkaddr(out, d + tha, hln);
            cp_putc(out, ')');
        }
        cp_put(out, " tell ", 6);
        PADDR(spa);
        break;
    }
    case 2:
        PADDR(spa);
        cp_put(out, " is-at ", 7);
        linkaddr(out, d + sha, hln);
        break;
    case 3:
    case 8:
        cp_put(out, "who-is ", 7);
        linkaddr(out, d + tha, hln);
        cp_put(out, " tell ", 6);
        linkaddr(out, d + sha, hln);
        break;
    case 4:
        linkaddr(out, d + tha, hln);
        cp_put(out, " at ", 4);
        PADDR(tpa);
        break;
    default: /* 9 */
        linkaddr(out, d + sha, hln);
        cp_put(out, " at ", 4);
        PADDR(spa);
        break;
    }
#undef PADDR
    cp_put(out, ", length ", 9);
    cp_u(out, length);
    return CP_OK;
}
