/*
 * udpsend RATE SECONDS DST PORT: offer RATE UDP datagrams per second (64 bytes each) to
 * DST:PORT for SECONDS, then print "SENT ELAPSED". bench/capture.py's live test builds
 * it with cc when it can: one Python sender tops out near 180k datagrams/s, and the test
 * offers up to 600k. Paced on CLOCK_MONOTONIC in sendmmsg() batches of up to 64; bounded
 * by RATE * SECONDS datagrams and by SECONDS + 5 of wall time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: udpsend RATE SECONDS DST PORT\n");
        return 2;
    }
    long rate = atol(argv[1]);
    double seconds = atof(argv[2]);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[4]))};
    if (rate <= 0 || seconds <= 0 || inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1) {
        fprintf(stderr, "udpsend: bad arguments\n");
        return 2;
    }
    /* not connect()ed: the port unreachable errors that come back must not fail the sends */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("udpsend");
        return 1;
    }
    enum { BATCH = 64 };
    static char payload[64];
    memset(payload, 'x', sizeof payload);
    struct iovec iov = {payload, sizeof payload};
    struct mmsghdr msgs[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        msgs[i].msg_hdr.msg_iov = &iov;
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &dst;
        msgs[i].msg_hdr.msg_namelen = sizeof dst;
    }
    long total = (long)(rate * seconds), sent = 0;
    double start = now(), deadline = start + seconds + 5;
    while (sent < total) {
        double t = now();
        if (t > deadline)
            break;
        long due = (long)((t - start) * rate) + 1;
        if (due > total)
            due = total;
        if (sent >= due) {
            struct timespec pause = {0, 200000};  /* 0.2 ms */
            nanosleep(&pause, NULL);
            continue;
        }
        long want = due - sent;
        int n = sendmmsg(fd, msgs, (unsigned)(want < BATCH ? want : BATCH), 0);
        if (n < 0)
            continue;  /* (ENOBUFS and the like: the datagrams were not offered) */
        sent += n;
    }
    printf("%ld %f\n", sent, now() - start);
    return 0;
}
