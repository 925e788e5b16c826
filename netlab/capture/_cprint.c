/*
 * netlab.capture._cprint: the module, the Printer type, the output buffer, and the
 * C twins of the link layers (fmt_link.py), IPv4 and IPv6 (fmt_ip.py), TCP and UDP
 * (fmt_tcp.py). See _cprint.h for the rules every printer here keeps.
 */
#include "_cprint.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define M32 0xFFFFFFFFu

static inline unsigned be16(const u8 *p) { return (unsigned)p[0] << 8 | p[1]; }
static inline uint32_t be32(const u8 *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* ---- the output buffer ---- */

static int grow(cp_out *o, size_t need)
{
    if (o->failed)
        return 0;
    if (o->len + need <= o->cap)
        return 1;
    size_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + need)
        cap *= 2;
    char *b = PyMem_Realloc(o->buf, cap);
    if (!b) {
        o->failed = 1;
        return 0;
    }
    o->buf = b;
    o->cap = cap;
    return 1;
}

void cp_put(cp_out *o, const char *s, size_t n)
{
    if (grow(o, n)) {
        memcpy(o->buf + o->len, s, n);
        o->len += n;
    }
}

void cp_puts(cp_out *o, const char *s) { cp_put(o, s, strlen(s)); }

void cp_putc(cp_out *o, char c)
{
    if (grow(o, 1))
        o->buf[o->len++] = c;
}

void cp_printf(cp_out *o, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        cp_put(o, small, (size_t)n);
        return;
    }
    if (!grow(o, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

void cp_u(cp_out *o, unsigned long long v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    cp_put(o, tmp + i, sizeof tmp - (size_t)i);
}

void cp_ip4(cp_out *o, const u8 *a)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            cp_putc(o, '.');
        cp_u(o, a[i]);
    }
}

void cp_ip6(cp_out *o, const u8 *a)
{
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, a, text, sizeof text))
        cp_puts(o, text);
    else
        o->failed = 1;
}

void cp_mac(cp_out *o, const u8 *a)
{
    static const char hex[] = "0123456789abcdef";
    char text[17];
    for (int i = 0; i < 6; i++) {
        text[i * 3] = hex[a[i] >> 4];
        text[i * 3 + 1] = hex[a[i] & 15];
        if (i < 5)
            text[i * 3 + 2] = ':';
    }
    cp_put(o, text, 17);
}

void cp_printjn(cp_out *o, const u8 *s, size_t n)
{
    size_t run = 0;  /* printable bytes go out in runs */
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c >= 0x20 && c <= 0x7E)
            continue;
        cp_put(o, (const char *)s + run, i - run);
        run = i + 1;
        if (c & 0x80) {  /* tcpdump's fn_print_char: M- for the high bit, then ^ for a control character */
            cp_put(o, "M-", 2);
            c &= 0x7F;
        }
        if (c < 0x20 || c == 0x7F) {
            cp_putc(o, '^');
            cp_putc(o, (char)(c ^ 0x40));
        } else {
            cp_putc(o, (char)c);
        }
    }
    cp_put(o, (const char *)s + run, n - run);
}

/* ---- checksums ---- */

