/*
 * The walks over classic pcap records (16-byte headers, caplen before len) that
 * reader.py hands to C: the records as tuples, --count's count, and the filtered
 * reads, the filter run by libpcap's own bpf_filter (so its verdicts are libpcap's).
 *
 * Every walk stops, leaving it to reader.py, at what is not plain: a record whose
 * caplen is past the link type's maximum or which the buffer cuts short (damage:
 * the reader's Python loop has libpcap's words for it). A record past the snapshot
 * length but within the maximum is cut to the snapshot, as libpcap reads it.
 *
 * The buffer is a map of the file. Should the file shrink meanwhile (truncated,
 * a ring file rewritten), a page past its new end is no longer there and reading
 * it raises SIGBUS, which would end netlab. Every read of the map runs under a
 * jump buffer of its thread (guarded): the signal lands back there, the walk
 * stops as at damage, and reader.py, which checks the file's size after each
 * walk, reads on from the file itself.
 */
#include "_cprint.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* struct bpf_insn and bpf_filter() as libpcap declares them (pcap/bpf.h): no libpcap
   headers are needed to build this, and the library is found at run time (bpf_library). */
typedef struct {
    unsigned short code;
    unsigned char jt, jf;
    uint32_t k;
} bpf_insn;
typedef unsigned (*bpf_filter_fn)(const bpf_insn *, const u8 *, unsigned wirelen, unsigned buflen);

static bpf_filter_fn libpcap_bpf_filter;

#define RESYNC_CHAIN 8            /* plausible records in a row that make a place to start a second walk */
#define RESYNC_SPAN (1 << 20)     /* how far past the middle a second walk looks for one */
#define TWO_WALKS_FROM (4 << 20)  /* bytes: below this a second thread costs more than it saves */
#define WALK_AHEAD 2048           /* bytes ahead of the record it reads that the walk has on their way */
#define TAKE_AHEAD 8              /* take(): packets fetched ahead of the one made into a tuple */

/* Where a SIGBUS of this thread goes while it reads the map: NULL elsewhere. The handler reads it
   only in a thread that has set it before, so its thread-local block is already there. */
static __thread sigjmp_buf *volatile bus_landing;
static struct sigaction bus_before;  /* the handler there was: a SIGBUS not of a read of ours goes to it */
static int bus_handled;

static void on_bus(int sig, siginfo_t *info, void *context)
{
    if (bus_landing)
        siglongjmp(*bus_landing, 1);
    if (bus_before.sa_flags & SA_SIGINFO) {
        bus_before.sa_sigaction(sig, info, context);
    } else if (bus_before.sa_handler != SIG_DFL && bus_before.sa_handler != SIG_IGN) {
        bus_before.sa_handler(sig);
    } else {
        signal(SIGBUS, SIG_DFL);  /* the faulting read runs again on return, now to the default end */
    }
}

/* Our SIGBUS handler in place (once, with the GIL held): 0, or -1 with a Python error. SA_NODEFER
   leaves SIGBUS unblocked after a jump out of the handler, without saving masks at every guard. */
static int handle_bus(void)
{
    if (bus_handled)
        return 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_bus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &bus_before) < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    bus_handled = 1;
    return 0;
}

/* Runs `statement` with this thread's SIGBUS landing here: a page gone from the map runs
   `on_fault` instead of ending the process. The barriers keep the compiler from moving
   reads of the map out from between the landing's setting and its clearing. */
#define GUARDED(statement, on_fault)            \
    do {                                        \
        sigjmp_buf landing_;                    \
        if (sigsetjmp(landing_, 0)) {           \
            bus_landing = NULL;                 \
            on_fault;                           \
        } else {                                \
            bus_landing = &landing_;            \
            __asm__ volatile("" ::: "memory");  \
            statement;                          \
            __asm__ volatile("" ::: "memory");  \
            bus_landing = NULL;                 \
        }                                       \
    } while (0)

