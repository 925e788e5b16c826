/* NTP and syslog as tcpdump prints them: the C twins of fmt_ntp.py and fmt_misc.syslog_print (see _cprint.h).

   Where the Python twin raises Truncated (a field read past the capture: tcpdump's
   longjmp, which also changes what a -x dump shows), the twin here punts; the
   `` [|ntp]`` marker of tcpdump's own checks it prints. */
#include "_cprint.h"

#include <time.h>

static inline unsigned be16(const u8 *p) { return (unsigned)p[0] << 8 | p[1]; }
static inline uint32_t be32(const u8 *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* ---- NTP: fmt_ntp.py ---- */

static const char *const NTP_MODES[] = {"unspecified", "symmetric active", "symmetric passive", "Client", "Server",
                                        "Broadcast", "Control Message", "Reserved"};
static const char *const NTP_LEAP[] = {"", "+1s", "-1s", "clock unsynchronized"};

#define NTP_SOFT_CUT " [|ntp]"  /* tcpdump's own check failed: the marker, and the line ends */
#define TIMEMSG_MINLEN 48       /* the header of a time message, without key id and digest */
#define CTRLMSG_MINLEN 12
#define JAN_1970 2208988800LL   /* seconds from 1900 (NTP's era 0) to 1970 (the Unix epoch) */

/* fmt_ntp._invalid: nd_print_invalid, then the check that the whole message was captured */
static void ntp_invalid(cp_out *out, size_t q, size_t length, size_t end)
{
    cp_puts(out, " (invalid)");
    if (q + length > end)
        cp_puts(out, NTP_SOFT_CUT);
}

static int s8(unsigned b) { return b > 127 ? (int)b - 256 : (int)b; }

/* fmt_ntp._sfix: 16.16 fixed point, the fraction in millionths (truncated, as C's cast does) */
static void sfix(cp_out *out, const u8 *p)
{
    cp_printf(out, "%u.%06d", be16(p), (int)(be16(p + 2) / 65536.0 * 1000000.0));
}

/* fmt_ntp._billionths: a 32-bit binary fraction in billionths, in doubles as tcpdump does */
static unsigned billionths(uint32_t frac) { return (unsigned)(frac / 4294967296.0 * 1000000000.0); }

/* fmt_ntp._time_text: seconds.billionths since 1900, then the UTC date unless the seconds are 0 */
static void time_text(cp_out *out, uint32_t secs, uint32_t frac)
{
    cp_printf(out, "%u.%09u", secs, billionths(frac));
    if (!secs)
        return;
    time_t t = (time_t)((long long)secs - JAN_1970);
    struct tm tm;
    char text[64];
    if (!gmtime_r(&t, &tm) || !strftime(text, sizeof text, " (%Y-%m-%dT%H:%M:%SZ)", &tm)) {
        out->failed = 1;  /* (never for 32-bit seconds): punted */
        return;
    }
    cp_puts(out, text);
}

/* fmt_ntp._ntp_delta: other - origin as signed seconds.billionths (other itself if origin is 0) */
static void ntp_delta(cp_out *out, const u8 *origin, const u8 *other)
{
    uint32_t ou = be32(origin), ouf = be32(origin + 4), u = be32(other), uf = be32(other + 4);
    if (ou == 0 && ouf == 0) {
        time_text(out, u, uf);
        return;
    }
    int negative;
    uint32_t whole, frac;
    if (u > ou) {
        negative = 0;
        whole = u - ou - (ouf > uf);
        frac = uf - ouf;
    } else if (u < ou) {
        negative = 1;
        whole = ou - u - (uf > ouf);
        frac = ouf - uf;
    } else {
        whole = 0;
        negative = !(uf > ouf);
        frac = uf > ouf ? uf - ouf : ouf - uf;
    }
    cp_printf(out, "%c%u.%09u", negative ? '-' : '+', whole, billionths(frac));
}

/* fmt_ntp._time: ntp_time_print, a time request or reply (modes 0 to 5) */
static int ntp_time(cp_out *out, const u8 *d, size_t q, size_t length, size_t end)
{
    if (length < TIMEMSG_MINLEN) {
        ntp_invalid(out, q, length, end);
        return CP_OK;
    }
    if (q + 4 > end)
        return CP_PUNT;  /* stratum, poll, precision: read past the capture */
    unsigned stratum = d[q + 1];
    const char *kind = stratum == 0 ? "unspecified" : stratum == 1 ? "primary reference"
                       : stratum <= 15 ? "secondary reference" : "reserved";
    cp_printf(out, ", Stratum %u (%s)", stratum, kind);
    int poll = s8(d[q + 2]);
    cp_printf(out, ", poll %d", poll);
    if (poll > -32 && poll < 32) {
        if (poll >= 0)
            cp_printf(out, " (%llus)", 1ULL << poll);
        else
            cp_printf(out, " (1/%llus)", 1ULL << -poll);
    }
    cp_printf(out, ", precision %d", s8(d[q + 3]));

    if (q + 8 > end) {
        cp_puts(out, NTP_SOFT_CUT);
        return CP_OK;
    }
    cp_puts(out, "\n\tRoot Delay: ");
    sfix(out, d + q + 4);
    if (q + 12 > end) {
        cp_puts(out, NTP_SOFT_CUT);
        return CP_OK;
    }
    cp_puts(out, ", Root dispersion: ");
    sfix(out, d + q + 8);
    if (q + 16 > end) {
        cp_puts(out, NTP_SOFT_CUT);
        return CP_OK;
    }
    cp_puts(out, ", Reference-ID: ");
    /* what the reference id is depends on the stratum */
    if (stratum == 0) {
        cp_puts(out, "(unspec)");
    } else if (stratum == 1) {
        cp_printjn(out, d + q + 12, 4);  /* a clock's name, "GPS\0" */
    } else if (stratum == 62 || stratum == 63) {
        cp_ip4(out, d + q + 12);
        cp_puts(out, stratum == 62 ? " INFO_QUERY" : " INFO_REPLY");
        return CP_OK;  /* tcpdump prints no more of these */
    } else {
        cp_printf(out, "0x%08x", be32(d + q + 12));
    }

    static const char *const labels[] = {"\n\t  Reference Timestamp:  ", "\n\t  Originator Timestamp: ",
                                         "\n\t  Receive Timestamp:    ", "\n\t  Transmit Timestamp:   "};
    for (size_t i = 0; i < 4; i++) {
        size_t at = q + 16 + 8 * i;
        if (at + 8 > end) {
            cp_puts(out, NTP_SOFT_CUT);
            return CP_OK;
        }
        cp_puts(out, labels[i]);
        time_text(out, be32(d + at), be32(d + at + 4));
    }
    cp_puts(out, "\n\t    Originator - Receive Timestamp:  ");
    ntp_delta(out, d + q + 24, d + q + 32);
    cp_puts(out, "\n\t    Originator - Transmit Timestamp: ");
    ntp_delta(out, d + q + 24, d + q + 40);

    /* tcpdump knows no extension fields: it goes by the length alone */
    if (length == 52 || length == 68 || length == 72) {
        if (q + 52 > end)
            return CP_PUNT;  /* the key id: read past the capture */
        cp_printf(out, "\n\tKey id: %u", be32(d + q + 48));
        size_t digest = length - 52;
        if (digest) {
            if (q + 52 + digest > end) {
                cp_puts(out, NTP_SOFT_CUT);
                return CP_OK;
            }
            static const char hex[] = "0123456789abcdef";
            cp_puts(out, "\n\tAuthentication: ");
            for (size_t i = 0; i < digest; i++) {
                cp_putc(out, hex[d[q + 52 + i] >> 4]);
                cp_putc(out, hex[d[q + 52 + i] & 15]);
            }
        }
    } else if (length > TIMEMSG_MINLEN) {
        cp_printf(out, "\n\t(%zu more bytes after the header)", length - TIMEMSG_MINLEN);
    }
    return CP_OK;
}

/* fmt_ntp._control: ntp_control_print, a mode 6 message's header words */
static int ntp_control(cp_out *out, const u8 *d, size_t q, size_t length, size_t end)
{
    if (length < CTRLMSG_MINLEN) {
        ntp_invalid(out, q, length, end);
        return CP_OK;
    }
    if (q + 12 > end)
        return CP_PUNT;  /* a header word read past the capture */
    unsigned control = d[q + 1];
    cp_printf(out, ", %s, %s, %s, OpCode=%u\n", control & 0x80 ? "Response" : "Request",
              control & 0x40 ? "Error" : "OK", control & 0x20 ? "More" : "Last", control & 0x1F);
    cp_printf(out, "\tSequence=%u", be16(d + q + 2));
    unsigned status = be16(d + q + 4);
    if (status)
        cp_printf(out, ", Status=0x%x", status);
    else
        cp_puts(out, ", Status=0");  /* C's %#hx prints 0 bare */
    cp_printf(out, ", Assoc.=%u, Offset=%u", be16(d + q + 6), be16(d + q + 8));
    unsigned count = be16(d + q + 10);
    cp_printf(out, ", Count=%u", count);
    if (CTRLMSG_MINLEN + count > length) {
        ntp_invalid(out, q, length, end);
        return CP_OK;
    }
    if (count) {
        if (q + 12 + count > end) {
            cp_puts(out, NTP_SOFT_CUT);
            return CP_OK;
        }
        cp_puts(out, "\n\tTO-BE-DONE: data not interpreted");
    }
    return CP_OK;
}

int cp_ntp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, size_t ulen,
                 int fragmented)
{
    if (q >= end)
        return CP_PUNT;
    unsigned status = d[q], mode = status & 7;
    cp_printf(out, "NTPv%u, %s, length %zu", (status >> 3) & 7, NTP_MODES[mode], length);
    if (!f->vflag)
        return CP_OK;
    unsigned leap = status & 0xC0;
    cp_printf(out, "\n\tLeap indicator: %s (%u)", NTP_LEAP[leap >> 6], leap);
    if (mode == 6)
        return ntp_control(out, d, q, length, end);
    if (mode != 7)  /* (tcpdump prints nothing more for mode 7) */
        return ntp_time(out, d, q, length, end);
    return CP_OK;
}