static uint32_t sum16(const u8 *p, size_t n, uint32_t sum)
{
    while (n > 1) {
        sum += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

unsigned cp_cksum(const u8 *p, size_t n, uint32_t sum)
{
    sum = sum16(p, n, sum);
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return ~sum & 0xFFFF;
}

unsigned cp_shouldbe(unsigned field, unsigned computed)
{
    uint32_t s = field + computed;
    s = (s & 0xFFFF) + (s >> 16);
    s = (s & 0xFFFF) + (s >> 16);
    return s & 0xFFFF;
}

/* fmt_tcp._l4_cksum: the checksum of a segment with its pseudo header */
static unsigned l4_cksum(const u8 *d, size_t ipoff, int v6, size_t p, size_t length, unsigned proto)
{
    uint32_t sum;
    if (v6)
        sum = sum16(d + ipoff + 8, 32, 0);
    else
        sum = sum16(d + ipoff + 12, 8, 0);
    sum += (uint32_t)(length >> 16) + (uint32_t)(length & 0xFFFF) + proto;
    return cp_cksum(d + p, length, sum);
}

/* ---- names (the entries the printers here can meet; the Python tables have them all) ---- */

static const char *ipproto_name(unsigned proto)
{
    switch (proto) {
    case 0: return "Options"; case 1: return "ICMP"; case 2: return "IGMP"; case 4: return "IPIP";
    case 6: return "TCP"; case 8: return "EGP"; case 9: return "IGRP"; case 17: return "UDP";
    case 29: return "ISO-TP4"; case 33: return "DCCP"; case 41: return "IPv6"; case 43: return "Routing";
    case 44: return "Fragment"; case 46: return "RSVP"; case 47: return "GRE"; case 50: return "ESP";
    case 51: return "AH"; case 54: return "NHRP"; case 55: return "Mobile IP"; case 58: return "ICMPv6";
    case 77: return "ND"; case 88: return "EIGRP"; case 89: return "OSPF"; case 92: return "MTP";
    case 94: return "IPIP"; case 97: return "ETHERIP"; case 98: return "ENCAP"; case 103: return "PIM";
    case 108: return "Compressed IP"; case 112: return "VRRP"; case 113: return "PGM"; case 132: return "SCTP";
    case 135: return "Mobility"; case 136: return "UDPLite";
    default: return "unknown";
    }
}

static const char *ethertype_name(unsigned etype)
{
    switch (etype) {
    case 0x0800: return "IPv4"; case 0x86DD: return "IPv6"; case 0x0806: return "ARP";
    case 0x8100: return "802.1Q"; case 0x88A8: return "802.1Q-QinQ"; case 0x9100: return "802.1Q-9100";
    default: return NULL;
    }
}

static const char *FLAG_LETTERS = "FSRP.UEW";

static void tcp_flags(cp_out *o, unsigned flags)
{
    if (!flags) {
        cp_put(o, "none", 4);
        return;
    }
    for (int bit = 0; bit < 8; bit++)
        if (flags & (1u << bit))
            cp_putc(o, FLAG_LETTERS[bit]);
}

/* ---- TCP ---- */

/* fmt_tcp.conversation + relative_seq, read-only: the bases the segment is printed with
   and, in *store, whether (and what) relative_seq would record. The caller records them
   (commit_seq) only once the whole packet is printed. */
typedef struct {
    PyObject *key;        /* new reference, or NULL */
    int rev, store;
    uint32_t th[2];       /* the bases after the segment */
} seq_state;

static PyObject *conversation_key(const u8 *src, const u8 *dst, size_t alen, unsigned sport, unsigned dport, int *rev)
{
    *rev = sport > dport || (sport == dport && memcmp(src, dst, alen) > 0);
    const u8 *a = *rev ? dst : src, *b = *rev ? src : dst;
    unsigned long ports = *rev ? ((unsigned long)dport << 16 | sport) : ((unsigned long)sport << 16 | dport);
    return Py_BuildValue("(y#y#k)", (const char *)a, (Py_ssize_t)alen, (const char *)b, (Py_ssize_t)alen, ports);
}

static int relative_seq(cp_ctx *f, seq_state *st, const u8 *src, const u8 *dst, size_t alen, unsigned sport,
                        unsigned dport, int syn, uint32_t *seq, uint32_t *ack)
{
    st->key = conversation_key(src, dst, alen, sport, dport, &st->rev);
    if (!st->key)
        return CP_PUNT;
    PyObject *th = PyDict_GetItemWithError(f->tcp_seq, st->key);
    if (!th && PyErr_Occurred())
        return CP_PUNT;
    if (!th || syn) {
        st->store = 1;
        if (st->rev) {
            st->th[0] = (*ack - 1) & M32;
            st->th[1] = *seq;
        } else {
            st->th[0] = *seq;
            st->th[1] = (*ack - 1) & M32;
        }
        return CP_OK;
    }
    if (!PyList_Check(th) || PyList_GET_SIZE(th) != 2)
        return CP_PUNT;
    unsigned long a = PyLong_AsUnsignedLong(PyList_GET_ITEM(th, 0));
    unsigned long b = PyLong_AsUnsignedLong(PyList_GET_ITEM(th, 1));
    if (PyErr_Occurred())
        return CP_PUNT;
    st->th[0] = (uint32_t)a;
    st->th[1] = (uint32_t)b;
    if (st->rev) {
        *seq = (*seq - st->th[1]) & M32;
        *ack = (*ack - st->th[0]) & M32;
    } else {
        *seq = (*seq - st->th[0]) & M32;
        *ack = (*ack - st->th[1]) & M32;
    }
    return CP_OK;
}

static int commit_seq(cp_ctx *f, seq_state *st)
{
    if (!st->store)
        return CP_OK;
    PyObject *th = Py_BuildValue("[kk]", (unsigned long)st->th[0], (unsigned long)st->th[1]);
    if (!th)
        return CP_PUNT;
    int r = PyDict_SetItem(f->tcp_seq, st->key, th);
    Py_DECREF(th);
    return r < 0 ? CP_PUNT : CP_OK;
}

static void addr_ports(cp_out *out, const u8 *d, size_t ipoff, int v6, unsigned sport, unsigned dport)
{
    if (v6)
        cp_ip6(out, d + ipoff + 8);
    else
        cp_ip4(out, d + ipoff + 12);
    cp_putc(out, '.');
    cp_u(out, sport);
    cp_put(out, " > ", 3);
    if (v6)
        cp_ip6(out, d + ipoff + 24);
    else
        cp_ip4(out, d + ipoff + 16);
    cp_putc(out, '.');
    cp_u(out, dport);
    cp_put(out, ": ", 2);
}

/* fmt_tcp._tcp_options for the options most stacks send (mss, wscale, sackOK, sack, TS,
   nop, eol); anything else, a bad option or a truncated one punts. */
static int tcp_options(cp_out *out, const u8 *d, size_t p, long hlen, size_t end, int rev, const uint32_t th[2])
{
    if (hlen == 12 && p + 12 <= end && memcmp(d + p, "\x01\x01\x08\x0a", 4) == 0) {
        cp_put(out, ", options [nop,nop,TS val ", 26);
        cp_u(out, be32(d + p + 4));
        cp_put(out, " ecr ", 5);
        cp_u(out, be32(d + p + 8));
        cp_putc(out, ']');
        return CP_OK;
    }
    cp_put(out, ", options [", 11);
    int first = 1;
#define CHECK(n) do { if ((long)(n) > hlen) return CP_PUNT; if (p + (n) > end) return CP_PUNT; } while (0)
    while (hlen > 0) {
        if (!first)
            cp_putc(out, ',');
        if (p >= end)
            return CP_PUNT;
        unsigned opt = d[p++];
        unsigned olen;
        if (opt <= 1) {
            olen = 1;
        } else {
            if (p >= end)
                return CP_PUNT;
            olen = d[p++];
            if (olen < 2 || (long)olen > hlen)
                return CP_PUNT;
            hlen--;
        }
        hlen--;
        size_t datalen = 0;
        switch (opt) {
        case 0: cp_put(out, "eol", 3); break;
        case 1: cp_put(out, "nop", 3); break;
        case 2:
            cp_put(out, "mss ", 4);
            datalen = 2;
            CHECK(2);
            cp_u(out, be16(d + p));
            break;
        case 3:
            cp_put(out, "wscale ", 7);
            datalen = 1;
            CHECK(1);
            cp_u(out, d[p]);
            break;
        case 4: cp_put(out, "sackOK", 6); break;
        case 5:
            cp_put(out, "sack", 4);
            datalen = olen - 2;
            if (datalen % 8) {
                cp_puts(out, " invalid sack");
            } else {
                cp_putc(out, ' ');
                cp_u(out, datalen / 8);
                cp_putc(out, ' ');
                for (size_t i = 0; i < datalen; i += 8) {
                    CHECK(i + 8);
                    uint32_t s = be32(d + p + i), e = be32(d + p + i + 4);
                    uint32_t base = rev ? th[0] : th[1];
                    cp_putc(out, '{');
                    cp_u(out, (s - base) & M32);
                    cp_putc(out, ':');
                    cp_u(out, (e - base) & M32);
                    cp_putc(out, '}');
                }
            }
            break;
        case 8:
            cp_put(out, "TS val ", 7);
            datalen = 8;
            CHECK(8);
            cp_u(out, be32(d + p));
            cp_put(out, " ecr ", 5);
            cp_u(out, be32(d + p + 4));
            break;
        default:
            return CP_PUNT;
        }
        p += datalen;
        hlen -= (long)datalen;
        datalen += 1;
        if (opt > 1)
            datalen += 1;
        if (datalen != olen) {
            cp_put(out, "[len ", 5);
            cp_u(out, olen);
            cp_putc(out, ']');
        }
        first = 0;
        if (opt == 0)
            break;
    }
#undef CHECK
    cp_putc(out, ']');
    return CP_OK;
}

/* fmt_tcp.tcp_print, for a header right after the IP header (direct) */
static int tcp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, size_t ipoff,
                     int v6, int fragmented)
{
    if (p + 20 > end)
        return CP_PUNT;
    unsigned sport = be16(d + p), dport = be16(d + p + 2);
    uint32_t seq = be32(d + p + 4), ack = be32(d + p + 8);
    unsigned hlen = (unsigned)(d[p + 12] >> 4) << 2, flags = d[p + 13];
    unsigned win = be16(d + p + 14), csum = be16(d + p + 16), urp = be16(d + p + 18);
    if (hlen < 20 || hlen > length)
        return CP_PUNT;  /* the bad-header-length lines */
    size_t dlen = length - hlen;
    addr_ports(out, d, ipoff, v6, sport, dport);
    if (f->qflag) {
        cp_put(out, "tcp ", 4);
        cp_u(out, dlen);
        return CP_OK;
    }
    /* a payload an application printer decorates (HTTP, SSH, ...): its C twin, or the
       Python printers; and -v's [RST text] */
    int app = TAPP_NONE;
    if (dlen) {
        if (flags & 4 && f->vflag)
            return CP_PUNT;
        int app_s = f->tcp_app[sport], app_d = f->tcp_app[dport];
        if (app_s && app_d && app_s != app_d)
            return CP_PUNT;  /* (which one tcp_print asks first: the Python printer knows) */
        app = app_s ? app_s : app_d;
        if (app == TAPP_PYTHON)
            return CP_PUNT;
    }
    cp_put(out, "Flags [", 7);
    tcp_flags(out, flags);
    cp_putc(out, ']');
    seq_state st = {NULL, 0, 0, {0, 0}};
    int r = CP_OK;
    if (flags & 16 && !f->sflag) {
        size_t alen = v6 ? 16 : 4;
        const u8 *src = d + ipoff + (v6 ? 8 : 12);
        r = relative_seq(f, &st, src, src + alen, alen, sport, dport, flags & 2, &seq, &ack);
        if (r != CP_OK)
            goto done;
    }
    if (f->vflag && !fragmented && p + length <= end) {
        unsigned c = l4_cksum(d, ipoff, v6, p, length, 6);
        if (c)
            cp_printf(out, ", cksum 0x%04x (incorrect -> 0x%04x)", csum, cp_shouldbe(csum, c));
        else
            cp_printf(out, ", cksum 0x%04x (correct)", csum);
    }
    if (dlen > 0 || flags & 7 || f->vflag > 1) {
        cp_put(out, ", seq ", 6);
        cp_u(out, seq);
        if (dlen > 0) {
            cp_putc(out, ':');
            cp_u(out, (seq + dlen) & M32);
        }
    }
    if (flags & 16) {
        cp_put(out, ", ack ", 6);
        cp_u(out, ack);
    }
    cp_put(out, ", win ", 6);
    cp_u(out, win);
    if (flags & 32) {
        cp_put(out, ", urg ", 6);
        cp_u(out, urp);
    }
    if (hlen > 20) {
        r = tcp_options(out, d, p + 20, (long)hlen - 20, end, st.rev, st.th);
        if (r != CP_OK)
            goto done;
    }
    cp_put(out, ", length ", 9);
    cp_u(out, dlen);
    if (app)
        r = cp_tcp_app(f, out, app, d, p + hlen, dlen, end);
    if (r == CP_OK && flags & 16 && !f->sflag)
        r = commit_seq(f, &st);
done:
    Py_XDECREF(st.key);
    return r;
}

/* ---- UDP ---- */

static int udp_app(cp_ctx *f, int kind, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, size_t ulen,
                   int fragmented)
{
    switch (kind) {
    case APP_DNS: return cp_dns_udp(f, out, d, q, length, end, 0);
    case APP_MDNS: return cp_dns_udp(f, out, d, q, length, end, 1);
    case APP_NTP: return cp_ntp_print(f, out, d, q, length, end, ulen, fragmented);
    case APP_SYSLOG: return cp_syslog_print(f, out, d, q, length, end, ulen, fragmented);
    default: return CP_PUNT;
    }
}

/* fmt_tcp.udp_print, for a header right after the IP header (direct) */
static int udp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, size_t ipoff,
                     int v6, int fragmented)
{
    if (p + 8 > end || length < 8)
        return CP_PUNT;
    unsigned sport = be16(d + p), dport = be16(d + p + 2);
    size_t ulen = be16(d + p + 4);
    if (ulen < 8)
        return CP_PUNT;
    ulen -= 8;
    length -= 8;
    if (ulen < length)
        length = ulen;
    addr_ports(out, d, ipoff, v6, sport, dport);
    if (f->vflag && !fragmented) {
        unsigned usum = be16(d + p + 6);
        int check = 0;
        if (!v6 && f->vflag > 1) {
            if (usum == 0)
                cp_put(out, "[no cksum] ", 11);
            else
                check = p + 8 + length <= end;
        } else if (v6) {
            check = p + 8 + length <= end;
        }
        if (check) {
            unsigned c = l4_cksum(d, ipoff, v6, p, length + 8, 17);
            if (c)
                cp_printf(out, "[bad udp cksum 0x%04x -> 0x%04x!] ", usum, cp_shouldbe(usum, c));
            else
                cp_put(out, "[udp sum ok] ", 13);
        }
    }
    if (!f->qflag) {
        int kind = f->udp_app[sport] ? f->udp_app[sport] : f->udp_app[dport];
        if (f->udp_app[sport] && f->udp_app[dport] && f->udp_app[sport] != f->udp_app[dport])
            return CP_PUNT;  /* (which one udp_print asks first: the Python printer knows) */
        if (kind) {
            int r = udp_app(f, kind, out, d, p + 8, length, end, ulen, fragmented);
            if (r != CP_PLAIN)
                return r;
        }
    }
    if (ulen > length && !fragmented) {
        cp_put(out, "UDP, bad length ", 16);
        cp_u(out, ulen);
        cp_put(out, " > ", 3);
        cp_u(out, length);
    } else {
        cp_put(out, "UDP, length ", 12);
        cp_u(out, ulen);
    }
    return CP_OK;
}

