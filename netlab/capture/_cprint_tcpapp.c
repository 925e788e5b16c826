/* TCP application payloads as tcpdump prints them: the C twins of fmt_app.py's text
   protocols (HTTP, FTP, RTSP, SMTP, WHOIS), its SSH banner, and fmt_resp.py (see _cprint.h).

   Where the Python twin raises Truncated (a read past the capture: tcpdump's longjmp,
   which also changes what a -x dump shows), the twin here punts; the markers tcpdump's
   own checks print (`` [|http]``, `` [|resp]``) it prints. */
#include "_cprint.h"

#include <string.h>

/* ---- text protocols: fmt_app._txtproto and its helpers ---- */

static int is_print(unsigned c) { return c >= 0x20 && c <= 0x7E; }

static int is_space(unsigned c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* fmt_app._fetch_token: the token at d[idx] (copied to tok, NUL-terminated, at most 128
   bytes) and the index after it and the blanks, or 0 if there is none. */
static size_t fetch_token(const u8 *d, size_t idx, size_t stop, size_t end, char tok[130], size_t *toklen)
{
    size_t n = 0;
    while (idx < stop) {
        if (idx >= end)
            return 0;
        unsigned c = d[idx];
        if (c >= 0x80)
            return 0;
        if (is_space(c))
            break;
        if (!is_print(c))
            return 0;
        if (n + 2 > 129)
            return 0;
        tok[n++] = (char)c;
        idx++;
    }
    if (!n)
        return 0;
    tok[n] = 0;
    *toklen = n;
    while (idx < stop) {
        if (idx >= end)
            break;
        unsigned c = d[idx];
        if (c == '\r' || c == '\n' || !is_print(c) || !is_space(c))
            break;
        idx++;
    }
    return idx;
}

/* fmt_app._txt_line: one line of text after prefix; the index after it, 0 when the text
   stops being a line, or CP_PUNT's stand-in (SIZE_MAX) where the Python twin raises. */
#define TXT_CUT ((size_t)-1)
static size_t txt_line(cp_out *out, const char *prefix, const u8 *d, size_t start, size_t stop, size_t end,
                       const char *proto)
{
    size_t idx = start;
    while (idx < stop) {
        if (idx >= end)
            return TXT_CUT;
        unsigned c = d[idx];
        if (c == '\n') {
            cp_puts(out, prefix);
            cp_put(out, (const char *)d + start, idx - start);
            return idx + 1;
        }
        if (c == '\r') {
            if (idx + 1 >= stop)
                return 0;
            if (idx + 1 >= end)
                return TXT_CUT;
            if (d[idx + 1] == '\n') {
                cp_puts(out, prefix);
                cp_put(out, (const char *)d + start, idx - start);
                return idx + 2;
            }
            return 0;
        }
        if (!is_print(c) && c != '\t')
            return 0;
        idx++;
    }
    cp_puts(out, prefix);
    cp_put(out, (const char *)d + start, idx - start);
    cp_puts(out, " [|");
    cp_puts(out, proto);
    cp_putc(out, ']');
    return 0;
}

static const char *const HTTP_CMDS[] = {
    "GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE",
    "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT",
    "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND",
    "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT",
    "VERSION-CONTROL", "BASELINE-CONTROL", NULL};

static const char *const RTSP_CMDS[] = {
    "DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD", "REDIRECT",
    "SETUP", "SET_PARAMETER", "TEARDOWN", NULL};

/* tok.upper() in cmds (the token is printable ASCII) */
static int is_command(char *tok, const char *const *cmds)
{
    for (char *c = tok; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    for (; *cmds; cmds++)
        if (strcmp(tok, *cmds) == 0)
            return 1;
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* fmt_app._txtproto, after its caller's ": " (name: the protocol's name in upper case for
   the line, lower case for the marker) */
static int txtproto(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, const char *upper,
                    const char *lower, const char *const *cmds, int resp_code_second)
{
    size_t stop = q + length;
    int print_this = 0;
    if (cmds) {
        char tok[130];
        size_t toklen = 0;
        size_t idx = fetch_token(d, q, stop, end, tok, &toklen);
        if (idx) {
            if (is_command(tok, cmds))
                print_this = 1;
            if (resp_code_second) {
                idx = fetch_token(d, idx, stop, end, tok, &toklen);
                if (idx && toklen == 3 && tok[0] >= '1' && tok[0] <= '9' && is_digit(tok[1]) && is_digit(tok[2]))
                    print_this = 1;
            }
        }
    } else {
        print_this = 1;
    }
    cp_puts(out, upper);
    if (!print_this)
        return CP_OK;
    if (f->vflag) {
        cp_put(out, ", length: ", 10);
        cp_u(out, length);
        size_t idx = q;
        while (idx < stop) {
            size_t eol = txt_line(out, "\n\t", d, idx, stop, end, lower);
            if (eol == TXT_CUT)
                return CP_PUNT;
            if (!eol)
                break;
            idx = eol;
        }
        return CP_OK;
    }
    return txt_line(out, ": ", d, q, stop, end, lower) == TXT_CUT ? CP_PUNT : CP_OK;
}

/* ---- SSH: fmt_app._ssh, the version banner or nothing ---- */

static int ssh_print(cp_out *out, const u8 *d, size_t q, size_t length, size_t end)
{
    for (size_t i = 0; i < 4; i++) {
        if (q + i >= end)
            return CP_PUNT;
        if (d[q + i] != (u8) "SSH-"[i])
            return CP_OK;
    }
    size_t stop = q + length;
    for (size_t idx = q; idx < stop; idx++) {
        if (idx >= end)
            return CP_PUNT;
        unsigned c = d[idx];
        if (c == '\n' || c == '\r') {
            if (c == '\r') {
                if (idx + 1 >= stop)
                    return CP_OK;
                if (idx + 1 >= end)
                    return CP_PUNT;
                if (d[idx + 1] != '\n')
                    return CP_OK;
            }
            cp_put(out, ": SSH: ", 7);
            cp_put(out, (const char *)d + q, idx - q);
            return CP_OK;
        }
        if (!is_print(c))
            return CP_OK;  /* not a version banner */
    }
    return CP_OK;
}

/* ---- RESP: fmt_resp.py ---- */

/* What the RESP parsers return besides a byte count: FAIL is tcpdump's "goto trunc" (the
   marker, and the line ends), CUT a read past the capture (the Python twin raises: punt). */
#define R_FAIL (-1L)
#define R_CUT (-2L)

#define INT_MAX_ 2147483647L
/* resp_get_length's answers that are not lengths */
enum { L_NULL = -1, L_TRUNC = -2, L_TOO_LARGE = -3, L_NEGATIVE = -4, L_INVALID = -5, L_CUT = -6 };

/* fmt_resp._find_crlf: where the next CR LF starts, inside both the value and the capture; -1 if none */
static long find_crlf(const u8 *d, size_t p, long left, size_t end)
{
    if (left <= 0)
        return -1;
    size_t stop = p + (size_t)left < end ? p + (size_t)left : end;
    for (size_t i = p; i + 1 < stop; i++)
        if (d[i] == '\r' && d[i + 1] == '\n')
            return (long)i;
    return -1;
}

static void segment(cp_out *out, const u8 *s, size_t n)
{
    cp_put(out, " \"", 2);
    cp_printjn(out, s, n);
    cp_putc(out, '"');
}

static void bad_length(cp_out *out, long size)
{
    switch (size) {
    case L_NULL: cp_puts(out, " null"); break;
    case L_TOO_LARGE: cp_puts(out, " length too large"); break;
    case L_NEGATIVE: cp_puts(out, " length negative and not -1"); break;
    default: cp_puts(out, " invalid"); break;
    }
}

/* fmt_resp._get_length: the length (or an L_* answer) and, in *after, where the parse stopped */
static long get_length(const u8 *d, size_t p, long left, size_t end, size_t *after)
{
    *after = p;
    if (left == 0)
        return L_TRUNC;
    if (p >= end)
        return L_CUT;
    int neg = 0, too_large = 0, saw_digit = 0;
    if (d[p] == '-') {
        neg = 1;
        p++;
        left--;
    }
    long result = 0;
    for (;;) {
        if (left == 0) {
            *after = p;
            return L_TRUNC;
        }
        if (p >= end)
            return L_CUT;
        unsigned c = d[p];
        if (c < '0' || c > '9') {
            if (!saw_digit) {
                *after = p + 1;
                return L_INVALID;
            }
            break;
        }
        c -= '0';
        if (result > INT_MAX_ / 10) {
            too_large = 1;
        } else {
            result *= 10;
            if (result == (INT_MAX_ / 10) * 10 && c > INT_MAX_ % 10)
                too_large = 1;
            else
                result += c;
        }
        p++;
        left--;
        saw_digit = 1;
    }
    if (p >= end)
        return L_CUT;
    if (d[p] != '\r') {
        *after = p + 1;
        return L_INVALID;
    }
    p++;
    left--;
    if (left == 0) {
        *after = p;
        return L_TRUNC;
    }
    if (p >= end)
        return L_CUT;
    if (d[p] != '\n') {
        *after = p + 1;
        return L_INVALID;
    }
    p++;
    *after = p;
    if (neg)  /* -1 means null, any other negative is invalid */
        return too_large || result != 1 ? L_NEGATIVE : L_NULL;
    return too_large ? L_TOO_LARGE : result;
}

/* fmt_resp._line_value: a simple string, an error or an integer */
static long line_value(cp_out *out, const u8 *d, size_t p, long length, size_t end)
{
    size_t s = p + 1;
    long crlf = find_crlf(d, s, length - 1, end);
    if (crlf < 0)
        return R_FAIL;
    segment(out, d + s, (size_t)crlf - s);
    return 1 + (crlf - (long)s) + 2;
}

/* fmt_resp._bulk_string */
static long bulk_string(cp_out *out, const u8 *d, size_t p, long length, size_t end)
{
    long left = length - 1;
    p++;
    size_t after;
    long size = get_length(d, p, left, end, &after);
    if (size == L_CUT)
        return R_CUT;
    left -= (long)(after - p);
    p = after;
    if (size >= 0) {
        if (size == 0) {
            cp_put(out, " empty", 6);
        } else {
            if (left < size || p + (size_t)size > end)
                return R_FAIL;
            segment(out, d + p, (size_t)size);
            p += (size_t)size;
            left -= size;
        }
        long crlf = find_crlf(d, p, left, end);
        if (crlf < 0)
            return R_FAIL;
        left -= crlf - (long)p + 2;
    } else if (size == L_TRUNC) {
        return R_FAIL;
    } else {
        bad_length(out, size);
    }
    return length - left;
}

/* fmt_resp._array_header: the header's bytes, and in *items how many values follow */
static long array_header(cp_out *out, const u8 *d, size_t p, long length, size_t end, long *items)
{
    long left = length - 1;
    p++;
    size_t after;
    long count = get_length(d, p, left, end, &after);
    *items = 0;
    if (count == L_CUT)
        return R_CUT;
    left -= (long)(after - p);
    if (count > 0) {
        *items = count;
        return length - left;
    }
    if (count == 0)
        cp_put(out, " empty", 6);
    else if (count == L_TRUNC)
        return R_FAIL;
    else
        bad_length(out, count);
    return length - left;
}

/* fmt_resp._skip_cr_lf: past a run of CR and LF; 0 if the data ends before one was seen */
static int skip_cr_lf(const u8 *d, size_t *p, long *left, size_t end)
{
    int found = 0;
    for (;;) {
        if (*left == 0 || *p >= end)
            return found;
        if (d[*p] != '\r' && d[*p] != '\n')
            return 1;
        found = 1;
        (*p)++;
        (*left)--;
    }
}

/* fmt_resp._inline: an inline command, up to CR or LF, then every CR and LF that follows */
static long inline_value(cp_out *out, const u8 *d, size_t p, long length, size_t end)
{
    long left = length;
    if (!skip_cr_lf(d, &p, &left, end))
        return R_FAIL;
    size_t stop = p + (size_t)left < end ? p + (size_t)left : end;
    size_t eol = p;
    while (eol < stop && d[eol] != '\r' && d[eol] != '\n')
        eol++;
    if (eol >= stop) {
        if (p + (size_t)left > end)
            return R_CUT;  /* tcpdump reads on past the capture */
        return R_FAIL;
    }
    segment(out, d + p, eol - p);
    left -= (long)(eol - p);
    p = eol;
    if (!skip_cr_lf(d, &p, &left, end))
        return R_FAIL;
    return length - left;
}

/* fmt_resp._value: one value (an array: its header and the values it is due) */
static long resp_value(cp_out *out, const u8 *d, size_t p, long length, size_t end)
{
    size_t start = p;
    long long due = 1;
    while (due) {
        due--;
        if (length < 1)
            return R_FAIL;
        if (p >= end)
            return R_CUT;
        long n, items = 0;
        switch (d[p]) {
        case '*':
            n = array_header(out, d, p, length, end, &items);
            due += items;
            break;
        case '+': case '-': case ':':
            n = line_value(out, d, p, length, end);
            break;
        case '$':
            n = bulk_string(out, d, p, length, end);
            break;
        default:
            n = inline_value(out, d, p, length, end);
            break;
        }
        if (n < 0)
            return n;
        p += (size_t)n;
        length -= n;
    }
    return (long)(p - start);
}

/* fmt_resp.resp_print */
static int resp_print(cp_out *out, const u8 *d, size_t q, size_t length, size_t end)
{
    cp_put(out, ": RESP", 6);
    long left = (long)length;
    while (left > 0) {  /* pipelining: value after value until the segment ends */
        long n = resp_value(out, d, q, left, end);
        if (n == R_CUT)
            return CP_PUNT;
        if (n < 0) {
            cp_put(out, " [|resp]", 8);
            return CP_OK;
        }
        q += (size_t)n;
        left -= n;
    }
    return CP_OK;
}

/* ---- the dispatch: tcp_print's call of the port's printer ---- */

int cp_tcp_app(cp_ctx *f, cp_out *out, int kind, const u8 *d, size_t q, size_t length, size_t end)
{
    switch (kind) {
    case TAPP_HTTP:
        cp_put(out, ": ", 2);
        return txtproto(f, out, d, q, length, end, "HTTP", "http", HTTP_CMDS, 1);
    case TAPP_RTSP:
        cp_put(out, ": ", 2);
        return txtproto(f, out, d, q, length, end, "RTSP", "rtsp", RTSP_CMDS, 1);
    case TAPP_FTP:
        cp_put(out, ": ", 2);
        return txtproto(f, out, d, q, length, end, "FTP", "ftp", NULL, 0);
    case TAPP_SMTP:
        cp_put(out, ": ", 2);
        return txtproto(f, out, d, q, length, end, "SMTP", "smtp", NULL, 0);
    case TAPP_WHOIS:
        cp_put(out, ": ", 2);
        return txtproto(f, out, d, q, length, end, "WHOIS", "whois", NULL, 0);
    case TAPP_SSH:
        return ssh_print(out, d, q, length, end);
    case TAPP_RESP:
        return resp_print(out, d, q, length, end);
    default:
        return CP_PUNT;
    }
}
