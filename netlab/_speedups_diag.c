/*
 * netlab._speedups: the reader of sock_diag dumps.
 *
 *   inet_messages(fd, seq, factory, proto, family, af, state_names, want)
 *       -> (records, error)
 *       Reads a sock_diag dump that was already sent on netlink socket fd and
 *       turns each inet_diag_msg into factory(proto, family, state, local_addr,
 *       local_port, remote_addr, remote_port, recv_q, send_q, uid, inode,
 *       cookie, interface, None, timer, expires_ms, info, retrans, skmem,
 *       cgroup_id): info the raw INET_DIAG_INFO bytes where want has WANT_INFO,
 *       skmem the raw INET_DIAG_SKMEMINFO bytes where it has WANT_SKMEM, the
 *       INET_DIAG_CGROUP_ID where it has WANT_CGROUP, else None. error is 0, or the
 *       errno the kernel answered the dump with. Same records as
 *       netlab.core.diag._inet_dump_py().
 */
#include "_speedups.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>  /* struct rtattr, RTA_LENGTH: the bytecode attribute */
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define RECV_SIZE (1 << 16)
#define WANT_INFO 1
#define WANT_SKMEM 2
#define WANT_CGROUP 4
#ifndef INET_DIAG_CGROUP_ID
#define INET_DIAG_CGROUP_ID 21
#endif

/* The dump is read by a thread of its own while the caller turns what came
 * before into records: the kernel fills the next 32 KiB while Python builds
 * the last ones. Chunks pass through a queue; the receiver stops after the message that ends the dump. */
typedef struct Chunk {
    struct Chunk *next;
    ssize_t len;
    char data[RECV_SIZE];
} Chunk;

typedef struct {
    int fd;
    unsigned int seq;
    pthread_mutex_t lock;
    pthread_cond_t more;
    Chunk *head, *tail;
    int finished;  /* the receiver has queued its last chunk */
    int error;     /* the errno of a failed recv (or ENOMEM) */
} Feed;

/* Whether a chunk holds the end of dump seq: NLMSG_DONE, or an NLMSG_ERROR. */
static int ends_dump(const char *data, ssize_t got, unsigned int seq) {
    int left = (int)got;  /* int: NLMSG_NEXT may take it below zero, which NLMSG_OK rejects */
    for (const struct nlmsghdr *h = (const struct nlmsghdr *)data; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
        if (h->nlmsg_seq == seq && (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR))
            return 1;
    return left > 0;  /* bytes that are no whole message: the dump cannot go on (the reader stops too) */
}

/* Whether h ends a dump (NLMSG_DONE or NLMSG_ERROR); *code: the errno a failed dump gives
   in the payload of either, negated (left as it is where there is none). */
static int dump_end(const struct nlmsghdr *h, int *code) {
    if (h->nlmsg_type != NLMSG_DONE && h->nlmsg_type != NLMSG_ERROR)
        return 0;
    if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && -*(const int *)NLMSG_DATA(h) > 0)
        *code = -*(const int *)NLMSG_DATA(h);
    return 1;
}

static void *receive_dump(void *arg) {
    Feed *feed = arg;
    for (;;) {
        int error = 0, last = 0;
        Chunk *chunk = malloc(sizeof *chunk);
        if (!chunk) {
            error = ENOMEM;
        } else {
            do
                chunk->len = recv(feed->fd, chunk->data, RECV_SIZE, 0);
            while (chunk->len < 0 && errno == EINTR);
            if (chunk->len < 0) {
                error = errno;
                free(chunk);
                chunk = NULL;
            } else {
                chunk->next = NULL;
                last = chunk->len == 0 || ends_dump(chunk->data, chunk->len, feed->seq);
            }
        }
        pthread_mutex_lock(&feed->lock);
        if (chunk) {
            if (feed->tail)
                feed->tail->next = chunk;
            else
                feed->head = chunk;
            feed->tail = chunk;
        }
        if (error)
            feed->error = error;
        if (error || last)
            feed->finished = 1;
        pthread_cond_signal(&feed->more);
        pthread_mutex_unlock(&feed->lock);
        if (error || last)
            return NULL;
    }
}