/* ---- IPv4, IPv6 ---- */

static void addrs4(cp_out *out, const u8 *d, size_t off)
{
    cp_ip4(out, d + off + 12);
    cp_put(out, " > ", 3);
    cp_ip4(out, d + off + 16);
    cp_put(out, ": ", 2);
}

static void ip4_verbose(cp_out *out, const u8 *d, size_t off, unsigned hlen, size_t end)
{
    unsigned tos = d[off + 1], tlen = be16(d + off + 2), ipid = be16(d + off + 4), foff = be16(d + off + 6);
    unsigned ttl = d[off + 8], proto = d[off + 9];
    static const char *ecn[] = {"", ",ECT(1)", ",ECT(0)", ",CE"};
    static const char *frag[] = {"none", "+", "DF", "+, DF", "rsvd", "+, rsvd", "DF, rsvd", "+, DF, rsvd"};
    cp_printf(out, "(tos 0x%x%s", tos, ecn[tos & 3]);
    if (ttl >= 1)
        cp_printf(out, ", ttl %u", ttl);
    cp_printf(out, ", id %u, offset %u, flags [%s], proto %s (%u), length %u", ipid, (foff & 0x1FFF) * 8,
              frag[foff >> 13], ipproto_name(proto), proto, tlen);
    if (off + hlen <= end) {
        unsigned field = be16(d + off + 10), c = cp_cksum(d + off, hlen, 0);
        if (c)
            cp_printf(out, ", bad cksum %x (->%x)!", field, cp_shouldbe(field, c));
    }
    cp_put(out, ")\n    ", 6);
}

