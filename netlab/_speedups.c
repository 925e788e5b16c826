/*
 * netlab._speedups: the loops of `netlab conns` that are too slow in Python, in
 * C. No library does them fast (psutil's net_connections walks /proc in Python;
 * tabulate took 711 ms to align 30k rows), and each has a pure-Python twin that
 * stays the reference, used where this module was not built:
 *
 *   socket_fds(pids=None) -> (holders, names, hidden)
 *       The walk of /proc/PID/fd: a readlink per descriptor. Same result as
 *       netlab.core.owners.walk_socket_fds(): holders {inode: [(pid, fd), ...]},
 *       names {pid: comm} for the processes holding sockets, and how many
 *       processes could not be looked at. The walk runs without the GIL, so a
 *       Python thread can run it while the main thread does other work.
 *
 *   inet_messages(fd, seq, factory, proto, family, af, state_names, want_info)
 *       -> (records, error)
 *       Reads a sock_diag dump that was already sent on netlink socket fd and
 *       turns each inet_diag_msg into factory(proto, family, state, local_addr,
 *       local_port, remote_addr, remote_port, recv_q, send_q, uid, inode,
 *       cookie, interface, None, timer, expires_ms, info), info being the raw
 *       INET_DIAG_INFO bytes when asked for, else None. error is 0, or the
 *       errno the kernel answered the dump with. Same records as
 *       netlab.core.diag._inet_dump_py().
 *
 *   aligned(rows, headers, right) -> str or None
 *       A table of string cells as tabulate's "plain" format prints it: each
 *       column as wide as its widest cell or its header plus two, columns
 *       joined by two spaces, right[i] right-aligns column i, trailing
 *       whitespace stripped from every line. None if a cell holds a line
 *       break (tabulate lays those out). Same as netlab.render.plain_table_py().
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------ the /proc walk */

typedef struct {
    unsigned long long inode;
    int pid;
    int fd;
} Holder;

typedef struct {
    int pid;
    char comm[64];  /* the kernel keeps 16 bytes; room to spare */
    ssize_t comm_len;
} Proc;

typedef struct {
    Holder *holders;
    size_t n_holders, cap_holders;
    Proc *procs;
    size_t n_procs, cap_procs;
    long hidden;
    int out_of_memory;
} Walk;

static int grow(void **items, size_t *cap, size_t need, size_t item_size) {
    if (need <= *cap)
        return 1;
    size_t cap2 = *cap ? *cap * 2 : 1024;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(*items, cap2 * item_size);
    if (!p)
        return 0;
    *items = p;
    *cap = cap2;
    return 1;
}

/* A non-negative decimal without sign or junk, as /proc names pids and fds. */
static int parse_uint(const char *s, int *out) {
    long v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
        if (v > 0x7fffffff)
            return 0;
    }
    *out = (int)v;
    return 1;
}

static void read_comm(Proc *proc) {
    char path[40];
    snprintf(path, sizeof path, "/proc/%d/comm", proc->pid);
    proc->comm_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;  /* exited since: no name, as the Python walk does */
    ssize_t n = read(fd, proc->comm, sizeof proc->comm);
    close(fd);
    if (n <= 0)
        return;
    if (proc->comm[n - 1] == '\n')
        n--;  /* the one the kernel adds: a name may hold newlines of its own */
    proc->comm_len = n;
}

static void walk_process(Walk *w, int pid) {
    char path[40];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    int dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        if (errno == EACCES || errno == EPERM)
            w->hidden++;
        return;  /* otherwise the process exited mid-walk */
    }
    DIR *dir = fdopendir(dir_fd);
    if (!dir) {
        close(dir_fd);
        return;
    }
    int found = 0;
    struct dirent *entry;
    char target[64];
    while ((entry = readdir(dir)) != NULL) {
        int fd;
        if (!parse_uint(entry->d_name, &fd))
            continue;  /* "." and ".." */
        ssize_t len = readlinkat(dir_fd, entry->d_name, target, sizeof target - 1);
        if (len < 0) {
            if (errno == EACCES || errno == EPERM) {  /* listable but not ours to read */
                w->hidden++;
                break;
            }
            continue;  /* the descriptor was closed mid-walk */
        }
        if (len < 10 || memcmp(target, "socket:[", 8) != 0 || target[len - 1] != ']')
            continue;
        target[len - 1] = '\0';
        char *end;
        unsigned long long inode = strtoull(target + 8, &end, 10);
        if (*end != '\0')
            continue;
        if (!grow((void **)&w->holders, &w->cap_holders, w->n_holders + 1, sizeof(Holder))) {
            w->out_of_memory = 1;
            break;
        }
        w->holders[w->n_holders++] = (Holder){inode, pid, fd};
        found = 1;
    }
    closedir(dir);
    if (found) {
        if (!grow((void **)&w->procs, &w->cap_procs, w->n_procs + 1, sizeof(Proc))) {
            w->out_of_memory = 1;
            return;
        }
        Proc *proc = &w->procs[w->n_procs++];
        proc->pid = pid;
        read_comm(proc);
    }
}

