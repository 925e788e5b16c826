/*
 * The walks over classic pcap records (16-byte headers, caplen before len) that
 * reader.py hands to C: the records as tuples, --count's count, and the filtered
 * reads, the filter run by libpcap's own bpf_filter (so its verdicts are libpcap's).
 *
 * Every walk stops, leaving it to reader.py, at what is not plain: a record whose
 * caplen is past the link type's maximum or which the buffer cuts short (damage:
 * the reader's Python loop has libpcap's words for it). A record past the snapshot
 * length but within the maximum is cut to the snapshot, as libpcap reads it.
 */
#include "_cprint.h"

#include <dlfcn.h>
#include <pthread.h>

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
} walk_t;

static void walk(walk_t *w)
{
    const u8 *p = w->p;
    size_t at = w->at, records = 0, matched = 0;
    while (at < w->stop) {
        if (at + 16 > w->size) {
            w->damaged = at != w->size;  /* a header cut short */
            break;
        }
        const u8 *h = p + at;
        uint32_t caplen = rd32(h + 8, w->big);
        if (caplen > w->max_caplen || at + 16 + caplen > w->size) {
            w->damaged = 1;
            break;
        }
        if (w->program) {
            uint32_t seen = caplen > w->snaplen ? w->snaplen : caplen;
            matched += libpcap_bpf_filter(w->program, h + 16, rd32(h + 12, w->big), seen) != 0;
        }
        at += 16 + caplen;
        records++;
    }
    w->at = at;
    w->records += records;
    w->matched += w->program ? matched : records;
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
    size_t sync = resync(w, w->at + (end - w->at) / 2, rd32(w->p + w->at, w->big));
    pthread_t thread;
    walk_t second = *w;
    second.at = sync;
    if (sync == 0 || pthread_create(&thread, NULL, walk_thread, &second) != 0) {
        walk(w);
        return;
    }
    size_t stop = w->stop;
    w->stop = sync;
    walk(w);
    pthread_join(thread, NULL);
    w->stop = stop;
    if (w->damaged)
        return;
    if (w->at == sync) {
        w->at = second.at;
        w->records += second.records;
        w->matched += second.matched;
        w->damaged = second.damaged;
        return;
    }
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

/* select(buffer, at, stop, big_endian, max_caplen, snaplen, program, most) -> (packets, records, at):
   the records the program accepts, as (ts_sec, ts_frac, caplen, length, data) tuples, at most `most`
   of them; `records` is how many were read. Those it rejects never become Python objects. */
PyObject *cp_select(PyObject *module, PyObject *args)
{
    Py_buffer view, program;
    walk_t w;
    Py_ssize_t most;
    unsigned long max_caplen, snaplen;
    Py_ssize_t at, stop;
    memset(&w, 0, sizeof w);
    if (!PyArg_ParseTuple(args, "y*nnpkky*n", &view, &at, &stop, &w.big, &max_caplen, &snaplen, &program, &most))
        return NULL;
    if (program.len == 0 || program.len % sizeof(bpf_insn) || !libpcap_bpf_filter) {
        PyBuffer_Release(&view);
        PyBuffer_Release(&program);
        PyErr_SetString(PyExc_ValueError, "select() needs a BPF program and bpf_library()");
        return NULL;
    }
    const u8 *p = view.buf;
    const bpf_insn *code = program.buf;
    size_t size = (size_t)view.len, pos = at < 0 ? size : (size_t)at, end = stop < 0 ? 0 : (size_t)stop;
    PyObject *packets = PyList_New(0);
    Py_ssize_t records = 0;
    while (packets && PyList_GET_SIZE(packets) < most && pos < end && pos + 16 <= size) {
        const u8 *h = p + pos;
        uint32_t caplen = rd32(h + 8, w.big), len = rd32(h + 12, w.big);
        if (caplen > max_caplen || pos + 16 + caplen > size)
            break;
        uint32_t seen = caplen > snaplen ? (uint32_t)snaplen : caplen;
        if (libpcap_bpf_filter(code, h + 16, len, seen)) {
            PyObject *packet = Py_BuildValue("(kkkky#)", (unsigned long)rd32(h, w.big), (unsigned long)rd32(h + 4, w.big),
                                             (unsigned long)seen, (unsigned long)len, (const char *)h + 16,
                                             (Py_ssize_t)seen);
            if (!packet || PyList_Append(packets, packet) < 0)
                Py_CLEAR(packets);
            Py_XDECREF(packet);
        }
        pos += 16 + caplen;
        records++;
    }
    PyBuffer_Release(&view);
    PyBuffer_Release(&program);
    if (!packets)
        return NULL;
    return Py_BuildValue("(Nnn)", packets, records, (Py_ssize_t)pos);
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