int cp_ip4_print(cp_ctx *f, cp_out *out, const u8 *d, size_t off, size_t length, size_t end)
{
    if (end <= off || end - off < 20 || d[off] >> 4 != 4)
        return CP_PUNT;
    unsigned hlen = (d[off] & 15) * 4, tlen = be16(d + off + 2), foff = be16(d + off + 6), proto = d[off + 9];
    if (length < 20 || hlen < 20 || tlen < hlen || length < tlen)
        return CP_PUNT;  /* truncated-ip, bad-hlen, bad-len, bytes missing */
    if (hlen > 20 && f->vflag)
        return CP_PUNT;  /* -v prints the options */
    if (!f->eflag)
        cp_put(out, "IP ", 3);
    if (off + tlen < end)  /* the padding after the datagram is not its payload */
        end = off + tlen;
    length = tlen;
    if (f->vflag)
        ip4_verbose(out, d, off, hlen, end);
    if (foff & 0x1FFF) {  /* a later fragment */
        cp_ip4(out, d + off + 12);
        cp_put(out, " > ", 3);
        cp_ip4(out, d + off + 16);
        cp_put(out, ": ip-proto-", 11);
        cp_u(out, proto);
        return CP_OK;
    }
    size_t l4 = off + hlen;
    if (l4 > end)
        return CP_PUNT;
    int fragmented = (foff & 0x2000) != 0;
    switch (proto) {
    case 6: return tcp_print(f, out, d, l4, length - hlen, end, off, 0, fragmented);
    case 17: return udp_print(f, out, d, l4, length - hlen, end, off, 0, fragmented);
    case 1:
        addrs4(out, d, off);
        return cp_icmp_print(f, out, d, l4, length - hlen, end, off, 0, 0, fragmented);
    default: return CP_PUNT;
    }
}