static void walk_all(Walk *w) {
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL && !w->out_of_memory) {
        int pid;
        if (parse_uint(entry->d_name, &pid))
            walk_process(w, pid);
    }
    closedir(proc);
}

/* holders {inode: [(pid, fd), ...]} from the C arrays (with the GIL held). */
static PyObject *holders_dict(const Walk *w) {
    PyObject *holders = PyDict_New();
    if (!holders)
        return NULL;
    for (size_t i = 0; i < w->n_holders; i++) {
        const Holder *h = &w->holders[i];
        PyObject *key = PyLong_FromUnsignedLongLong(h->inode);
        PyObject *pair = Py_BuildValue("(ii)", h->pid, h->fd);
        if (!key || !pair)
            goto fail_item;
        PyObject *list = PyDict_GetItemWithError(holders, key);  /* borrowed */
        if (list) {
            if (PyList_Append(list, pair) < 0)
                goto fail_item;
        } else {
            if (PyErr_Occurred())
                goto fail_item;
            list = PyList_New(1);
            if (!list)
                goto fail_item;
            Py_INCREF(pair);
            PyList_SET_ITEM(list, 0, pair);
            int rc = PyDict_SetItem(holders, key, list);
            Py_DECREF(list);
            if (rc < 0)
                goto fail_item;
        }
        Py_DECREF(key);
        Py_DECREF(pair);
        continue;
    fail_item:
        Py_XDECREF(key);
        Py_XDECREF(pair);
        Py_DECREF(holders);
        return NULL;
    }
    return holders;
}

static PyObject *names_dict(const Walk *w) {
    PyObject *names = PyDict_New();
    if (!names)
        return NULL;
    for (size_t i = 0; i < w->n_procs; i++) {
        const Proc *p = &w->procs[i];
        PyObject *key = PyLong_FromLong(p->pid);
        /* comm is bytes to the kernel; show undecodable ones as U+FFFD, never fail */
        PyObject *name = PyUnicode_DecodeUTF8(p->comm, p->comm_len, "replace");
        int rc = (key && name) ? PyDict_SetItem(names, key, name) : -1;
        Py_XDECREF(key);
        Py_XDECREF(name);
        if (rc < 0) {
            Py_DECREF(names);
            return NULL;
        }
    }
    return names;
}

static PyObject *socket_fds(PyObject *self, PyObject *args) {
    PyObject *pids_arg = Py_None;
    if (!PyArg_ParseTuple(args, "|O:socket_fds", &pids_arg))
        return NULL;
    int *pids = NULL;
    Py_ssize_t n_pids = -1;  /* -1: every process */
    if (pids_arg != Py_None) {
        PyObject *seq = PySequence_Fast(pids_arg, "pids must be a sequence of ints");
        if (!seq)
            return NULL;
        n_pids = PySequence_Fast_GET_SIZE(seq);
        pids = PyMem_Malloc((n_pids ? n_pids : 1) * sizeof(int));
        if (!pids) {
            Py_DECREF(seq);
            return PyErr_NoMemory();
        }
        for (Py_ssize_t i = 0; i < n_pids; i++) {
            int overflow;
            long v = PyLong_AsLongAndOverflow(PySequence_Fast_GET_ITEM(seq, i), &overflow);
            if (v == -1 && PyErr_Occurred()) {
                Py_DECREF(seq);
                PyMem_Free(pids);
                return NULL;
            }
            pids[i] = (overflow || v <= 0 || v > 0x7fffffff) ? 0 : (int)v;  /* 0: no such process */
        }
        Py_DECREF(seq);
    }

    Walk w = {0};
    Py_BEGIN_ALLOW_THREADS
    if (n_pids < 0)
        walk_all(&w);
    else
        for (Py_ssize_t i = 0; i < n_pids && !w.out_of_memory; i++)
            if (pids[i] > 0)
                walk_process(&w, pids[i]);
    Py_END_ALLOW_THREADS
    PyMem_Free(pids);

    PyObject *result = NULL;
    if (w.out_of_memory) {
        PyErr_NoMemory();
    } else {
        PyObject *holders = holders_dict(&w);
        PyObject *names = holders ? names_dict(&w) : NULL;
        if (holders && names)
            result = Py_BuildValue("(NNl)", holders, names, w.hidden);
        else {
            Py_XDECREF(holders);
            Py_XDECREF(names);
        }
    }
    free(w.holders);
    free(w.procs);
    return result;
}