/* The next chunk, waiting for it without the GIL; NULL once the receiver is done. */
static Chunk *next_chunk(Feed *feed) {
    Chunk *chunk;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&feed->lock);
    while (!feed->head && !feed->finished)
        pthread_cond_wait(&feed->more, &feed->lock);
    chunk = feed->head;
    if (chunk) {
        feed->head = chunk->next;
        if (!feed->head)
            feed->tail = NULL;
    }
    pthread_mutex_unlock(&feed->lock);
    Py_END_ALLOW_THREADS
    return chunk;
}

/* One inet_diag_msg -> factory(...) or NULL with an exception set. */
static PyObject *inet_record(const struct inet_diag_msg *msg, size_t len, int af, PyObject *factory,
                             PyObject *proto, PyObject *family, PyObject *state_names,
                             PyObject *close_name, int want) {
    char local[INET6_ADDRSTRLEN], remote[INET6_ADDRSTRLEN];
    if (!inet_ntop(af, msg->id.idiag_src, local, sizeof local) ||
        !inet_ntop(af, msg->id.idiag_dst, remote, sizeof remote)) {
        PyErr_SetFromErrno(PyExc_OSError);
        return NULL;
    }
    PyObject *state;
    if (msg->idiag_state == 7) {
        state = close_name;  /* TCP_CLOSE: CLOSE for TCP, UNCONN otherwise, as ss */
        Py_INCREF(state);
    } else if (msg->idiag_state < PyTuple_GET_SIZE(state_names)) {
        state = PyTuple_GET_ITEM(state_names, msg->idiag_state);
        Py_INCREF(state);
    } else {
        state = PyUnicode_FromFormat("%d", msg->idiag_state);
    }
    PyObject *info = Py_None, *skmem = Py_None, *cgroup = Py_None;
    Py_INCREF(info);
    Py_INCREF(skmem);
    Py_INCREF(cgroup);
    if (want) {
        size_t offset = NLMSG_ALIGN(sizeof *msg);
        while (offset + sizeof(struct nlattr) <= len) {
            const struct nlattr *attr = (const struct nlattr *)((const char *)msg + offset);
            if (attr->nla_len < sizeof *attr || offset + attr->nla_len > len)
                break;
            int type = attr->nla_type & NLA_TYPE_MASK;
            const char *data = (const char *)attr + NLA_HDRLEN;
            Py_ssize_t size = attr->nla_len - NLA_HDRLEN;
            if (type == INET_DIAG_INFO && (want & WANT_INFO) && info == Py_None) {
                Py_DECREF(info);
                info = PyBytes_FromStringAndSize(data, size);
            } else if (type == INET_DIAG_SKMEMINFO && (want & WANT_SKMEM) && skmem == Py_None) {
                Py_DECREF(skmem);
                skmem = PyBytes_FromStringAndSize(data, size);
            } else if (type == INET_DIAG_CGROUP_ID && (want & WANT_CGROUP) && cgroup == Py_None &&
                       size >= (Py_ssize_t)sizeof(unsigned long long)) {
                unsigned long long id;
                memcpy(&id, data, sizeof id);
                Py_DECREF(cgroup);
                cgroup = PyLong_FromUnsignedLongLong(id);
            }
            offset += NLA_ALIGN(attr->nla_len);
        }
    }
    PyObject *args[20] = {
        proto,
        family,
        state,
        PyUnicode_FromString(local),
        PyLong_FromLong(ntohs(msg->id.idiag_sport)),
        PyUnicode_FromString(remote),
        PyLong_FromLong(ntohs(msg->id.idiag_dport)),
        PyLong_FromUnsignedLong(msg->idiag_rqueue),
        PyLong_FromUnsignedLong(msg->idiag_wqueue),
        PyLong_FromUnsignedLong(msg->idiag_uid),
        PyLong_FromUnsignedLong(msg->idiag_inode),
        PyLong_FromUnsignedLongLong((unsigned long long)msg->id.idiag_cookie[0] |
                                    ((unsigned long long)msg->id.idiag_cookie[1] << 32)),
        PyLong_FromUnsignedLong(msg->id.idiag_if),
        Py_None,
        PyLong_FromLong(msg->idiag_timer),
        PyLong_FromUnsignedLong(msg->idiag_expires),
        info,
        PyLong_FromLong(msg->idiag_retrans),
        skmem,
        cgroup,
    };
    PyObject *record = NULL;
    int ok = 1;
    for (int i = 0; i < 20; i++)
        if (!args[i])
            ok = 0;
    if (ok)
        record = PyObject_Vectorcall(factory, args, 20, NULL);
    /* args[0], [1] and [13] are borrowed; the rest are ours */
    for (int i = 2; i < 20; i++)
        if (i != 13)
            Py_XDECREF(args[i]);
    return record;
}