static inline uint32_t rd32(const u8 *p, int big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One walk: the records that start in [at, stop), counted, and those the program
   accepts (all of them without one) counted apart. */
typedef struct {
    const u8 *p;
    size_t size;          /* of the buffer */
    size_t at, stop;      /* in: where to start, and no record starting at or past stop is read; out: where it stopped */
    int big;
    uint32_t max_caplen;  /* past it: damage */
    uint32_t snaplen;     /* past it: the filter sees the first snaplen bytes, as libpcap reads them */
    const bpf_insn *program;
    size_t records, matched;
    int damaged;          /* stopped at a record past max_caplen or cut short */
    int collect;          /* keep where the accepted records are (scan): */
    uint32_t *hits;       /* their offsets from `base`, malloc'd */
    size_t nhits, cap, base;
    int failed;           /* no memory for them */
} walk_t;

/* Not inlined: the hits are in memory, not in registers, when a SIGBUS jumps out of the walk. */
static __attribute__((noinline)) void hit(walk_t *w, size_t at)
{
    if (w->nhits == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 4096;
        uint32_t *more = realloc(w->hits, cap * sizeof *more);
        if (!more) {
            w->failed = 1;
            return;
        }
        w->hits = more;
        w->cap = cap;
    }
    w->hits[w->nhits++] = (uint32_t)(at - w->base);
}

static void walk_records(walk_t *w)
{
    const u8 *p = w->p;
    size_t at = w->at, records = 0, matched = 0;
    size_t fetched = at;  /* every cache line before it is on its way from memory */
    while (at < w->stop) {
        if (at + 16 > w->size) {
            w->damaged = at != w->size;  /* a header cut short */
            break;
        }
        const u8 *h = p + at;
        /* The next record's place is known only once this one's length is read, a chain of loads
           the hardware cannot guess ahead of: every cache line up to WALK_AHEAD bytes on is asked
           for meanwhile, so the headers are in cache when the chain gets there (one line ahead of
           each record, as before, left the walk waiting on memory: 3x slower on an AMD EPYC). */
        for (size_t ahead = at + WALK_AHEAD; fetched < ahead && fetched < w->size; fetched += 64)
            __builtin_prefetch(p + fetched);
        uint32_t caplen = rd32(h + 8, w->big);
        if (caplen > w->max_caplen || at + 16 + caplen > w->size) {
            w->damaged = 1;
            break;
        }
        if (w->program) {
            uint32_t seen = caplen > w->snaplen ? w->snaplen : caplen;
            if (libpcap_bpf_filter(w->program, h + 16, rd32(h + 12, w->big), seen)) {
                matched++;
                if (w->collect)
                    hit(w, at);
            }
        }
        at += 16 + caplen;
        records++;
    }
    w->at = at;
    w->records += records;
    w->matched += w->program ? matched : records;
}

/* walk_records, guarded: a page gone from the map stops it as damage does, where it started
   (reader.py finds the file shorter and reads on from the file). */
static void walk(walk_t *w)
{
    GUARDED(walk_records(w), w->damaged = 1);
}

static void *walk_thread(void *arg)
{
    walk(arg);
    return NULL;
}

/* A likely record boundary at or after `from`: RESYNC_CHAIN headers in a row that look
   like records of this file (the seconds near the first record's, a fraction below a
   billion, 0 < caplen <= len). Only a guess, which the first walk checks: it must end
   exactly there, or the second walk's work is thrown away. 0: none found. */
static size_t resync(const walk_t *w, size_t from, uint32_t first_sec)
{
    size_t end = from + RESYNC_SPAN < w->stop ? from + RESYNC_SPAN : w->stop;
    for (size_t start = from; start < end; start++) {
        size_t at = start;
        int chain = 0;
        while (chain < RESYNC_CHAIN && at + 16 <= w->size) {
            const u8 *h = w->p + at;
            uint32_t sec = rd32(h, w->big), frac = rd32(h + 4, w->big);
            uint32_t caplen = rd32(h + 8, w->big), len = rd32(h + 12, w->big);
            uint32_t apart = sec > first_sec ? sec - first_sec : first_sec - sec;
            if (apart > 864000 || frac >= 1000000000u || caplen == 0 || caplen > len || caplen > w->max_caplen ||
                at + 16 + caplen > w->size)
                break;
            at += 16 + caplen;
            chain++;
        }
        if (chain == RESYNC_CHAIN)
            return start;
    }
    return 0;
}

/* w followed by the walk that started where w ended: its counts, hits and end are w's now. */
static void append_walk(walk_t *w, walk_t *next)
{
    if (next->nhits && !w->failed && !next->failed) {
        if (w->nhits + next->nhits > w->cap) {
            uint32_t *more = realloc(w->hits, (w->nhits + next->nhits) * sizeof *more);
            if (more) {
                w->hits = more;
                w->cap = w->nhits + next->nhits;
            } else {
                w->failed = 1;
            }
        }
        if (!w->failed) {
            memcpy(w->hits + w->nhits, next->hits, next->nhits * sizeof *next->hits);
            w->nhits += next->nhits;
        }
    }
    free(next->hits);
    w->at = next->at;
    w->records += next->records;
    w->matched += next->matched;
    w->damaged = next->damaged;
    w->failed |= next->failed;
}

/* The walk of [at, stop), in two threads where it is big: the second starts at a
   record boundary guessed past the middle (resync), and counts only if the first
   walk, which stops there, lands on it exactly. tcpdump reads with one core; the
   machines netlab runs on have two or more. */
static void walk_split(walk_t *w, int threads)
{
    size_t end = w->stop < w->size ? w->stop : w->size;
    if (threads < 2 || end <= w->at || end - w->at < TWO_WALKS_FROM || w->at + 16 > w->size) {
        walk(w);
        return;
    }
    size_t sync;
    GUARDED(sync = resync(w, w->at + (end - w->at) / 2, rd32(w->p + w->at, w->big)), sync = 0);
    pthread_t thread;
    walk_t second = *w;
    second.at = sync;
    second.hits = NULL;
    second.nhits = second.cap = 0;
    if (sync == 0 || pthread_create(&thread, NULL, walk_thread, &second) != 0) {
        walk(w);
        return;
    }
    size_t stop = w->stop;
    w->stop = sync;
    walk(w);
    pthread_join(thread, NULL);
    w->stop = stop;
    if (!w->damaged && w->at == sync) {
        append_walk(w, &second);
        return;
    }
    free(second.hits);
    if (w->damaged)
        return;
    walk(w);  /* the guess was no boundary: on from where the first walk got to */
}

static int parse_walk(PyObject *args, walk_t *w, Py_buffer *view, Py_buffer *program, int *threads)
{
    Py_ssize_t at, stop;
    unsigned long max_caplen, snaplen;
    memset(w, 0, sizeof *w);
    memset(program, 0, sizeof *program);
    *threads = 1;
    if (!PyArg_ParseTuple(args, "y*nnpkk|z*i", view, &at, &stop, &w->big, &max_caplen, &snaplen, program, threads))
        return -1;
    if (program->buf && (program->len == 0 || program->len % sizeof(bpf_insn) || !libpcap_bpf_filter)) {
        PyBuffer_Release(view);
        PyBuffer_Release(program);
        PyErr_SetString(PyExc_ValueError, program->len % sizeof(bpf_insn) || program->len == 0
                                              ? "a BPF program is 8-byte instructions"
                                              : "no bpf_filter: call bpf_library() first");
        return -1;
    }
    if (handle_bus() < 0) {
        PyBuffer_Release(view);
        PyBuffer_Release(program);
        return -1;
    }
    w->p = view->buf;
    w->size = (size_t)view->len;
    w->at = at < 0 ? w->size : (size_t)at;
    w->stop = stop < 0 ? 0 : (size_t)stop;
    w->max_caplen = max_caplen > UINT32_MAX ? UINT32_MAX : (uint32_t)max_caplen;
    w->snaplen = snaplen > UINT32_MAX ? UINT32_MAX : (uint32_t)snaplen;
    w->program = program->buf;
    return 0;
}

/* count(buffer, at, stop, big_endian, max_caplen, snaplen, program=None, threads=1)
   -> (records, matched, at): --count's walk, without the GIL. */
PyObject *cp_count(PyObject *module, PyObject *args)
{
    Py_buffer view, program;
    walk_t w;
    int threads;
    if (parse_walk(args, &w, &view, &program, &threads) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    walk_split(&w, threads);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyBuffer_Release(&program);
    return Py_BuildValue("nnn", (Py_ssize_t)w.records, (Py_ssize_t)w.matched, (Py_ssize_t)w.at);
}

/* scan(buffer, at, stop, big_endian, max_caplen, snaplen, program, threads=1) -> (hits, records, at):
   where the records the program accepts start, as offsets from `at` (native uint32s in bytes:
   stop - at must stay below 4 GiB), found as count() finds them: without the GIL, a big
   file in two threads. take() then makes them packets. */
PyObject *cp_scan(PyObject *module, PyObject *args)
{
    Py_buffer view, program;
    walk_t w;
    int threads;
    if (parse_walk(args, &w, &view, &program, &threads) < 0)
        return NULL;
    if (!w.program || w.stop - (w.at < w.stop ? w.at : w.stop) > UINT32_MAX) {
        PyBuffer_Release(&view);
        PyBuffer_Release(&program);
        PyErr_SetString(PyExc_ValueError, "scan() takes a program and under 4 GiB at a time");
        return NULL;
    }
    w.collect = 1;
    w.base = w.at;
    Py_BEGIN_ALLOW_THREADS
    walk_split(&w, threads);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyBuffer_Release(&program);
    PyObject *hits = w.failed ? PyErr_NoMemory() : PyBytes_FromStringAndSize((const char *)w.hits, (Py_ssize_t)(w.nhits * sizeof *w.hits));
    free(w.hits);
    if (!hits)
        return NULL;
    return Py_BuildValue("(Nnn)", hits, (Py_ssize_t)w.records, (Py_ssize_t)w.at);
}

/* take()'s loop: packets[i - first] for the hits in [first, last); 0, or -1 with a Python error. */
static int take_packets(PyObject *packets, const Py_buffer *view, size_t base, const uint32_t *at, Py_ssize_t first,
                        Py_ssize_t last, int big, unsigned long snaplen)
{
    for (Py_ssize_t i = first; i < last; i++) {
        size_t pos = base + at[i];
        if (i + TAKE_AHEAD < last) {  /* the packets a few ahead are on their way from memory meanwhile */
            const u8 *ahead = (const u8 *)view->buf + base + at[i + TAKE_AHEAD];
            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + 64);
            __builtin_prefetch(ahead + 128);
            __builtin_prefetch(ahead + 192);
        }
        const u8 *h = (const u8 *)view->buf + pos;
        uint32_t caplen = pos + 16 <= (size_t)view->len ? rd32(h + 8, big) : 0;
        if (pos + 16 > (size_t)view->len || pos + 16 + caplen > (size_t)view->len) {  /* not scan's offsets */
            PyErr_SetString(PyExc_ValueError, "take(): an offset past the buffer");
            return -1;
        }
        uint32_t seen = caplen > snaplen ? (uint32_t)snaplen : caplen;
        PyObject *packet = Py_BuildValue("(kkkky#)", (unsigned long)rd32(h, big), (unsigned long)rd32(h + 4, big),
                                         (unsigned long)seen, (unsigned long)rd32(h + 12, big), (const char *)h + 16,
                                         (Py_ssize_t)seen);
        if (!packet)
            return -1;
        PyList_SET_ITEM(packets, i - first, packet);
    }
    return 0;
}

/* take(buffer, base, hits, first, last, big_endian, snaplen) -> packets: the records at
   hits[first:last] (scan's offsets from base) as (ts_sec, ts_frac, caplen, length, data)
   tuples, a record past the snapshot length cut to it, as libpcap reads it. A page of the
   map gone (the file shrank) raises OSError(EFAULT); the packet being made then is lost
   to the garbage collector, which is what a jump out of Py_BuildValue can cost. */
PyObject *cp_take(PyObject *module, PyObject *args)
{
    Py_buffer view, hits;
    Py_ssize_t base, first, last;
    int big;
    unsigned long snaplen;
    if (!PyArg_ParseTuple(args, "y*ny*nnpk", &view, &base, &hits, &first, &last, &big, &snaplen))
        return NULL;
    Py_ssize_t n = hits.len / (Py_ssize_t)sizeof(uint32_t);
    if (first < 0)
        first = 0;
    if (last > n)
        last = n;
    PyObject *packets = handle_bus() < 0 ? NULL : PyList_New(last > first ? last - first : 0);
    if (packets) {
        int status;
        GUARDED(status = take_packets(packets, &view, (size_t)base, hits.buf, first, last, big, snaplen),
                status = -1; errno = EFAULT; PyErr_SetFromErrno(PyExc_OSError));
        if (status < 0)
            Py_CLEAR(packets);
    }
    PyBuffer_Release(&view);
    PyBuffer_Release(&hits);
    return packets;
}

/* bpf_library(path) -> bool: take bpf_filter from the libpcap at path (the copy that compiled
   the programs: dlopen finds it already loaded). False where it has none. */
PyObject *cp_bpf_library(PyObject *module, PyObject *args)
{
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path))
        return NULL;
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    void *func = lib ? dlsym(lib, "bpf_filter") : NULL;
    if (!func) {
        if (lib)
            dlclose(lib);
        Py_RETURN_FALSE;
    }
    libpcap_bpf_filter = (bpf_filter_fn)func;  /* the library stays loaded: the process's lifetime */
    Py_RETURN_TRUE;
}