int cp_ip6_print(cp_ctx *f, cp_out *out, const u8 *d, size_t off, size_t length, size_t end)
{
    if (end < off + 40 || length < 40)
        return CP_PUNT;
    uint32_t flow = be32(d + off);
    unsigned plen = be16(d + off + 4), nxt = d[off + 6], hlim = d[off + 7];
    if (flow >> 28 != 6 || plen == 0 || length < plen + 40u)
        return CP_PUNT;
    if (nxt != 6 && nxt != 17 && nxt != 58)
        return CP_PUNT;  /* extension headers and other protocols: the Python printers */
    if (!f->eflag)
        cp_put(out, "IP6 ", 4);
    if (off + plen + 40 < end)
        end = off + plen + 40;
    if (f->vflag) {
        uint32_t fl = flow & 0x0FFFFFFF;
        cp_putc(out, '(');
        if (fl & 0x0FF00000)
            cp_printf(out, "class 0x%02x, ", (fl & 0x0FF00000) >> 20);
        if (fl & 0x000FFFFF)
            cp_printf(out, "flowlabel 0x%05x, ", fl & 0x000FFFFF);
        cp_printf(out, "hlim %u, next-header %s (%u) payload length: %u) ", hlim, ipproto_name(nxt), nxt, plen);
    }
    size_t p = off + 40;
    if (nxt == 6)
        return tcp_print(f, out, d, p, plen, end, off, 1, 0);
    if (nxt == 17)
        return udp_print(f, out, d, p, plen, end, off, 1, 0);
    cp_ip6(out, d + off + 8);
    cp_put(out, " > ", 3);
    cp_ip6(out, d + off + 24);
    cp_put(out, ": ", 2);
    return cp_icmp6_print(f, out, d, p, plen, end, off, 1, 0, 0);
}

/* ---- link layers (fmt_link.py) ---- */

enum { LINK_ETHER = 1, LINK_SLL = 2, LINK_RAW = 3 };

static int ethertype_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, unsigned etype, size_t length, size_t end)
{
    switch (etype) {
    case 0x0800: return cp_ip4_print(f, out, d, p, length, end);
    case 0x86DD: return cp_ip6_print(f, out, d, p, length, end);
    case 0x0806: return cp_arp_print(f, out, d, p, length, end);
    default: return CP_PUNT;
    }
}

/* fmt_link._type_text, for the types printed here */
static void type_text(cp_ctx *f, cp_out *out, unsigned etype)
{
    const char *name = ethertype_name(etype);
    if (f->qflag)
        cp_puts(out, name);
    else
        cp_printf(out, "ethertype %s (0x%04x)", name, etype);
}

static void vlan_text(cp_out *out, unsigned tci)
{
    cp_printf(out, "vlan %u, p %u%s, ", tci & 0xFFF, tci >> 13, tci & 0x1000 ? ", DEI" : "");
}

static int is_vlan(unsigned etype) { return etype == 0x8100 || etype == 0x88A8 || etype == 0x9100; }

static int ether_print(cp_ctx *f, cp_out *out, const u8 *d, size_t length, size_t caplen)
{
    if (caplen < 14 || length < 14)
        return CP_PUNT;
    unsigned etype = be16(d + 12);
    if (etype == 0x0800 && !f->eflag) {
        f->hdrlen = 14;
        return cp_ip4_print(f, out, d, 14, length - 14, caplen);
    }
    /* every type this can meet has a name: the others are the Python printers' */
    size_t p = 14;
    while (is_vlan(etype) && caplen >= p + 4) {
        etype = be16(d + p + 2);
        p += 4;
    }
    if (!ethertype_name(etype) || is_vlan(etype) || length < p)
        return CP_PUNT;
    etype = be16(d + 12);
    p = 14;
    if (f->eflag) {
        cp_mac(out, d + 6);
        cp_put(out, " > ", 3);
        cp_mac(out, d);
        cp_put(out, ", ", 2);
        type_text(f, out, etype);
        cp_put(out, ", length ", 9);
        cp_u(out, length);
        cp_put(out, ": ", 2);
    }
    while (is_vlan(etype)) {
        if (f->eflag && p > 14) {
            type_text(f, out, etype);
            cp_put(out, ", ", 2);
        }
        unsigned tci = be16(d + p);
        etype = be16(d + p + 2);
        if (f->eflag)
            vlan_text(out, tci);
        p += 4;
    }
    if (f->eflag && p > 14) {
        type_text(f, out, etype);
        cp_put(out, ", ", 2);
    }
    f->hdrlen = p;
    return ethertype_print(f, out, d, p, etype, length - p, caplen);
}

