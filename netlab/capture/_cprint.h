/*
 * netlab.capture._cprint: tcpdump's lines for the packets most traffic is made of, in C.
 *
 * A twin of the Python printers (fmt_*.py), not a second source of truth: every
 * function here mirrors the Python printer of the same name, argument for argument
 * (the frame d, offsets p/off, the length the layer below claims, end = where the
 * captured bytes stop), and prints the same text. Whatever a C printer is not sure to
 * print exactly as its Python twin (a truncated header, an option or record type it
 * does not know, a verbosity it does not do), it does not print: it returns CP_PUNT
 * and the Python printers print the whole packet. tests/conformance/test_cprint_twin.py
 * compares both on every packet of every conformance capture and on fuzzed packets.
 *
 * Rule that keeps the twin honest: a printer returns CP_PUNT *before* it changes any
 * state (the relative TCP sequence bases in f->tcp_seq): a punted packet must leave
 * everything as it found it, so that the Python printer sees the same state.
 *
 * Source files: _cprint.c (module, Printer type, output buffer, link layers, IPv4,
 * IPv6, TCP, UDP, the batch loop, the dumps), _cprint_dns.c (DNS), _cprint_icmp.c
 * (ICMP, ICMPv6, ARP), _cprint_app.c (NTP, syslog), _cprint_tcpapp.c (HTTP, FTP,
 * RTSP, SMTP, WHOIS, SSH, RESP), _cprint_walk.c (the pcap record walks: reading,
 * --count, libpcap's filter over a mapped file).
 */
#ifndef NETLAB_CPRINT_H
#define NETLAB_CPRINT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;

/* What a printer returns. */
#define CP_OK 0       /* printed */
#define CP_PUNT (-1)  /* not printed here: the Python printers print the whole packet */
#define CP_PLAIN 1    /* UDP applications only: printed nothing, the plain "UDP, length N" follows
                         (the Python twin returned False/None) */

/* The growing text of one packet. Appending never fails: on out-of-memory `failed` is
   set and the packet is punted at the end. */
typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} cp_out;

void cp_put(cp_out *o, const char *s, size_t n);
void cp_puts(cp_out *o, const char *s);
void cp_putc(cp_out *o, char c);
void cp_printf(cp_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cp_u(cp_out *o, unsigned long long v);   /* decimal, as %u */
void cp_ip4(cp_out *o, const u8 *a);          /* fmt_base.ip4 */
void cp_ip6(cp_out *o, const u8 *a);          /* fmt_base.ip6 (inet_ntop) */
void cp_mac(cp_out *o, const u8 *a);          /* fmt_base.mac */
void cp_printjn(cp_out *o, const u8 *s, size_t n);  /* fmt_base.printjn: unprintable bytes as M-, ^ escapes */

/* The Internet checksum of n bytes added to `sum` (a partial sum, e.g. of a pseudo
   header): netlab.core.inet.checksum's result when sum = 0, 0 when the data is right. */
unsigned cp_cksum(const u8 *p, size_t n, uint32_t sum);
/* fmt_base.shouldbe */
unsigned cp_shouldbe(unsigned field, unsigned computed);

/* What the UDP printer hands a datagram's payload to, per port (from dispatch.UDP_PORTS:
   a port whose Python printer has a C twin gets the twin's kind, any other listed port
   APP_PYTHON, which punts). */
enum { APP_NONE = 0, APP_PYTHON, APP_DNS, APP_MDNS, APP_NTP, APP_SYSLOG };
/* The same for TCP payloads (from dispatch.TCP_PORTS): TAPP_PYTHON punts, the others
   are the twins' kinds (see cp_tcp_app). */
enum { TAPP_NONE = 0, TAPP_PYTHON, TAPP_HTTP, TAPP_SSH, TAPP_RESP, TAPP_FTP, TAPP_RTSP, TAPP_SMTP, TAPP_WHOIS };

typedef struct {
    int vflag, qflag, eflag;
    int sflag;              /* -S: TCP sequence numbers as on the wire */
    PyObject *tcp_seq;      /* the Formatter's dict of relative sequence bases (borrowed) */
    u8 udp_app[65536];      /* APP_* per UDP port */
    u8 tcp_app[65536];      /* TAPP_* per TCP port */
    size_t hdrlen;          /* out: the link-layer header length (the -x dump starts there) */
} cp_ctx;

/* Network and transport layers: the Python twins' signatures (see fmt_ip.py, fmt_tcp.py). */
int cp_ip4_print(cp_ctx *f, cp_out *out, const u8 *d, size_t off, size_t length, size_t end);
int cp_ip6_print(cp_ctx *f, cp_out *out, const u8 *d, size_t off, size_t length, size_t end);

/* IP protocol printers: fmt_icmp.icmp_print / icmp6_print (ipoff: the IP header; v6;
   direct: the printer prints the addresses itself; fragmented: the MF bit was set). */
int cp_icmp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, size_t ipoff,
                  int v6, int direct, int fragmented);
int cp_icmp6_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end, size_t ipoff,
                   int v6, int direct, int fragmented);

/* Ethernet types: fmt_arp.arp_print. */
int cp_arp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t p, size_t length, size_t end);

/* UDP applications, as dispatch.UDP_PORTS calls them (q: the payload; length: the payload
   length; ulen: the UDP length field minus 8). Return CP_OK if the line is printed to its
   end, CP_PLAIN if the plain UDP text follows, CP_PUNT. */
int cp_dns_udp(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, int is_mdns);
int cp_ntp_print(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, size_t ulen,
                 int fragmented);
int cp_syslog_print(cp_ctx *f, cp_out *out, const u8 *d, size_t q, size_t length, size_t end, size_t ulen,
                    int fragmented);

/* TCP applications (dispatch.TCP_PORTS's printers, fmt_app.py, fmt_resp.py): the payload
   of a segment at q, `length` bytes of it, after the line's ", length N". kind: TAPP_*.
   Return CP_OK or CP_PUNT. */
int cp_tcp_app(cp_ctx *f, cp_out *out, int kind, const u8 *d, size_t q, size_t length, size_t end);

/* _cprint_walk.c: the module functions over pcap records (see reader.py). */
PyObject *cp_records(PyObject *module, PyObject *args);
PyObject *cp_count(PyObject *module, PyObject *args);
PyObject *cp_scan(PyObject *module, PyObject *args);
PyObject *cp_take(PyObject *module, PyObject *args);
PyObject *cp_bpf_library(PyObject *module, PyObject *args);

#endif