/* ---- syslog: fmt_misc.syslog_print ---- */

static const char *const FACILITIES[] = {"kernel", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
                                         "cron", "authpriv", "ftp", "ntp", "security", "console", "cron", "local0",
                                         "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
static const char *const SEVERITIES[] = {"emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"};

int cp_syslog_print(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, size_t ulen,
                    int fragmented)
{
    if (f->vflag)
        return CP_PUNT;  /* -v's syslog lines are the Python printer's (issue 16 changes them) */
    /* tcpdump reads up to the end of the capture, whatever the length says */
    if (q >= end)
        return CP_PUNT;
    if (d[q] != '<') {
        cp_puts(out, " (invalid)");
        return CP_OK;
    }
    size_t i = q + 1;
    unsigned pri = 0;
    for (;;) {
        if (i - q > 3)
            break;
        if (i >= end)
            return CP_PUNT;
        if (d[i] < '0' || d[i] > '9')
            break;
        pri = pri * 10 + d[i] - '0';
        i++;
    }
    if (i >= end)
        return CP_PUNT;
    if (d[i] != '>') {
        cp_puts(out, " (invalid)");
        return CP_OK;
    }
    unsigned facility = (pri & 0x3F8) >> 3, severity = pri & 7;
    cp_puts(out, "SYSLOG ");
    if (facility < sizeof FACILITIES / sizeof *FACILITIES)
        cp_puts(out, FACILITIES[facility]);
    else
        cp_printf(out, "unknown (%u)", facility);
    cp_printf(out, ".%s, length: %zu", SEVERITIES[severity], length);
    return CP_OK;
}