static int sll_print(cp_ctx *f, cp_out *out, const u8 *d, size_t length, size_t caplen)
{
    static const char *pkttypes[] = {" In", "  B", "  M", "  P", "Out"};
    if (caplen < 16 || length < 16)
        return CP_PUNT;
    unsigned pkttype = be16(d), halen = be16(d + 4), etype = be16(d + 14);
    if (pkttype > 4 || !ethertype_name(etype) || is_vlan(etype))
        return CP_PUNT;  /* (a tag: the Python printer) */
    f->hdrlen = 16;
    if (f->eflag) {
        cp_puts(out, pkttypes[pkttype]);
        cp_putc(out, ' ');
        if (halen == 6) {
            cp_mac(out, d + 6);
            cp_putc(out, ' ');
        }
        if (!f->qflag) {
            cp_printf(out, "ethertype %s (0x%04x)", ethertype_name(etype), etype);
            cp_put(out, ", length ", 9);
            cp_u(out, length);
            cp_put(out, ": ", 2);
        }
    }
    return ethertype_print(f, out, d, 16, etype, length - 16, caplen);
}

static int raw_print(cp_ctx *f, cp_out *out, const u8 *d, size_t length, size_t caplen)
{
    f->hdrlen = 0;
    if (!caplen || length < 1)
        return CP_PUNT;
    if (f->eflag)
        cp_put(out, "ip: ", 4);
    switch (d[0] & 0xF0) {
    case 0x40: return cp_ip4_print(f, out, d, 0, length, caplen);
    case 0x60: return cp_ip6_print(f, out, d, 0, length, caplen);
    default: return CP_PUNT;
    }
}

/* ---- the Printer type ---- */

typedef struct {
    PyObject_HEAD
    cp_ctx ctx;
    int link;
    int nano;  /* the fraction is in nanoseconds */
    char dump;        /* lines()' dump after each line: 0, 'x', 'X' or 'A' (hexdump.py) */
    int dump_whole;   /* -xx/-XX/-AA: the whole frame, not what follows the link header */
    cp_out out;
} Printer;

static int Printer_init(Printer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"link", "vflag", "qflag", "eflag", "nano", "tcp_seq", "udp_app", "tcp_app", "dump", "sflag",
                             NULL};
    PyObject *tcp_seq;
    Py_buffer udp, tcp;
    const char *dump = "";
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iiiipO!y*y*|sp", kwlist, &self->link, &self->ctx.vflag,
                                     &self->ctx.qflag, &self->ctx.eflag, &self->nano, &PyDict_Type, &tcp_seq, &udp, &tcp,
                                     &dump, &self->ctx.sflag))
        return -1;
    size_t dump_len = strlen(dump);
    if (dump_len > 2 || (dump_len && (!strchr("xXA", dump[0]) || (dump_len == 2 && dump[1] != dump[0])))) {
        PyBuffer_Release(&udp);
        PyBuffer_Release(&tcp);
        PyErr_SetString(PyExc_ValueError, "dump: '', x, xx, X, XX, A or AA");
        return -1;
    }
    self->dump = dump[0];
    self->dump_whole = dump_len == 2;
    int ok = udp.len == 65536 && tcp.len == 65536;
    if (ok) {
        memcpy(self->ctx.udp_app, udp.buf, 65536);
        memcpy(self->ctx.tcp_app, tcp.buf, 65536);
    }
    PyBuffer_Release(&udp);
    PyBuffer_Release(&tcp);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "udp_app and tcp_app are 65536 bytes, one per port");
        return -1;
    }
    if (self->link < LINK_ETHER || self->link > LINK_RAW) {
        PyErr_SetString(PyExc_ValueError, "link: 1 Ethernet, 2 Linux cooked, 3 raw IP");
        return -1;
    }
    Py_INCREF(tcp_seq);
    Py_XSETREF(self->ctx.tcp_seq, tcp_seq);
    return 0;
}

