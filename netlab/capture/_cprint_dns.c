/*
 * DNS as tcpdump prints it: the C twin of fmt_dns.domain_print and _message (see _cprint.h),
 * as fmt_app._dns_udp (port 53) and _mdns_udp (5353) call them.
 *
 * It prints the messages most traffic is made of and punts on the rest, so that the
 * Python printer stays the one source of truth for the odd ones. Besides, where the
 * Python printer and tcpdump 4.99.3 part ways, it punts, so that a fix to fmt_dns cannot
 * leave it printing the old line (test_cprint_dns.py compares it with tcpdump too).
 * It punts on:
 * - any read past the captured bytes (`end`), and any record whose data runs past
 *   them: the Python printer's " [|domain]" and its quiet stops are its own;
 * - a compression pointer that does not point back before the name it is read from
 *   (tcpdump's "<BAD PTR>"), a name that is only a pointer to the root, a name near
 *   255 bytes (tcpdump's "<DOMAIN NAME TOO LONG>"), a label type other than a plain
 *   label or a pointer;
 * - a record type whose data is not printed below, a question type not named below,
 *   a class other than IN;
 * - an EDNS OPT record with options, a version or an extended rcode (tcpdump adds
 *   that one to an answer's rcode: it is looked for before the rcode is printed);
 * - a TXT string past its record's data, or with a byte outside 0x20-0x7e (tcpdump
 *   escapes them, the Python printer prints them raw);
 * - an answer with two questions or more below -vv (tcpdump's comma after " [2q]"),
 *   a query's answers at -vv (tcpdump prints no " an:");
 * - a message shorter than its 12-byte header.
 */
#include "_cprint.h"

