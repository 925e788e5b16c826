/*
 * flood_burst(): the ping-pong of `netlab ping -f`, in C, for a bounded time.
 *
 * Python keeps the rules (when the run ends, the linger, Ctrl-C, the dots) and
 * calls this for up to a tenth of a second at a time; in between, the counters
 * live in an int64 buffer both sides read (the layout is FLOOD_* below and
 * netlab/ping/flood.py). Packets this loop does not own (an ICMP error, a
 * socket error) end the burst and go back to Python's general path.
 *
 * flood_burst(fd, control_fd, packet, csum_base, dest, ip_header, reply_type, ident,
 *             source, sent_ns, rcvd, mask, counters, send_limit, until_ns, preload, buf)
 *   -> (status, value, sender)
 *
 *   status 0: until_ns passed; 1: received + errors reached counters[FLOOD_DONE_AT];
 *   2: a packet that is not our echo reply is in buf (value: its length, sender: its
 *   source address); 3: recvmsg failed (value: errno; the error queue has the why);
 *   4: the control socket is readable or a signal came (EINTR); 5: sendto failed
 *   (value: errno; the probe is counted as sent).
 */
#include "_speedups.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum { FLOOD_TRANSMITTED, FLOOD_RECEIVED, FLOOD_DUPLICATES, FLOOD_ERRORS, FLOOD_TMIN, FLOOD_TMAX, FLOOD_TSUM,
       FLOOD_TSUM2, FLOOD_EWMA8, FLOOD_ACKED, FLOOD_PIPESIZE, FLOOD_FIRST_SEND, FLOOD_LAST_SEND, FLOOD_DONE_AT,
       FLOOD_FIELDS };

#define FLOOD_WAIT_NS 10000000LL /* no reply: send again after 10 ms, as iputils */

static int64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static PyObject *result(int status, long value, PyObject *sender) {
    if (sender == NULL) {
        Py_INCREF(Py_None);
        sender = Py_None;
    }
    return Py_BuildValue("(ilN)", status, value, sender);
}