/* Over 80 lines: the receiver thread is started, drained and joined here, and
   every exit path must join it and free what it queued; kept in one place. */
PyObject *netlab_inet_messages(PyObject *self, PyObject *args) {
    int fd, af, want;
    unsigned int seq;
    PyObject *factory, *proto, *family, *state_names;
    if (!PyArg_ParseTuple(args, "iIOUUiO!i:inet_messages", &fd, &seq, &factory, &proto, &family, &af,
                          &PyTuple_Type, &state_names, &want))
        return NULL;
    if (af != AF_INET && af != AF_INET6) {
        PyErr_SetString(PyExc_ValueError, "af must be AF_INET or AF_INET6");
        return NULL;
    }
    PyObject *close_name = PyUnicode_FromString(PyUnicode_CompareWithASCIIString(proto, "tcp") == 0 ? "CLOSE" : "UNCONN");
    PyObject *records = PyList_New(0);
    if (!close_name || !records) {
        Py_XDECREF(close_name);
        Py_XDECREF(records);
        return NULL;
    }
    Feed feed = {.fd = fd, .seq = seq};
    pthread_mutex_init(&feed.lock, NULL);
    pthread_cond_init(&feed.more, NULL);
    pthread_t receiver;
    /* The receiver starts with every signal blocked: they stay with Python's main thread. */
    sigset_t all, old_mask;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_mask);
    int rc = pthread_create(&receiver, NULL, receive_dump, &feed);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&feed.lock);
        pthread_cond_destroy(&feed.more);
        Py_DECREF(close_name);
        Py_DECREF(records);
        errno = rc;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    /* The records cannot form cycles: a collection while 30k of them are made
       would only walk them again, a good part of the whole dump. */
    int gc_was_enabled = PyGC_Disable();
    int diag_error = 0, done = 0, failed = 0;
    Chunk *chunk;
    /* Every chunk is taken and freed, also after a failure, so the receiver can finish. */
    while ((chunk = next_chunk(&feed)) != NULL) {
        int left = (int)chunk->len;  /* int: NLMSG_NEXT may take it below zero, which NLMSG_OK rejects */
        for (const struct nlmsghdr *h = (const struct nlmsghdr *)chunk->data;
             !done && !failed && NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != seq)
                continue;  /* an answer to an earlier request */
            if (dump_end(h, &diag_error)) {
                done = 1;
                break;
            }
            size_t len = h->nlmsg_len - NLMSG_LENGTH(0);
            if (len < sizeof(struct inet_diag_msg))
                continue;
            PyObject *record = inet_record(NLMSG_DATA(h), len, af, factory, proto, family, state_names,
                                           close_name, want);
            if (!record || PyList_Append(records, record) < 0)
                failed = 1;
            Py_XDECREF(record);
        }
        if (left > 0 && !done && !failed)
            done = 1;  /* bytes that are no whole message: the end, as ends_dump() tells the receiver */
        free(chunk);
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_join(receiver, NULL);
    Py_END_ALLOW_THREADS
    pthread_mutex_destroy(&feed.lock);
    pthread_cond_destroy(&feed.more);
    if (gc_was_enabled)
        PyGC_Enable();
    Py_DECREF(close_name);
    if (!failed && feed.error) {
        errno = feed.error;
        PyErr_SetFromErrno(PyExc_OSError);
        failed = 1;
    }
    if (failed) {
        Py_DECREF(records);
        return NULL;
    }
    return Py_BuildValue("(Ni)", records, diag_error);
}