static inline unsigned be16(const u8 *p) { return (unsigned)p[0] << 8 | p[1]; }
static inline uint32_t be32(const u8 *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* One message: the frame, where the message starts (compression pointers count from
   there), where the captured bytes stop, and how to print it. */
typedef struct {
    const u8 *d;
    size_t base, end;
    int vflag, mdns;
} dns_msg;

/* fmt_dns.TYPES, for the types printed here: a question's type is only named, a
   record's data is printed for the ones rdata_print knows. NULL: punt. */
static const char *type_name(unsigned typ)
{
    switch (typ) {
    case 1: return "A"; case 2: return "NS"; case 5: return "CNAME"; case 6: return "SOA";
    case 12: return "PTR"; case 13: return "HINFO"; case 15: return "MX"; case 16: return "TXT";
    case 28: return "AAAA"; case 33: return "SRV"; case 35: return "NAPTR"; case 39: return "DNAME";
    case 41: return "OPT"; case 43: return "DS"; case 46: return "RRSIG"; case 47: return "NSEC";
    case 48: return "DNSKEY"; case 252: return "AXFR"; case 255: return "ANY";
    default: return NULL;
    }
}

/* fmt_dns._name: prints the (possibly compressed) name at p; *after: the index after
   it in place. CP_PUNT for what the Python printer calls a truncation, for a pointer
   that does not point back before the labels it is met in, and for a name near
   tcpdump's limit (its labels and their length bytes 256 or more: it prints
   "<DOMAIN NAME TOO LONG>" there). */
static int name_print(const dns_msg *m, cp_out *out, size_t p, size_t *after)
{
    const u8 *d = m->d;
    size_t end = m->end, limit = p;  /* a pointer must point before `limit` */
    int jumped = 0, labels = 0;
    size_t chars = 0;
    for (;;) {
        if (p >= end)
            return CP_PUNT;
        unsigned n = d[p];
        if ((n & 0xC0) == 0xC0) {
            if (p + 1 >= end)
                return CP_PUNT;
            if (!jumped)
                *after = p + 2;
            jumped = 1;
            size_t target = m->base + ((n & 0x3F) << 8 | d[p + 1]);
            if (target >= limit)
                return CP_PUNT;
            p = limit = target;
            continue;
        }
        if (n & 0xC0)
            return CP_PUNT;
        if (n == 0) {
            if (!jumped)
                *after = p + 1;
            break;
        }
        chars += 1 + n;
        if (p + 1 + n > end || chars >= 250)
            return CP_PUNT;
        cp_printjn(out, d + p + 1, n);
        cp_putc(out, '.');
        labels++;
        p += 1 + n;
    }
    if (!labels) {
        if (jumped)
            return CP_PUNT;  /* (a pointer to the root: tcpdump prints nothing, the Python printer ".") */
        cp_putc(out, '.');
    }
    return CP_OK;
}

/* fmt_dns._skip (tcpdump's ns_nskip), with every byte it passes captured: the index
   after the name, or 0 to punt. */
static size_t skip_name(const dns_msg *m, size_t p)
{
    for (;;) {
        if (p >= m->end)
            return 0;
        unsigned n = m->d[p];
        if ((n & 0xC0) == 0xC0)
            return p + 2 <= m->end ? p + 2 : 0;
        if (n & 0xC0)
            return 0;
        if (n == 0)
            return p + 1;
        p += 1 + n;
    }
}

/* fmt_dns._relts (tcpdump's unsigned_relts_print) */
static void relts(cp_out *out, uint32_t secs)
{
    static const struct { char unit; uint32_t n; } units[] = {
        {'y', 31536000}, {'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    if (!secs) {
        cp_put(out, "0s", 2);
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (secs >= units[i].n) {
            cp_u(out, secs / units[i].n);
            cp_putc(out, units[i].unit);
            secs %= units[i].n;
        }
}

/* The data of a record of type typ at p (rdlen bytes, all captured), as fmt_dns._rr prints it. */
static int rdata_print(const dns_msg *m, cp_out *out, unsigned typ, unsigned cls, uint32_t ttl, size_t p, size_t rdlen)
{
    const u8 *d = m->d;
    size_t after;
    switch (typ) {
    case 1:
        if (p + 4 > m->end)
            return CP_PUNT;
        cp_putc(out, ' ');
        cp_ip4(out, d + p);
        return CP_OK;
    case 28:
        if (p + 16 > m->end)
            return CP_PUNT;
        cp_putc(out, ' ');
        cp_ip6(out, d + p);
        return CP_OK;
    case 2: case 5: case 12: case 39:
        cp_putc(out, ' ');
        return name_print(m, out, p, &after);
    case 15:
        cp_putc(out, ' ');
        if (name_print(m, out, p + 2, &after) != CP_OK)
            return CP_PUNT;
        cp_putc(out, ' ');
        cp_u(out, be16(d + p));
        return CP_OK;
    case 33:
        cp_putc(out, ' ');
        if (name_print(m, out, p + 6, &after) != CP_OK)
            return CP_PUNT;
        cp_printf(out, ":%u %u %u", be16(d + p + 4), be16(d + p), be16(d + p + 2));
        return CP_OK;
    case 16:
        for (size_t q = p; q < p + rdlen;) {
            size_t n = d[q];
            if (q + 1 + n > p + rdlen)
                return CP_PUNT;  /* (a string past the record's data: tcpdump's [|domain]) */
            for (size_t i = 0; i < n; i++)
                if (d[q + 1 + i] < 0x20 || d[q + 1 + i] > 0x7E)
                    return CP_PUNT;  /* (tcpdump escapes them, the Python printer does not) */
            cp_put(out, " \"", 2);
            cp_put(out, (const char *)d + q + 1, n);
            cp_putc(out, '"');
            q += 1 + n;
        }
        return CP_OK;
    case 41:
        if (rdlen || ttl & 0xFFFF0000u)
            return CP_PUNT;  /* options (the Python printer decodes them); an extended rcode or a version */
        cp_put(out, " UDPsize=", 9);
        cp_u(out, cls);
        if (ttl & 0x8000)
            cp_put(out, " DO", 3);
        return CP_OK;
    default:
        return CP_PUNT;
    }
}

/* fmt_dns._rr (tcpdump's ns_rprint): *p moves past the record. Every record printed
   here is captured to its end; the others punt. */
static int rr_print(const dns_msg *m, cp_out *out, size_t *pp, int ttl_shown)
{
    const u8 *d = m->d;
    size_t p = *pp;
    if (m->vflag) {
        cp_putc(out, ' ');
        if (name_print(m, out, p, &p) != CP_OK)
            return CP_PUNT;
    } else if (!(p = skip_name(m, p))) {
        return CP_PUNT;
    }
    if (p + 10 > m->end)
        return CP_PUNT;
    unsigned typ = be16(d + p), cls = be16(d + p + 2), rdlen = be16(d + p + 8);
    uint32_t ttl = be32(d + p + 4);
    p += 10;
    if (p + rdlen > m->end)
        return CP_PUNT;
    int flush = 0;
    if (m->mdns) {
        flush = (cls & 0x8000) != 0;
        cls &= 0x7FFF;
    }
    const char *name = type_name(typ);
    if (!name || (cls != 1 && typ != 41))
        return CP_PUNT;
    if (flush)
        cp_put(out, " (Cache flush)", 14);
    if (ttl_shown && typ != 41) {
        cp_put(out, " [", 2);
        relts(out, ttl);
        cp_putc(out, ']');
    }
    cp_putc(out, ' ');
    cp_puts(out, name);
    if (rdata_print(m, out, typ, cls, ttl, p, rdlen) != CP_OK)
        return CP_PUNT;
    *pp = p + rdlen;
    return CP_OK;
}

/* fmt_dns._section: count records after label; every one of them printed (a section
   the capture cuts punts). guard: nothing at all when the section starts at the end. */
static int section_print(const dns_msg *m, cp_out *out, size_t *pp, unsigned count, const char *label, int ttl_shown,
                         int guard)
{
    if (!count)
        return CP_OK;
    if (guard && *pp >= m->end)
        return CP_PUNT;
    cp_puts(out, label);
    for (unsigned i = 0; i < count; i++) {
        if (i) {
            if (*pp >= m->end)
                return CP_PUNT;
            cp_putc(out, ',');
        }
        if (rr_print(m, out, pp, ttl_shown) != CP_OK)
            return CP_PUNT;
    }
    return CP_OK;
}

/* fmt_dns._question: " TYPE? name." (mDNS: " TYPE (QU)? name."); *pp moves past it. */
static int question_print(const dns_msg *m, cp_out *out, size_t *pp)
{
    size_t q = skip_name(m, *pp), after;
    if (!q || q + 4 > m->end)
        return CP_PUNT;
    unsigned typ = be16(m->d + q), cls = be16(m->d + q + 2);
    const char *name = type_name(typ);
    if (!name || (cls & (m->mdns ? 0x7FFF : 0xFFFF)) != 1)
        return CP_PUNT;
    cp_putc(out, ' ');
    cp_puts(out, name);
    if (m->mdns)
        cp_puts(out, cls & 0x8000 ? " (QU)" : " (QM)");
    cp_put(out, "? ", 2);
    if (name_print(m, out, *pp, &after) != CP_OK)
        return CP_PUNT;
    *pp = q + 4;
    return CP_OK;
}

/* tcpdump adds the extended rcode of an EDNS OPT record in the additional section to
   an answer's rcode (" BadVers"), which only the Python printer prints: 1 if the message
   has such a record, or if its records cannot all be walked over (then punt). */
static int extended_rcode(const dns_msg *m, unsigned qd, unsigned an_ns, unsigned ar)
{
    size_t p = m->base + 12;
    for (unsigned i = 0; i < qd; i++) {
        p = skip_name(m, p);
        if (!p || p + 4 > m->end)
            return 1;
        p += 4;
    }
    for (unsigned i = 0; i < an_ns + ar; i++) {
        p = skip_name(m, p);
        if (!p || p + 10 > m->end)
            return 1;
        if (i >= an_ns && be16(m->d + p) == 41 && m->d[p + 4])
            return 1;
        p += 10 + be16(m->d + p + 8);
    }
    return 0;
}

static const char *const OPS[] = {"", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8",
                                  " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit",
                                  " zoneRef"};
static const char *const RCODES[] = {"", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain",
                                     " YXRRSet", " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13",
                                     " Resp14", " NoChange"};

/* fmt_dns._message */
static int message_print(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t end, int is_mdns)
{
    dns_msg m = {d, q, end, f->vflag, is_mdns};
    unsigned mid = be16(d + q), fl = be16(d + q + 2), qd = be16(d + q + 4);
    unsigned an = be16(d + q + 6), ns = be16(d + q + 8), ar = be16(d + q + 10);
    unsigned opcode = (fl >> 11) & 15;
    int vv = f->vflag > 1, ttl_shown = f->vflag > 2;
    size_t p = q + 12;
    cp_u(out, mid);
    cp_puts(out, OPS[opcode]);
    if (fl & 0x8000) {
        if (ar && extended_rcode(&m, qd, an + ns, ar))
            return CP_PUNT;
        if (qd > 1 && !vv)
            return CP_PUNT;  /* (tcpdump puts a comma after " [2q]", the Python printer does not) */
        cp_puts(out, RCODES[fl & 15]);
        if (fl & 0x400)
            cp_putc(out, '*');
        if (!(fl & 0x80))
            cp_putc(out, '-');
        if (fl & 0x200)
            cp_putc(out, '|');
        if (fl & 0x20)
            cp_putc(out, '$');
        if (qd != 1)
            cp_printf(out, " [%uq]", qd);
        for (unsigned i = 0; i < qd; i++) {
            if (vv) {
                if (i)
                    cp_putc(out, ',');
                cp_put(out, " q:", 3);
                if (question_print(&m, out, &p) != CP_OK)
                    return CP_PUNT;
            } else {
                p = skip_name(&m, p);
                if (!p || p + 4 > end)
                    return CP_PUNT;
                p += 4;
            }
        }
        cp_printf(out, " %u/%u/%u", an, ns, ar);
        if (section_print(&m, out, &p, an, "", ttl_shown, 0) != CP_OK)
            return CP_PUNT;
        if (vv && (section_print(&m, out, &p, ns, " ns:", ttl_shown, 1) != CP_OK ||
                   section_print(&m, out, &p, ar, " ar:", ttl_shown, 1) != CP_OK))
            return CP_PUNT;
        return CP_OK;
    }
    if (fl & 0x100)
        cp_putc(out, '+');
    if (fl & 0x10)
        cp_putc(out, '%');
    if (fl & 0x6CF)
        cp_printf(out, " [b2&3=0x%x]", fl);
    if (opcode == 1) {
        if (qd)
            cp_printf(out, " [%uq]", qd);
        if (an != 1)
            cp_printf(out, " [%ua]", an);
    } else {
        if (an)
            cp_printf(out, " [%ua]", an);
        if (qd != 1)
            cp_printf(out, " [%uq]", qd);
    }
    if (ns)
        cp_printf(out, " [%un]", ns);
    if (ar)
        cp_printf(out, " [%uau]", ar);
    for (unsigned i = 0; i < qd; i++) {
        if (i && p >= end)
            return CP_PUNT;
        if (question_print(&m, out, &p) != CP_OK)
            return CP_PUNT;
    }
    if (vv && an)
        return CP_PUNT;  /* (a query's answers: tcpdump prints no " an:" before them) */
    if (vv && (section_print(&m, out, &p, an, " an:", ttl_shown, 0) != CP_OK ||
               section_print(&m, out, &p, ns, " ns:", ttl_shown, 1) != CP_OK ||
               section_print(&m, out, &p, ar, " ar:", ttl_shown, 1) != CP_OK))
        return CP_PUNT;
    return CP_OK;
}

/* fmt_dns.domain_print over UDP (fmt_app._dns_udp, _mdns_udp): the message and " (length)". */
int cp_dns_udp(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, int is_mdns)
{
    if (length < 12 || q + 12 > end)
        return CP_PUNT;  /* the invalid and truncated lines */
    if (message_print(f, out, d, q, end, is_mdns) != CP_OK)
        return CP_PUNT;
    cp_put(out, " (", 2);
    cp_u(out, length);
    cp_putc(out, ')');
    return CP_OK;
}
