/* ICMP, ICMPv6 and ARP as tcpdump prints them: the C twins of fmt_icmp.py and fmt_arp.py (see _cprint.h). */
#include "_cprint.h"

int cp_icmp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, size_t ipoff,
                  int v6, int direct, int fragmented)
{
    return CP_PUNT;  /* not written yet */
}

int cp_icmp6_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, size_t ipoff,
                   int v6, int direct, int fragmented)
{
    return CP_PUNT;  /* not written yet */
}

int cp_arp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end)
{
    return CP_PUNT;  /* not written yet */
}
