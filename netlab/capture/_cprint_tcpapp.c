/* TCP application payloads as tcpdump prints them: the C twins of fmt_app.py's text
   protocols (HTTP, FTP, RTSP, SMTP, WHOIS), its SSH banner, and fmt_resp.py (see _cprint.h). */
#include "_cprint.h"

int cp_tcp_app(cp_ctx *f, cp_out *out, int kind, const u8 *d, size_t q, size_t length, size_t end)
{
    return CP_PUNT;  /* not written yet: the Python printers print these payloads */
}
