/* DNS as tcpdump prints it: the C twin of fmt_dns.py (see _cprint.h). */
#include "_cprint.h"

int cp_dns_udp(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, int is_mdns)
{
    return CP_PUNT;  /* not written yet: the Python printer prints every DNS message */
}