static void Printer_dealloc(Printer *self)
{
    Py_XDECREF(self->ctx.tcp_seq);
    PyMem_Free(self->out.buf);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The stamp's fraction: ".%06u " (or %09u with nano), as the Python printers print it. */
static void put_fraction(cp_out *out, long frac, int nano)
{
    char tmp[12];
    int digits = nano ? 9 : 6;
    if (frac < 0 || frac >= (nano ? 1000000000L : 1000000L)) {  /* all its digits, as %06u does */
        cp_printf(out, ".%0*ld ", digits, frac);
        return;
    }
    tmp[0] = '.';
    for (int i = digits; i > 0; i--) {
        tmp[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    tmp[digits + 1] = ' ';
    cp_put(out, tmp, (size_t)digits + 2);
}

/* One packet's text after whatever `out` holds; CP_OK, or CP_PUNT with `out` to be cut back. */
static int print_packet(Printer *self, cp_out *out, const u8 *d, size_t caplen, size_t length)
{
    int r;
    switch (self->link) {
    case LINK_ETHER: r = ether_print(&self->ctx, out, d, length, caplen); break;
    case LINK_SLL: r = sll_print(&self->ctx, out, d, length, caplen); break;
    default: r = raw_print(&self->ctx, out, d, length, caplen); break;
    }
    if (PyErr_Occurred())  /* (a failed allocation inside a printer: punted) */
        PyErr_Clear();
    return r == CP_OK && !out->failed ? CP_OK : CP_PUNT;
}

static PyObject *Printer_line(Printer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyBytes_Check(args[0]) || !PyUnicode_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "line(data: bytes, length: int, stamp: str, frac: int)");
        return NULL;
    }
    Py_ssize_t caplen = PyBytes_GET_SIZE(args[0]);
    const u8 *d = (const u8 *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t length = PyLong_AsSsize_t(args[1]);
    long frac = PyLong_AsLong(args[3]);
    if (PyErr_Occurred())
        return NULL;
    Py_ssize_t stamp_len;
    const char *stamp = PyUnicode_AsUTF8AndSize(args[2], &stamp_len);
    if (!stamp)
        return NULL;
    if (length < caplen || length <= 0)
        Py_RETURN_NONE;
    cp_out *out = &self->out;
    out->len = 0;
    out->failed = 0;
    cp_put(out, stamp, (size_t)stamp_len);
    if (frac >= 0)  /* the stamp is the seconds' text: ".frac " follows */
        put_fraction(out, frac, self->nano);
    if (print_packet(self, out, d, (size_t)caplen, (size_t)length) != CP_OK)
        Py_RETURN_NONE;
    return PyUnicode_DecodeLatin1(out->buf, (Py_ssize_t)out->len, NULL);
}

#define MAXIMUM_SNAPLEN 262144  /* decode.MAXIMUM_SNAPLEN */

/* hexdump.hex_lines: "\n\t0x0010:  4500 0054 ..." per 16 bytes, with -X the printable bytes
   in a column after the hex padded to 39 characters */
static void hex_lines(cp_out *out, const u8 *p, size_t n, int ascii_column)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t off = 0; off < n; off += 16) {
        char line[96];
        size_t k = (size_t)snprintf(line, sizeof line, "\n\t0x%04zx:  ", off);
        size_t stop = n - off < 16 ? n - off : 16;
        for (size_t i = 0; i < stop; i++) {
            if (i && !(i & 1))
                line[k++] = ' ';
            line[k++] = hex[p[off + i] >> 4];
            line[k++] = hex[p[off + i] & 15];
        }
        if (ascii_column) {
            size_t width = stop * 2 + (stop - 1) / 2;  /* what the hex took of its 39 columns */
            memset(line + k, ' ', 39 - width + 2);
            k += 39 - width + 2;
            for (size_t i = 0; i < stop; i++) {
                u8 c = p[off + i];
                line[k++] = c >= 0x21 && c <= 0x7E ? (char)c : '.';
            }
        }
        cp_put(out, line, k);
    }
}

/* hexdump.ascii_text: printable bytes, tab, newline and space as they are, others '.'; a CR
   shows (as '.') only with two more bytes after it, the next not a LF */
static void ascii_text(cp_out *out, const u8 *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        u8 c = p[i];
        if (c == 13) {
            if (n - i - 1 > 1 && p[i + 1] != 10)
                cp_putc(out, '.');
        } else {
            cp_putc(out, (c >= 0x21 && c <= 0x7E) || c == 9 || c == 10 || c == 32 ? (char)c : '.');
        }
    }
}

/* hexdump.dump: what -x/-X/-A append to a packet's line */
static void dump_packet(Printer *self, cp_out *out, const u8 *d, size_t caplen)
{
    size_t skip = self->dump_whole ? 0 : self->ctx.hdrlen;
    if (skip >= caplen)
        return;
    if (self->dump == 'A') {
        cp_putc(out, '\n');
        ascii_text(out, d + skip, caplen - skip);
    } else {
        hex_lines(out, d + skip, caplen - skip, self->dump == 'X');
    }
}

/* lines(batch, stamp_of, general): Formatter._common_format's loop over a whole batch, in C.
   For each (ts_sec, ts_frac, caplen, length, data): the stamp's seconds' text from
   stamp_of(ts_sec) (asked once per second; None: a stamp it cannot convert), then the
   packet's line; every packet the C printer does not print (a bad record header, a
   stamp that did not convert, a punt) is general(*packet)'s text. Each line ends in \n. */
static PyObject *Printer_lines(Printer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "lines(batch: list, stamp_of, general)");
        return NULL;
    }
    PyObject *batch = args[0], *stamp_of = args[1], *general = args[2];
    /* its own buffer: general() may call line(), which writes self->out */
    cp_out batch_out = {NULL, 0, 0, 0}, *out = &batch_out;
    PyObject *stamp = NULL;  /* the seconds' text of stamp_sec */
    long long stamp_sec = 0;
    const char *stamp_text = NULL;
    Py_ssize_t stamp_len = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(batch); i++) {
        PyObject *packet = PyList_GET_ITEM(batch, i);
        if (!PyTuple_Check(packet) || PyTuple_GET_SIZE(packet) != 5 || !PyBytes_Check(PyTuple_GET_ITEM(packet, 4))) {
            PyErr_SetString(PyExc_TypeError, "a packet is (ts_sec, ts_frac, caplen, length, data)");
            goto fail;
        }
        long long sec = PyLong_AsLongLong(PyTuple_GET_ITEM(packet, 0));
        long frac = PyLong_AsLong(PyTuple_GET_ITEM(packet, 1));
        Py_ssize_t caplen = PyLong_AsSsize_t(PyTuple_GET_ITEM(packet, 2));
        Py_ssize_t length = PyLong_AsSsize_t(PyTuple_GET_ITEM(packet, 3));
        if (PyErr_Occurred())
            goto fail;
        PyObject *data = PyTuple_GET_ITEM(packet, 4);
        size_t mark = out->len;
        int printed = 0;
        if (caplen > 0 && caplen <= length && length <= MAXIMUM_SNAPLEN && PyBytes_GET_SIZE(data) == caplen) {
            if (!stamp || sec != stamp_sec) {
                Py_XDECREF(stamp);
                stamp = PyObject_CallOneArg(stamp_of, PyTuple_GET_ITEM(packet, 0));
                if (!stamp)
                    goto fail;
                stamp_sec = sec;
                stamp_text = NULL;
                if (PyUnicode_Check(stamp) && !(stamp_text = PyUnicode_AsUTF8AndSize(stamp, &stamp_len)))
                    goto fail;
            }
            if (stamp_text) {
                cp_put(out, stamp_text, (size_t)stamp_len);
                put_fraction(out, frac, self->nano);
                const u8 *d = (const u8 *)PyBytes_AS_STRING(data);
                printed = print_packet(self, out, d, (size_t)caplen, (size_t)length) == CP_OK;
                if (printed && self->dump)
                    dump_packet(self, out, d, (size_t)caplen);
            }
        }
        if (!printed) {
            out->len = mark;
            out->failed = 0;
            PyObject *text = PyObject_Call(general, packet, NULL);
            if (!text)
                goto fail;
            Py_ssize_t n;
            const char *t = PyUnicode_Check(text) ? PyUnicode_AsUTF8AndSize(text, &n) : NULL;
            if (!t) {
                Py_DECREF(text);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "general() returns str");
                goto fail;
            }
            cp_put(out, t, (size_t)n);
            Py_DECREF(text);
        }
        cp_putc(out, '\n');
        if (out->failed) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    Py_XDECREF(stamp);
    /* UTF-8: a general() line may hold any character (the C printers print ASCII only) */
    PyObject *text = PyUnicode_DecodeUTF8(out->buf ? out->buf : "", (Py_ssize_t)out->len, NULL);
    PyMem_Free(out->buf);
    return text;
