/* NTP and syslog as tcpdump prints them: the C twins of fmt_ntp.py and fmt_misc.syslog_print (see _cprint.h). */
#include "_cprint.h"

int cp_ntp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, size_t ulen,
                 int fragmented)
{
    return CP_PUNT;  /* not written yet */
}

int cp_syslog_print(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, size_t ulen,
                    int fragmented)
{
    return CP_PUNT;  /* not written yet */
}