/* records(buffer, pos, big_endian, limit, most) -> (packets, pos): the reader's loop over
   classic pcap records, in C. From pos, at most `most` records, each as (ts_sec, ts_frac,
   caplen, length, data); it stops before a record whose caplen is past `limit` or which the
   buffer does not hold whole: those the reader's own loop handles (libpcap's verdicts and
   messages live there, once). */
PyObject *cp_records(PyObject *module, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t pos, most;
    int big_endian;
    unsigned long limit;
    if (!PyArg_ParseTuple(args, "y*npkn", &view, &pos, &big_endian, &limit, &most))
        return NULL;
    PyObject *packets = PyList_New(0);
    const u8 *p = view.buf;
    size_t size = (size_t)view.len, at = pos < 0 ? size : (size_t)pos;
    while (packets && PyList_GET_SIZE(packets) < most && at + 16 <= size) {
        const u8 *h = p + at;
        uint32_t f[4];
        for (int i = 0; i < 4; i++)
            f[i] = rd32(h + 4 * i, big_endian);
        if (f[2] > limit || at + 16 + f[2] > size)
            break;
        PyObject *packet = Py_BuildValue("(kkkky#)", (unsigned long)f[0], (unsigned long)f[1], (unsigned long)f[2],
                                         (unsigned long)f[3], (const char *)h + 16, (Py_ssize_t)f[2]);
        if (!packet || PyList_Append(packets, packet) < 0) {
            Py_XDECREF(packet);
            Py_CLEAR(packets);
            break;
        }
        Py_DECREF(packet);
        at += 16 + f[2];
    }
    PyBuffer_Release(&view);
    if (!packets)
        return NULL;
    return Py_BuildValue("(Nn)", packets, (Py_ssize_t)at);
}