fail:
    Py_XDECREF(stamp);
    PyMem_Free(out->buf);
    return NULL;
}

static PyObject *Printer_hdrlen(Printer *self, void *closure) { return PyLong_FromSize_t(self->ctx.hdrlen); }

static PyMethodDef Printer_methods[] = {
    {"line", (PyCFunction)(void (*)(void))Printer_line, METH_FASTCALL,
     "line(data, length, stamp, frac) -> str or None: stamp (then .frac and a space when frac >= 0) and the "
     "packet's text as the Python printers print it, or None where they must print it."},
    {"lines", (PyCFunction)(void (*)(void))Printer_lines, METH_FASTCALL,
     "lines(batch, stamp_of, general) -> str: every packet's line, each ending in a newline (see _cprint.c)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Printer_getset[] = {
    {"hdrlen", (getter)Printer_hdrlen, NULL, "the link-layer header length of the last packet printed", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject PrinterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "netlab.capture._cprint.Printer",
    .tp_basicsize = sizeof(Printer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Printer(link, vflag, qflag, eflag, nano, tcp_seq, udp_app, tcp_app): tcpdump's lines in C (see _cprint.h).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Printer_init,
    .tp_dealloc = (destructor)Printer_dealloc,
    .tp_methods = Printer_methods,
    .tp_getset = Printer_getset,
};

static PyMethodDef module_methods[] = {
    {"records", cp_records, METH_VARARGS,
     "records(buffer, pos, big_endian, limit, most) -> (packets, pos): classic pcap records, in C."},
    {"count", cp_count, METH_VARARGS,
     "count(buffer, at, stop, big_endian, max_caplen, snaplen, program=None, threads=1) -> (records, matched, at)."},
    {"scan", cp_scan, METH_VARARGS,
     "scan(buffer, at, stop, big_endian, max_caplen, snaplen, program, threads=1) -> (hits, records, at)."},
    {"take", cp_take, METH_VARARGS,
     "take(buffer, base, hits, first, last, big_endian, snaplen) -> packets: scan's hits as packets."},
    {"bpf_library", cp_bpf_library, METH_VARARGS, "bpf_library(path) -> bool: libpcap's bpf_filter from path."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_cprint", "tcpdump's lines for the commonest packets, in C (see _cprint.h).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__cprint(void)
{
    if (PyType_Ready(&PrinterType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    Py_INCREF(&PrinterType);
    if (PyModule_AddObject(m, "Printer", (PyObject *)&PrinterType) < 0) {
        Py_DECREF(&PrinterType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "LINK_ETHER", LINK_ETHER) || PyModule_AddIntConstant(m, "LINK_SLL", LINK_SLL) ||
        PyModule_AddIntConstant(m, "LINK_RAW", LINK_RAW) || PyModule_AddIntConstant(m, "APP_PYTHON", APP_PYTHON) ||
        PyModule_AddIntConstant(m, "APP_DNS", APP_DNS) || PyModule_AddIntConstant(m, "APP_MDNS", APP_MDNS) ||
        PyModule_AddIntConstant(m, "APP_NTP", APP_NTP) || PyModule_AddIntConstant(m, "APP_SYSLOG", APP_SYSLOG) ||
        PyModule_AddIntConstant(m, "TAPP_PYTHON", TAPP_PYTHON) || PyModule_AddIntConstant(m, "TAPP_HTTP", TAPP_HTTP) ||
        PyModule_AddIntConstant(m, "TAPP_SSH", TAPP_SSH) || PyModule_AddIntConstant(m, "TAPP_RESP", TAPP_RESP) ||
        PyModule_AddIntConstant(m, "TAPP_FTP", TAPP_FTP) || PyModule_AddIntConstant(m, "TAPP_RTSP", TAPP_RTSP) ||
        PyModule_AddIntConstant(m, "TAPP_SMTP", TAPP_SMTP) || PyModule_AddIntConstant(m, "TAPP_WHOIS", TAPP_WHOIS)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