PyObject *netlab_flood_burst(PyObject *self, PyObject *args) {
    int fd, control_fd, ip_header, reply_type, ident, preload;
    long long csum_base, send_limit, until_ns;
    unsigned long mask;
    Py_buffer packet, dest, source, sent, rcvd, counters, buf;
    if (!PyArg_ParseTuple(args, "iiw*Ly*iiiy*w*w*kw*LLiw*", &fd, &control_fd, &packet, &csum_base, &dest, &ip_header,
                          &reply_type, &ident, &source, &sent, &rcvd, &mask, &counters, &send_limit, &until_ns,
                          &preload, &buf))
        return NULL;
    PyObject *out = NULL;
    if (packet.len < 8 || counters.len < (Py_ssize_t)(FLOOD_FIELDS * sizeof(int64_t)) ||
        sent.len < (Py_ssize_t)((mask + 1) * sizeof(int64_t)) || rcvd.len < (Py_ssize_t)(mask + 1) ||
        (source.len != 4 && source.len != 16) || buf.len < 64) {
        PyErr_SetString(PyExc_ValueError, "flood_burst: a buffer is too small");
        goto done;
    }
    uint8_t *pkt = packet.buf, *in = buf.buf, *got = rcvd.buf;
    int64_t *c = counters.buf, *sent_ns = sent.buf;
    int v6 = source.len == 16;
    char control[CMSG_SPACE(sizeof(struct timespec)) + 64];
    struct sockaddr_storage from;
    struct iovec iov = {in, (size_t)buf.len};

    for (;;) {
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        if (c[FLOOD_DONE_AT] >= 0 && c[FLOOD_RECEIVED] + c[FLOOD_ERRORS] >= c[FLOOD_DONE_AT]) {
            out = result(1, 0, NULL);
            goto done;
        }
        if (now >= until_ns) {
            out = result(0, 0, NULL);
            goto done;
        }
        int sending = send_limit < 0 || c[FLOOD_TRANSMITTED] < send_limit;
        /* -l: up to preload probes in flight leave back to back, before any read, as iputils' pinger() */
        while (sending && (c[FLOOD_TRANSMITTED] - c[FLOOD_ACKED] < preload || now - c[FLOOD_LAST_SEND] >= FLOOD_WAIT_NS)) {
            unsigned seq = (unsigned)((c[FLOOD_TRANSMITTED] + 1) & 0xFFFF);
            pkt[6] = seq >> 8;
            pkt[7] = seq & 0xFF;
            if (csum_base >= 0) { /* RFC 1624: the partial sum plus the sequence, folded */
                uint64_t total = (uint64_t)csum_base + seq;
                total = (total & 0xFFFF) + (total >> 16);
                total = (total & 0xFFFF) + (total >> 16);
                unsigned sum = ~total & 0xFFFF;
                pkt[2] = sum >> 8;
                pkt[3] = sum & 0xFF;
            }
            unsigned long idx = seq & mask;
            got[idx] = 0;
            c[FLOOD_TRANSMITTED]++;
            if (!c[FLOOD_FIRST_SEND])
                c[FLOOD_FIRST_SEND] = now;
            c[FLOOD_LAST_SEND] = now;
            sent_ns[idx] = clock_ns(CLOCK_REALTIME);
            if (sendto(fd, pkt, packet.len, MSG_DONTWAIT, dest.buf, dest.len) < 0 && errno != EAGAIN &&
                errno != ENOBUFS) {
                out = result(5, errno, NULL);
                goto done;
            }
            sending = send_limit < 0 || c[FLOOD_TRANSMITTED] < send_limit;
        }
        /* One read per turn: in a ping-pong there is one reply to read. */
        struct msghdr msg = {&from, sizeof(from), &iov, 1, control, sizeof(control), 0};
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                out = result(errno == EINTR ? 4 : 3, errno, NULL);
                goto done;
            }
            if (sending && c[FLOOD_ACKED] == c[FLOOD_TRANSMITTED])
                continue; /* answered: the next probe goes at once */
            /* Wait for the reply, the 10 ms resend or the end of the burst, whichever first. */
            int64_t wake = until_ns;
            if (sending && c[FLOOD_LAST_SEND] + FLOOD_WAIT_NS < wake)
                wake = c[FLOOD_LAST_SEND] + FLOOD_WAIT_NS;
            int64_t left = wake - clock_ns(CLOCK_MONOTONIC);
            if (left <= 0)
                continue;
            struct pollfd fds[2] = {{fd, POLLIN, 0}, {control_fd, POLLIN, 0}};
            struct timespec ts = {left / 1000000000LL, left % 1000000000LL};
            int ready = ppoll(fds, 2, &ts, NULL);
            if ((ready < 0 && errno == EINTR) || (ready > 0 && fds[1].revents)) {
                out = result(4, 0, NULL);
                goto done;
            }
            continue;
        }
        int64_t rx_ns = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec ts;
                memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
                rx_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
            }
        }
        ssize_t off = ip_header ? (in[0] & 0x0F) * 4 : 0;
        const uint8_t *addr = v6 ? (const uint8_t *)&((struct sockaddr_in6 *)&from)->sin6_addr
                                 : (const uint8_t *)&((struct sockaddr_in *)&from)->sin_addr;
        int ours = n >= off + 8 && in[off] == reply_type && memcmp(addr, source.buf, source.len) == 0 &&
                   (ident < 0 || ((in[off + 4] << 8) | in[off + 5]) == ident);
        if (!ours) {
            char text[INET6_ADDRSTRLEN] = "";
            inet_ntop(v6 ? AF_INET6 : AF_INET, addr, text, sizeof(text));
            out = result(2, (long)n, PyUnicode_FromString(text));
            goto done;
        }
        unsigned seq = (in[off + 6] << 8) | in[off + 7];
        unsigned long idx = seq & mask;
        if (!rx_ns)
            rx_ns = clock_ns(CLOCK_REALTIME);
        int64_t us = (rx_ns - sent_ns[idx]) / 1000;
        if (us < 0)
            us = 0;
        if (us < c[FLOOD_TMIN])
            c[FLOOD_TMIN] = us;
        if (us > c[FLOOD_TMAX])
            c[FLOOD_TMAX] = us;
        c[FLOOD_TSUM] += us;
        c[FLOOD_TSUM2] += us * us;
        c[FLOOD_EWMA8] = c[FLOOD_EWMA8] ? c[FLOOD_EWMA8] + us - c[FLOOD_EWMA8] / 8 : us * 8;
        /* iputils' acknowledge(): the newest answered probe, the most in flight */
        int64_t diff = (c[FLOOD_TRANSMITTED] - seq) & 0xFFFF;
        if (diff <= 0x7FFF) {
            if (diff + 1 > c[FLOOD_PIPESIZE])
                c[FLOOD_PIPESIZE] = diff + 1;
            if (c[FLOOD_TRANSMITTED] - diff > c[FLOOD_ACKED])
                c[FLOOD_ACKED] = c[FLOOD_TRANSMITTED] - diff;
        }
        if (got[idx] == 1) {
            c[FLOOD_DUPLICATES]++;
        } else {
            c[FLOOD_RECEIVED]++;
            got[idx] = 1;
        }
    }
done:
    PyBuffer_Release(&packet);
    PyBuffer_Release(&dest);
    PyBuffer_Release(&source);
    PyBuffer_Release(&sent);
    PyBuffer_Release(&rcvd);
    PyBuffer_Release(&counters);
    PyBuffer_Release(&buf);
    return out;
}