/* ---------------------------------------------------------------- the packed dump
 *
 *   inet_packed(fd, seq, proto, af, out) -> error
 *       Reads a dump already sent on fd, as inet_messages does, and appends each
 *       socket to the bytearray out as a PackedSock (_speedups.h): no Python
 *       object per socket, and no GIL held while the kernel answers. proto is
 *       PACKED_TCP or PACKED_UDP. error as inet_messages's.
 *
 *   packed_records(packed, factory, state_names) -> records
 *       The records inet_messages would have made of those sockets (want 0).
 */

typedef struct {
    char *data;
    size_t len, cap;
} Buffer;

static int buffer_add(Buffer *b, const void *data, size_t len) {
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1 << 20;
        while (cap < b->len + len)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

/* The dump into b, without the GIL; the errno of a failed recv (or ENOMEM), else 0.
   af 0: a dump of both families (the compatibility request), each socket's own af kept. */
static int read_packed(int fd, unsigned int seq, int proto, int af, Buffer *b, int *diag_error) {
    char *chunk = malloc(RECV_SIZE);
    if (!chunk)
        return ENOMEM;
    int error = 0, done = 0;
    while (!done && !error) {
        ssize_t got;
        do
            got = recv(fd, chunk, RECV_SIZE, 0);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            error = errno;
            break;
        }
        if (got == 0)
            break;
        int left = (int)got;  /* int: NLMSG_NEXT may take it below zero, which NLMSG_OK rejects */
        for (const struct nlmsghdr *h = (const struct nlmsghdr *)chunk; !done && NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != seq)
                continue;  /* an answer to an earlier request */
            if (dump_end(h, diag_error)) {
                done = 1;
                break;
            }
            if (h->nlmsg_len - NLMSG_LENGTH(0) < sizeof(struct inet_diag_msg))
                continue;
            PackedSock sock = {.af = (uint8_t)af, .proto = (uint8_t)proto};
            memcpy(&sock.msg, NLMSG_DATA(h), sizeof sock.msg);
            if (!af)  /* both families asked for at once: each socket says its own */
                sock.af = sock.msg.idiag_family;
            if (buffer_add(b, &sock, sizeof sock) < 0)
                error = ENOMEM;
            if (error)
                break;
        }
        if (left > 0 && !done)
            done = 1;  /* bytes that are no whole message: the end, as in inet_messages */
    }
    free(chunk);
    return error;
}