/* ------------------------------------------------------------ the inet dump */

#define RECV_SIZE (1 << 16)

/* The dump is read by a thread of its own while the caller turns what came
 * before into records: the kernel fills the next 32 KiB while Python builds
 * the last ones (10k sockets: 11 ms instead of 17). Chunks pass through a
 * queue; the receiver stops after the message that ends the dump. */
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
                             PyObject *close_name, int want_info) {
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
    PyObject *info = Py_None;
    Py_INCREF(info);
    if (want_info) {
        size_t offset = NLMSG_ALIGN(sizeof *msg);
        while (offset + sizeof(struct nlattr) <= len) {
            const struct nlattr *attr = (const struct nlattr *)((const char *)msg + offset);
            if (attr->nla_len < sizeof *attr || offset + attr->nla_len > len)
                break;
            if ((attr->nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO) {
                Py_DECREF(info);
                info = PyBytes_FromStringAndSize((const char *)attr + NLA_HDRLEN, attr->nla_len - NLA_HDRLEN);
                break;
            }
            offset += NLA_ALIGN(attr->nla_len);
        }
    }
    PyObject *args[17] = {
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
    };
    PyObject *record = NULL;
    int ok = 1;
    for (int i = 0; i < 17; i++)
        if (!args[i])
            ok = 0;
    if (ok)
        record = PyObject_Vectorcall(factory, args, 17, NULL);
    /* args[0], [1] and [13] are borrowed; the rest are ours */
    for (int i = 2; i < 17; i++)
        if (i != 13)
            Py_XDECREF(args[i]);
    return record;
}

static PyObject *inet_messages(PyObject *self, PyObject *args) {
    int fd, af, want_info;
    unsigned int seq;
    PyObject *factory, *proto, *family, *state_names;
    if (!PyArg_ParseTuple(args, "iIOUUiO!p:inet_messages", &fd, &seq, &factory, &proto, &family, &af,
                          &PyTuple_Type, &state_names, &want_info))
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
       would only walk them again (12 ms of 50 here). */
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
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                /* A failed dump says so with a negative errno, in DONE's payload or ERROR's */
                if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
                    int code = -*(const int *)NLMSG_DATA(h);
                    if (code > 0)
                        diag_error = code;
                }
                done = 1;
                break;
            }
            size_t len = h->nlmsg_len - NLMSG_LENGTH(0);
            if (len < sizeof(struct inet_diag_msg))
                continue;
            PyObject *record = inet_record(NLMSG_DATA(h), len, af, factory, proto, family, state_names,
                                           close_name, want_info);
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

/* ------------------------------------------------------------ the table aligner */

static PyObject *aligned(PyObject *self, PyObject *args) {
    PyObject *rows_arg, *headers_arg, *right_arg;
    if (!PyArg_ParseTuple(args, "OOO:aligned", &rows_arg, &headers_arg, &right_arg))
        return NULL;
    PyObject *rows = PySequence_Fast(rows_arg, "rows must be a sequence");
    PyObject *headers = rows ? PySequence_Fast(headers_arg, "headers must be a sequence") : NULL;
    PyObject *right = headers ? PySequence_Fast(right_arg, "right must be a sequence") : NULL;
    PyObject **lines = NULL;  /* owned: headers, then each row, as fast sequences */
    Py_ssize_t *widths = NULL;
    int *right_aligned = NULL;
    PyObject *result = NULL;
    Py_ssize_t n_lines = 0;
    if (!right)
        goto done;
    Py_ssize_t n_rows = PySequence_Fast_GET_SIZE(rows);
    Py_ssize_t n_cols = PySequence_Fast_GET_SIZE(headers);
    if (PySequence_Fast_GET_SIZE(right) != n_cols) {
        PyErr_SetString(PyExc_ValueError, "right must have one entry per column");
        goto done;
    }
    lines = PyMem_Calloc(n_rows + 1, sizeof *lines);
    widths = PyMem_Calloc(n_cols ? n_cols : 1, sizeof *widths);
    right_aligned = PyMem_Calloc(n_cols ? n_cols : 1, sizeof *right_aligned);
    if (!lines || !widths || !right_aligned) {
        PyErr_NoMemory();
        goto done;
    }
    Py_INCREF(headers);
    lines[n_lines++] = headers;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        PyObject *row = PySequence_Fast(PySequence_Fast_GET_ITEM(rows, r), "each row must be a sequence");
        if (!row)
            goto done;
        lines[n_lines++] = row;
        if (PySequence_Fast_GET_SIZE(row) != n_cols) {
            PyErr_Format(PyExc_ValueError, "row %zd has %zd cells for %zd columns", r,
                         PySequence_Fast_GET_SIZE(row), n_cols);
            goto done;
        }
    }
    /* widths, and the widest character, which sets the kind of the result */
    Py_UCS4 max_char = 127;
    for (Py_ssize_t l = 0; l < n_lines; l++) {
        PyObject **cells = PySequence_Fast_ITEMS(lines[l]);
        for (Py_ssize_t c = 0; c < n_cols; c++) {
            if (!PyUnicode_Check(cells[c])) {
                PyErr_Format(PyExc_TypeError, "cells must be str, not %.100s", Py_TYPE(cells[c])->tp_name);
                goto done;
            }
            Py_ssize_t len = PyUnicode_GET_LENGTH(cells[c]) + (l == 0 ? 2 : 0);  /* a header gets two more */
            if (len > widths[c])
                widths[c] = len;
            if (PyUnicode_MAX_CHAR_VALUE(cells[c]) > max_char)
                max_char = PyUnicode_MAX_CHAR_VALUE(cells[c]);
            if (l > 0) {
                Py_ssize_t at = PyUnicode_FindChar(cells[c], '\n', 0, len, 1);
                if (at == -2)
                    goto done;
                if (at >= 0) {  /* a line break: not for this aligner */
                    result = Py_None;
                    Py_INCREF(result);
                    goto done;
                }
            }
        }
    }
    Py_ssize_t line_width = n_cols ? 2 * (n_cols - 1) : 0;
    for (Py_ssize_t c = 0; c < n_cols; c++) {
        int is_right = PyObject_IsTrue(PySequence_Fast_GET_ITEM(right, c));
        if (is_right < 0)
            goto done;
        right_aligned[c] = is_right;
        line_width += widths[c];
    }
    /* Every line at full width, then cut back where its trailing whitespace starts. */
    result = PyUnicode_New(n_lines * (line_width + 1), max_char);
    if (!result)
        goto done;
    int kind = PyUnicode_KIND(result);
    void *data = PyUnicode_DATA(result);
    Py_ssize_t pos = 0;
    for (Py_ssize_t l = 0; l < n_lines; l++) {
        Py_ssize_t line_start = pos;
        PyObject **cells = PySequence_Fast_ITEMS(lines[l]);
        for (Py_ssize_t c = 0; c < n_cols; c++) {
            if (c > 0) {
                PyUnicode_WRITE(kind, data, pos, ' ');
                PyUnicode_WRITE(kind, data, pos + 1, ' ');
                pos += 2;
            }
            Py_ssize_t len = PyUnicode_GET_LENGTH(cells[c]);
            Py_ssize_t pad = widths[c] - len;
            if (right_aligned[c]) {
                PyUnicode_Fill(result, pos, pad, ' ');
                pos += pad;
            }
            if (PyUnicode_CopyCharacters(result, pos, cells[c], 0, len) < 0)
                goto fail;
            pos += len;
            if (!right_aligned[c]) {
                PyUnicode_Fill(result, pos, pad, ' ');
                pos += pad;
            }
        }
        while (pos > line_start && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, pos - 1)))
            pos--;  /* str.rstrip() */
        if (l < n_lines - 1)
            PyUnicode_WRITE(kind, data, pos++, '\n');
    }
    /* A new str of the kept characters: it takes the narrowest kind they fit in,
       which the widest cell need not be once trailing blanks are cut (U+3000). */
    PyObject *text = PyUnicode_FromKindAndData(kind, data, pos);
    Py_DECREF(result);
    result = text;
    goto done;

fail:
    Py_CLEAR(result);
done:
    for (Py_ssize_t l = 0; l < n_lines; l++)
        Py_DECREF(lines[l]);
    PyMem_Free(lines);
    PyMem_Free(widths);
    PyMem_Free(right_aligned);
    Py_XDECREF(rows);
    Py_XDECREF(headers);
    Py_XDECREF(right);
    return result;
}

/* ------------------------------------------------------------ the module */

static PyMethodDef methods[] = {
    {"socket_fds", socket_fds, METH_VARARGS,
     "socket_fds(pids=None) -> (holders, names, hidden): socket inodes held by processes, from /proc/PID/fd."},
    {"inet_messages", inet_messages, METH_VARARGS,
     "inet_messages(fd, seq, factory, proto, family, af, state_names, want_info) -> (records, errno)."},
    {"aligned", aligned, METH_VARARGS,
     "aligned(rows, headers, right) -> str or None: string cells as tabulate's plain format aligns them."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "The hot loops of netlab conns, in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