PyObject *netlab_inet_packed(PyObject *self, PyObject *args) {
    int fd, proto, af;
    unsigned int seq;
    PyObject *out;
    if (!PyArg_ParseTuple(args, "iIiiO!:inet_packed", &fd, &seq, &proto, &af, &PyByteArray_Type, &out))
        return NULL;
    if ((af != AF_INET && af != AF_INET6) || (proto != PACKED_TCP && proto != PACKED_UDP)) {
        PyErr_SetString(PyExc_ValueError, "af must be AF_INET or AF_INET6, proto PACKED_TCP or PACKED_UDP");
        return NULL;
    }
    Buffer b = {0};
    int error, diag_error = 0;
    Py_BEGIN_ALLOW_THREADS
    error = read_packed(fd, seq, proto, af, &b, &diag_error);
    Py_END_ALLOW_THREADS
    if (error) {
        free(b.data);
        errno = error;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    Py_ssize_t start = PyByteArray_GET_SIZE(out);
    int rc = b.len ? PyByteArray_Resize(out, start + (Py_ssize_t)b.len) : 0;
    if (rc == 0 && b.len)
        memcpy(PyByteArray_AS_STRING(out) + start, b.data, b.len);
    free(b.data);
    if (rc < 0)
        return NULL;
    return PyLong_FromLong(diag_error);
}

PyObject *netlab_packed_records(PyObject *self, PyObject *args) {
    Py_buffer packed;
    PyObject *factory, *state_names;
    if (!PyArg_ParseTuple(args, "y*OO!:packed_records", &packed, &factory, &PyTuple_Type, &state_names))
        return NULL;
    static const char *const protos[] = {"tcp", "udp"}, *const closes[] = {"CLOSE", "UNCONN"};
    PyObject *proto[2] = {NULL}, *close_name[2] = {NULL}, *inet = PyUnicode_InternFromString("inet"),
             *inet6 = PyUnicode_InternFromString("inet6");
    for (int i = 0; i < 2; i++) {
        proto[i] = PyUnicode_InternFromString(protos[i]);
        close_name[i] = PyUnicode_InternFromString(closes[i]);
    }
    Py_ssize_t n = packed.len / (Py_ssize_t)sizeof(PackedSock);
    int made = proto[0] && proto[1] && close_name[0] && close_name[1] && inet && inet6;
    PyObject *records = made ? PyList_New(n) : NULL;
    int gc_was_enabled = PyGC_Disable();  /* no cycles among the records, as in inet_messages */
    for (Py_ssize_t i = 0; records && i < n; i++) {
        PackedSock sock;
        memcpy(&sock, (const char *)packed.buf + i * sizeof sock, sizeof sock);
        int p = sock.proto == PACKED_UDP;
        PyObject *record = inet_record(&sock.msg, sizeof sock.msg, sock.af, factory, proto[p],
                                       sock.af == AF_INET6 ? inet6 : inet, state_names, close_name[p], 0);
        if (!record)
            Py_CLEAR(records);
        else
            PyList_SET_ITEM(records, i, record);
    }
    if (gc_was_enabled)
        PyGC_Enable();
    for (int i = 0; i < 2; i++) {
        Py_XDECREF(proto[i]);
        Py_XDECREF(close_name[i]);
    }
    Py_XDECREF(inet);
    Py_XDECREF(inet6);
    PyBuffer_Release(&packed);
    return records;
}

/* ---------------------------------------------------------------- the packed dump, whole
 *
 *   packed_start(requests) -> job; packed_join(job) -> (packed, diag_error, error)
 *       The dumps of requests, a sequence of (proto, af, states[, bytecode]): PACKED_TCP
 *       or PACKED_UDP, AF_INET or AF_INET6, a mask of kernel states, and inet_diag
 *       bytecode the kernel runs on each socket (netlab.core.bytecode; a refused
 *       program is the dump's diag_error, EINVAL). af 0 (TCP, without bytecode
 *       ): both families in one pass of the kernel's tables, IPv4 first as
 *       two dumps would list them (the compatibility request, TCPDIAG_GETSOCK,
 *       which dumps every family: the IPv6 dump of a busy IPv4 host walks every
 *       IPv4 socket again); where the kernel refuses it, the two dumps. A thread of
 *       its own opens the NETLINK_SOCK_DIAG socket, asks and reads, one request
 *       after the other, with inet_packed's reader (the caller may do other
 *       work meanwhile: the walk of /proc runs in a thread too). packed is
 *       a bytes of PackedSock; diag_error the errno a dump was answered with
 *       (the dumps end there), error the errno of the socket (no sock_diag
 *       here), else 0.
 */

#define PACKED_JOB_CAPSULE "netlab.packedjob"
#define MAX_REQUESTS 8

typedef struct {
    pthread_t thread;
    int joined;
    int n;
    struct { int proto, af; unsigned int states; char *bytecode; Py_ssize_t bytecode_len; } requests[MAX_REQUESTS];
    Buffer out;
    int diag_error, error;
} PackedJob;

/* Asks for one dump (seq) of inet sockets: inet_diag_req_v2, those in these states that the
 * bytecode (bytecode_len bytes, a multiple of 4; 0: none) accepts, as an INET_DIAG_REQ_BYTECODE
 * attribute after the request. */
static int send_request(int fd, unsigned int seq, int proto, int af, unsigned int states,
                        const char *bytecode, size_t bytecode_len) {
    struct {
        struct nlmsghdr h;
        struct inet_diag_req_v2 r;
    } msg = {
        .h = {.nlmsg_len = sizeof msg, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
              .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq},
        .r = {.sdiag_family = (uint8_t)af, .sdiag_protocol = proto == PACKED_UDP ? IPPROTO_UDP : IPPROTO_TCP,
              .idiag_states = states, .id = {.idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
    };
    struct rtattr attr = {.rta_len = (unsigned short)RTA_LENGTH(bytecode_len), .rta_type = INET_DIAG_REQ_BYTECODE};
    struct iovec parts[3] = {{&msg, sizeof msg}, {&attr, sizeof attr}, {(void *)bytecode, bytecode_len}};
    if (bytecode_len)
        msg.h.nlmsg_len += RTA_SPACE(bytecode_len);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    struct msghdr hdr = {.msg_name = &kernel, .msg_namelen = sizeof kernel, .msg_iov = parts,
                         .msg_iovlen = bytecode_len ? 3 : 1};
    ssize_t sent;
    do
        sent = sendmsg(fd, &hdr, 0);
    while (sent < 0 && errno == EINTR);
    return sent < 0 ? errno : 0;
}

/* Asks for one dump of TCP sockets of every family: inet_diag_req, the request before v2. */
static int send_compat_request(int fd, unsigned int seq, unsigned int states) {
    struct {
        struct nlmsghdr h;
        struct inet_diag_req r;
    } msg = {
        .h = {.nlmsg_len = sizeof msg, .nlmsg_type = TCPDIAG_GETSOCK,
              .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq},
        .r = {.idiag_states = states, .id = {.idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
    };
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent;
    do
        sent = sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel);
    while (sent < 0 && errno == EINTR);
    return sent < 0 ? errno : 0;
}

/* The sockets from start on, IPv4 first, each family in the order the kernel sent it. */
static int ipv4_first(Buffer *b, size_t start) {
    PackedSock *socks = (PackedSock *)(b->data + start);
    size_t n = (b->len - start) / sizeof *socks, kept = 0, moved = 0;
    PackedSock *ipv6 = malloc((n ? n : 1) * sizeof *socks);
    if (!ipv6)
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (socks[i].af == AF_INET)
            memmove(&socks[kept++], &socks[i], sizeof *socks);
        else
            ipv6[moved++] = socks[i];
    }
    memcpy(&socks[kept], ipv6, moved * sizeof *socks);
    free(ipv6);
    return 0;
}

/* One request of the job (seq counts the dumps asked for); the errno of the socket, else 0. */
static int packed_request(PackedJob *job, int fd, unsigned int *seq, int i, int proto, int af, unsigned int states) {
    if (af) {
        int error = send_request(fd, ++*seq, proto, af, states, job->requests[i].bytecode,
                                 (size_t)job->requests[i].bytecode_len);
        return error ? error : read_packed(fd, *seq, proto, af, &job->out, &job->diag_error);
    }
    size_t start = job->out.len;
    int refused = 0;
    int error = send_compat_request(fd, ++*seq, states);
    if (!error)
        error = read_packed(fd, *seq, PACKED_TCP, 0, &job->out, &refused);
    if (error)
        return error;
    if (!refused)
        return ipv4_first(&job->out, start);
    job->out.len = start;  /* no compatibility dump here: one family after the other */
    error = packed_request(job, fd, seq, i, proto, AF_INET, states);
    return error || job->diag_error ? error : packed_request(job, fd, seq, i, proto, AF_INET6, states);
}

static void *packed_job_run(void *arg) {
    PackedJob *job = arg;
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        job->error = errno;
        return NULL;
    }
    int size = 1 << 20;  /* as _nl_socket: a busy dump outruns the default buffer */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_nl local = {.nl_family = AF_NETLINK};
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0)
        job->error = errno;
    unsigned int seq = 0;
    for (int i = 0; i < job->n && !job->error && !job->diag_error; i++)
        job->error = packed_request(job, fd, &seq, i, job->requests[i].proto, job->requests[i].af,
                                    job->requests[i].states);
    close(fd);
    return NULL;
}

/* The job's memory: its requests' bytecode, its output, itself. */
static void packed_job_release(PackedJob *job) {
    for (int i = 0; i < MAX_REQUESTS; i++)
        free(job->requests[i].bytecode);
    free(job->out.data);
    free(job);
}

static void packed_job_free(PyObject *capsule) {
    PackedJob *job = PyCapsule_GetPointer(capsule, PACKED_JOB_CAPSULE);
    if (!job->joined) {
        Py_BEGIN_ALLOW_THREADS
        pthread_join(job->thread, NULL);
        Py_END_ALLOW_THREADS
    }
    packed_job_release(job);
}

PyObject *netlab_packed_start(PyObject *self, PyObject *requests_arg) {
    PyObject *requests = PySequence_Fast(requests_arg, "requests must be a sequence of (proto, af, states[, bytecode])");
    if (!requests)
        return NULL;
    PackedJob *job = calloc(1, sizeof *job);
    if (!job) {
        Py_DECREF(requests);
        return PyErr_NoMemory();
    }
    job->n = (int)PySequence_Fast_GET_SIZE(requests);
    int ok = job->n <= MAX_REQUESTS;
    if (!ok)
        PyErr_SetString(PyExc_ValueError, "packed_start: too many requests");
    for (int i = 0; ok && i < job->n; i++) {
        const char *bytecode = NULL;
        Py_ssize_t bytecode_len = 0;
        ok = PyArg_ParseTuple(PySequence_Fast_GET_ITEM(requests, i), "iiI|y#;a request is (proto, af, states[, bytecode])",
                              &job->requests[i].proto, &job->requests[i].af, &job->requests[i].states,
                              &bytecode, &bytecode_len);
        int proto = job->requests[i].proto, af = job->requests[i].af;
        if (ok && ((proto != PACKED_TCP && proto != PACKED_UDP) ||
                   (af != AF_INET && af != AF_INET6 && !(af == 0 && proto == PACKED_TCP && !bytecode_len)))) {
            PyErr_SetString(PyExc_ValueError, "proto must be PACKED_TCP or PACKED_UDP, af AF_INET or AF_INET6 "
                                              "(or 0 with PACKED_TCP and no bytecode)");
            ok = 0;
        }
        if (ok && (bytecode_len % 4 || bytecode_len > 65000)) {  /* the kernel's ops are 4-byte aligned */
            PyErr_SetString(PyExc_ValueError, "bytecode must be whole 4-byte ops, under 64 KiB");
            ok = 0;
        }
        if (ok && bytecode_len) {
            job->requests[i].bytecode = malloc((size_t)bytecode_len);
            if (!job->requests[i].bytecode) {
                PyErr_NoMemory();
                ok = 0;
            } else {
                memcpy(job->requests[i].bytecode, bytecode, (size_t)bytecode_len);
                job->requests[i].bytecode_len = bytecode_len;
            }
        }
    }
    Py_DECREF(requests);
    if (!ok) {
        packed_job_release(job);
        return NULL;
    }
    /* The thread starts with every signal blocked: they stay with Python's main thread. */
    sigset_t all, old_mask;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_mask);
    int rc = pthread_create(&job->thread, NULL, packed_job_run, job);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (rc != 0) {
        packed_job_release(job);
        errno = rc;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    PyObject *capsule = PyCapsule_New(job, PACKED_JOB_CAPSULE, packed_job_free);
    if (!capsule) {
        pthread_join(job->thread, NULL);
        packed_job_release(job);
    }
    return capsule;
}

PyObject *netlab_packed_join(PyObject *self, PyObject *capsule) {
    PackedJob *job = PyCapsule_GetPointer(capsule, PACKED_JOB_CAPSULE);
    if (!job)
        return NULL;
    if (job->joined) {
        PyErr_SetString(PyExc_ValueError, "packed_join: this dump was taken already");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_join(job->thread, NULL);
    Py_END_ALLOW_THREADS
    job->joined = 1;
    PyObject *packed = PyBytes_FromStringAndSize(job->out.data ? job->out.data : "", (Py_ssize_t)job->out.len);
    free(job->out.data);
    job->out = (Buffer){0};
    if (!packed)
        return NULL;
    return Py_BuildValue("(Nii)", packed, job->diag_error, job->error);
}
