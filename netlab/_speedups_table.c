/*
 * netlab._speedups: the plain listing's table, and its JSON (inet_json, below), without a
 * Python object per socket.
 *
 *   inet_table(packed, walk, shown, user_name, state_names, headers, right) -> str or None
 *       The table `netlab conns` prints for a packed dump (inet_packed) and a
 *       walk (walk(), or None: no owners), as netlab.conns.text.listing_text
 *       prints it from Conn records joined with that walk's owners: the columns
 *       Netid, State, Recv-Q, Send-Q, Local and Peer Address:Port, User and
 *       PID/Program, aligned as aligned() aligns them (right[i]: column i to the
 *       right). The few values that need Python come from callables, once each:
 *       shown(name) the PID/Program cell's form of a process name, user_name(uid)
 *       the User cell (None: empty). None (and no exception) where the Python
 *       path must print it: no sockets, a cell with a line break, a name that is
 *       no UTF-8 (the Python twin decides those).
 */
#include "_speedups.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#define N_COLS 8
enum { COL_USER = 6, COL_OWNER = 7 };

typedef struct {
    char *data;
    size_t len, cap;
    PyObject *bytes;  /* JSON: data is this bytes object's (the result, without a copy), else malloc's */
} Arena;

typedef struct {  /* small: 8 of them per socket */
    uint32_t off;    /* in the arena */
    uint16_t bytes;  /* UTF-8 bytes */
    uint16_t chars;  /* code points: the width */
} Cell;
#define CELL_MAX 0xFFFF  /* bytes of a cell (a user name could be longer: the Python path prints it) */

/* A value that needs Python, as UTF-8: made once per uid, process or interface. */
typedef struct {
    long long key;
    PyObject *text;  /* a str, or NULL: not looked up yet */
    const char *utf8;
    Py_ssize_t bytes, chars;
} Cached;

typedef struct {
    Cached *items;
    size_t n, cap;
} Cache;

static int arena_reserve(Arena *a, size_t more) {
    if (a->len + more <= a->cap)
        return 0;
    size_t cap = a->cap ? a->cap * 2 : 1 << 20;
    while (cap < a->len + more)
        cap *= 2;
    if (a->bytes) {  /* realloc too (mremap: no copy of the pages written) */
        if (_PyBytes_Resize(&a->bytes, (Py_ssize_t)cap) < 0) {
            PyErr_Clear();  /* the callers raise MemoryError */
            return -1;
        }
        a->data = PyBytes_AS_STRING(a->bytes);
        a->cap = cap;
        return 0;
    }
    char *p = realloc(a->data, cap);
    if (!p)
        return -1;
    a->data = p;
    a->cap = cap;
    return 0;
}

static void cache_clear(Cache *c) {
    for (size_t i = 0; i < c->n; i++)
        Py_XDECREF(c->items[i].text);
    free(c->items);
}

/* The cached value of key, or NULL if it is not there yet. */
static Cached *cache_find(Cache *c, long long key) {
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i].key == key)
            return &c->items[i];
    return NULL;
}

/* Fills item with text (a str, stolen); -1 with an exception, 1 if it is no UTF-8 (surrogates). */
static int cached_fill(Cached *item, long long key, PyObject *text) {
    if (!text)
        return -1;
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "expected str, not %.100s", Py_TYPE(text)->tp_name);
        Py_DECREF(text);
        return -1;
    }
    Py_ssize_t bytes;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &bytes);
    if (!utf8) {
        Py_DECREF(text);
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
            return -1;
        PyErr_Clear();
        return 1;
    }
    *item = (Cached){key, text, utf8, bytes, PyUnicode_GET_LENGTH(text)};
    return 0;
}

/* Keeps text under key in c, as cached_fill; *out the entry (until the next cache_add). */
static int cache_add(Cache *c, long long key, PyObject *text, Cached **out) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        Cached *p = realloc(c->items, cap * sizeof *p);
        if (!p) {
            Py_XDECREF(text);
            PyErr_NoMemory();
            return -1;
        }
        c->items = p;
        c->cap = cap;
    }
    int rc = cached_fill(&c->items[c->n], key, text);
    if (rc == 0)
        *out = &c->items[c->n++];
    return rc;
}

/* The owner of inode in the walk: the first holder in (inode, pid, fd) order, and how many hold it. */
static const Holder *owner_of(const Walk *w, unsigned long long inode, size_t *count) {
    *count = 0;
    if (!w->index)
        return NULL;  /* no holders */
    for (size_t slot = walk_slot(inode, w->index_mask); w->index[slot]; slot = (slot + 1) & w->index_mask) {
        size_t first = w->index[slot] - 1;
        if (w->by_inode[first].inode != inode)
            continue;
        size_t end = first;
        while (end < w->n_holders && w->by_inode[end].inode == inode)
            end++;
        *count = end - first;
        return &w->by_inode[first];
    }
    return NULL;
}

/* Everything a row is made from: the inputs, and what was looked up once. */
typedef struct {
    const Walk *walk;
    PyObject *shown, *user_name, *state_names;  /* shown NULL: process names as they are (JSON) */
    PyObject *process_user;   /* JSON: pid -> the user of the process, or None */
    Cache users, interfaces;  /* a few uids and interfaces: looked for in a row */
    Cached *procs;            /* by index in walk->procs: hundreds of processes */
    Cached *proc_users;       /* JSON: the same, process_user()'s answers (utf8 NULL: None) */
    int ensure_ascii;         /* JSON: everything past '~' as \uXXXX (json.dumps), else as UTF-8 (orjson) */
    Arena arena;
    Py_ssize_t widths[N_COLS];
    size_t extra_bytes;  /* UTF-8 bytes beyond one per character, over every cell */
    int fallback;        /* the Python path must print this table */
} Table;

static Cached *user_cell(Table *t, unsigned int uid) {
    Cached *item = cache_find(&t->users, uid);
    if (item)
        return item;
    PyObject *name = PyObject_CallFunction(t->user_name, "I", uid);
    if (name == Py_None) {
        Py_DECREF(name);
        name = PyUnicode_FromString("");
    }
    int rc = cache_add(&t->users, uid, name, &item);
    if (rc > 0)
        t->fallback = 1;
    return rc == 0 ? item : NULL;
}

static Cached *process_cell(Table *t, const Holder *h) {
    Cached *item = &t->procs[h->proc];
    if (item->text)
        return item;
    const Proc *proc = &t->walk->procs[h->proc];
    /* as the walk's names dict has it (walk_result) */
    PyObject *name = PyUnicode_DecodeUTF8(proc->comm, proc->comm_len, "replace");
    PyObject *shown = name && t->shown ? PyObject_CallOneArg(t->shown, name) : name;
    if (t->shown)
        Py_XDECREF(name);
    int rc = cached_fill(item, h->proc, shown);
    if (rc > 0)
        t->fallback = 1;
    return rc == 0 ? item : NULL;
}

static Cached *interface_cell(Table *t, unsigned int index) {
    Cached *item = cache_find(&t->interfaces, index);
    if (item)
        return item;
    char name[IF_NAMESIZE];
    PyObject *text = if_indextoname(index, name) ? PyUnicode_DecodeFSDefault(name)
                                                  : PyUnicode_FromFormat("%u", index);  /* gone: its number */
    int rc = cache_add(&t->interfaces, index, text, &item);
    if (rc > 0)
        t->fallback = 1;
    return rc == 0 ? item : NULL;
}

/* Cells are written straight into the arena (printf was most of the time): room for
   one of at most `max` bytes, then the cell from there to `end`. */
static char *cell_room(Table *t, size_t max) {
    if (arena_reserve(&t->arena, max) < 0) {
        PyErr_NoMemory();
        return NULL;
    }
    return t->arena.data + t->arena.len;
}

static void cell_done(Table *t, Cell *cell, const char *end) {
    size_t bytes = (size_t)(end - (t->arena.data + t->arena.len));
    if (bytes > CELL_MAX || t->arena.len + bytes > UINT32_MAX)
        t->fallback = 1;  /* no room in a Cell: the Python path's */
    *cell = (Cell){(uint32_t)t->arena.len, (uint16_t)bytes, (uint16_t)bytes};
    t->arena.len += bytes;
}

static char *put_bytes(char *at, const char *text, size_t len) {
    memcpy(at, text, len);
    return at + len;
}

static char *put_uint(char *at, unsigned long long v) {
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *at++ = digits[--n];
    return at;
}

static int put_ascii(Table *t, Cell *cell, const char *text, size_t len) {
    char *at = cell_room(t, len);
    if (!at)
        return -1;
    cell_done(t, cell, put_bytes(at, text, len));
    return 0;
}

static int put_number(Table *t, Cell *cell, long long v) {
    char *at = cell_room(t, 24);
    if (!at)
        return -1;
    if (v < 0) {
        *at++ = '-';
        v = -v;
    }
    cell_done(t, cell, put_uint(at, (unsigned long long)v));
    return 0;
}

/* The same with UTF-8 text of known width inside (chars over bytes gives the width). */
static int put_text(Table *t, Cell *cell, const char *prefix, const Cached *text, const char *suffix) {
    size_t plen = strlen(prefix), slen = strlen(suffix);
    char *at = cell_room(t, plen + text->bytes + slen);
    if (!at)
        return -1;
    cell_done(t, cell, put_bytes(put_bytes(put_bytes(at, prefix, plen), text->utf8, text->bytes), suffix, slen));
    cell->chars = (uint16_t)(plen + text->chars + slen);
    t->extra_bytes += cell->bytes - cell->chars;
    return 0;
}

/* An address as inet_ntop writes it (Python's socket.inet_ntop is that call); IPv4 without its sprintf. */
static char *put_addr(char *at, int af, const void *addr) {
    if (af == AF_INET6)
        return inet_ntop(af, addr, at, INET6_ADDRSTRLEN) ? at + strlen(at) : NULL;
    const unsigned char *b = addr;
    for (int i = 0; i < 4; i++) {
        if (i)
            *at++ = '.';
        at = put_uint(at, b[i]);
    }
    return at;
}

/* ss's addr:port: [addr] for IPv6, %interface after the host, * for port 0. */
static int put_endpoint(Table *t, Cell *cell, int af, const void *addr, unsigned int port, unsigned int ifindex) {
    Cached *iface = ifindex ? interface_cell(t, ifindex) : NULL;
    if (ifindex && !iface)
        return -1;
    char *at = cell_room(t, INET6_ADDRSTRLEN + 16 + (iface ? iface->bytes : 0));
    if (!at)
        return -1;
    if (af == AF_INET6)
        *at++ = '[';
    if (!(at = put_addr(at, af, addr))) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    if (af == AF_INET6)
        *at++ = ']';
    if (iface) {
        *at++ = '%';
        at = put_bytes(at, iface->utf8, iface->bytes);
    }
    *at++ = ':';
    if (port)
        at = put_uint(at, port);
    else
        *at++ = '*';
    cell_done(t, cell, at);
    if (iface) {
        cell->chars -= (uint16_t)(iface->bytes - iface->chars);
        t->extra_bytes += iface->bytes - iface->chars;
    }
    return 0;
}

static const char *state_name(Table *t, const PackedSock *s, Py_ssize_t *len) {
    int state = s->msg.idiag_state;
    if (state == 7) {  /* TCP_CLOSE: CLOSE for TCP, UNCONN otherwise, as ss */
        *len = s->proto == PACKED_TCP ? 5 : 6;
        return s->proto == PACKED_TCP ? "CLOSE" : "UNCONN";
    }
    if (state < PyTuple_GET_SIZE(t->state_names))
        return PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(t->state_names, state), len);
    return NULL;  /* no name: its number */
}

/* The cells of one socket, in the arena. */
static int row_cells(Table *t, const PackedSock *s, Cell *cells) {
    const struct inet_diag_msg *m = &s->msg;
    Py_ssize_t len;
    const char *state = state_name(t, s, &len);
    if (state ? put_ascii(t, &cells[1], state, len) : put_number(t, &cells[1], m->idiag_state))
        return -1;
    if (put_ascii(t, &cells[0], s->proto == PACKED_TCP ? "tcp" : "udp", 3) ||
        put_number(t, &cells[2], m->idiag_rqueue) || put_number(t, &cells[3], m->idiag_wqueue) ||
        put_endpoint(t, &cells[4], s->af, m->id.idiag_src, ntohs(m->id.idiag_sport), m->id.idiag_if) ||
        put_endpoint(t, &cells[5], s->af, m->id.idiag_dst, ntohs(m->id.idiag_dport), 0))
        return -1;
    Cached *user = user_cell(t, m->idiag_uid);
    if (user && memchr(user->utf8, '\n', user->bytes))
        t->fallback = 1;  /* a line break: tabulate lays the table out */
    if (!user)
        return t->fallback ? 0 : -1;  /* no UTF-8 (fallback), or an exception */
    if (put_text(t, &cells[COL_USER], "", user, ""))
        return -1;
    size_t count = 0;
    const Holder *h = (t->walk && m->idiag_inode) ? owner_of(t->walk, m->idiag_inode, &count) : NULL;
    if (!h)
        return put_ascii(t, &cells[COL_OWNER], "", 0);
    Cached *name = process_cell(t, h);
    if (!name)
        return t->fallback ? 0 : -1;
    char prefix[24], suffix[32] = "";
    *put_bytes(put_uint(prefix, (unsigned)h->pid), "/", 1) = '\0';
    if (count > 1)
        *put_bytes(put_uint(put_bytes(suffix, " (+", 3), count - 1), ")", 1) = '\0';
    return put_text(t, &cells[COL_OWNER], prefix, name, suffix);
}

/* The start of the last UTF-8 character of text[0:len] and the character. */
static Py_UCS4 last_char(const char *text, size_t len, size_t *start) {
    size_t i = len - 1;
    while (i > 0 && ((unsigned char)text[i] & 0xC0) == 0x80)
        i--;
    *start = i;
    const unsigned char *c = (const unsigned char *)text + i;
    if (c[0] < 0x80)
        return c[0];
    if (c[0] < 0xE0)
        return ((c[0] & 0x1F) << 6) | (c[1] & 0x3F);
    if (c[0] < 0xF0)
        return ((c[0] & 0x0F) << 12) | ((c[1] & 0x3F) << 6) | (c[2] & 0x3F);
    return ((c[0] & 0x07) << 18) | ((c[1] & 0x3F) << 12) | ((c[2] & 0x3F) << 6) | (c[3] & 0x3F);
}

/* One line of the table at out: cells padded to the widths, two spaces apart, rstripped. */
static size_t write_line(char *out, const char *const *texts, const Cell *cells, const Py_ssize_t *widths,
                         const int *right) {
    size_t pos = 0;
    for (int c = 0; c < N_COLS; c++) {
        if (c > 0) {
            out[pos++] = ' ';
            out[pos++] = ' ';
        }
        Py_ssize_t pad = widths[c] - cells[c].chars;
        if (right[c]) {
            memset(out + pos, ' ', pad);
            pos += pad;
        }
        memcpy(out + pos, texts[c], cells[c].bytes);
        pos += cells[c].bytes;
        if (!right[c]) {
            memset(out + pos, ' ', pad);
            pos += pad;
        }
    }
    size_t start;
    while (pos > 0 && Py_UNICODE_ISSPACE(last_char(out, pos, &start)))
        pos = start;  /* str.rstrip() */
    return pos;
}

static PyObject *render(Table *t, const PackedSock *socks, Py_ssize_t n, PyObject *headers, const int *right) {
    Cell *cells = malloc((size_t)n * N_COLS * sizeof *cells);
    if (!cells)
        return PyErr_NoMemory();
    PyObject *result = NULL;
    Cell head[N_COLS];
    const char *head_texts[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        Py_ssize_t bytes;
        head_texts[c] = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(headers, c), &bytes);
        if (!head_texts[c])
            goto done;
        head[c] = (Cell){0, (uint16_t)bytes, (uint16_t)PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(headers, c))};
        t->widths[c] = head[c].chars + 2;  /* a header gets two more */
        t->extra_bytes += bytes - head[c].chars;
    }
    if (arena_reserve(&t->arena, (size_t)n * 96) < 0) {  /* about what 8 cells take: no copies as it grows */
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n && !t->fallback; i++) {
        Cell *row = &cells[i * N_COLS];
        if (row_cells(t, &socks[i], row) < 0)
            goto done;
        for (int c = 0; c < N_COLS; c++)
            if (row[c].chars > t->widths[c])
                t->widths[c] = row[c].chars;
    }
    if (t->fallback) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    size_t line_width = 2 * (N_COLS - 1);
    for (int c = 0; c < N_COLS; c++)
        line_width += t->widths[c];
    size_t size = (size_t)(n + 1) * (line_width + 1) + t->extra_bytes;
    /* ASCII (the common case) is written straight into the str, else decoded from UTF-8 */
    PyObject *ascii = t->extra_bytes ? NULL : PyUnicode_New((Py_ssize_t)size, 127);
    char *out = ascii ? PyUnicode_DATA(ascii) : t->extra_bytes ? malloc(size) : NULL;
    if (!out) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    size_t pos = write_line(out, head_texts, head, t->widths, right);
    for (Py_ssize_t i = 0; i < n; i++) {
        const Cell *row = &cells[i * N_COLS];
        const char *texts[N_COLS];
        for (int c = 0; c < N_COLS; c++)
            texts[c] = t->arena.data + row[c].off;
        out[pos++] = '\n';
        pos += write_line(out + pos, texts, row, t->widths, right);
    }
    if (ascii) {
        result = ascii;
        if (PyUnicode_Resize(&result, (Py_ssize_t)pos) < 0)  /* less the blanks cut from the ends of lines */
            result = NULL;
    } else {
        result = PyUnicode_DecodeUTF8(out, pos, "strict");
        free(out);
    }
done:
    free(cells);
    return result;
}

/* The walk's capsule into t (None: no owners), with room for its processes' cells; -1 with an exception. */
static int table_walk(Table *t, PyObject *walk_arg) {
    if (walk_arg == Py_None)
        return 0;
    if (!(t->walk = PyCapsule_GetPointer(walk_arg, WALK_CAPSULE)))
        return -1;
    size_t n = t->walk->n_procs ? t->walk->n_procs : 1;
    if (!(t->procs = calloc(n, sizeof *t->procs)) || (t->process_user && !(t->proc_users = calloc(n, sizeof *t->proc_users)))) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void table_free(Table *t) {
    cache_clear(&t->users);
    for (size_t i = 0; t->walk && i < t->walk->n_procs; i++) {
        if (t->procs)
            Py_XDECREF(t->procs[i].text);
        if (t->proc_users)
            Py_XDECREF(t->proc_users[i].text);
    }
    free(t->procs);
    free(t->proc_users);
    cache_clear(&t->interfaces);
    if (t->arena.bytes)
        Py_DECREF(t->arena.bytes);
    else
        free(t->arena.data);
}

/* The sockets of a packed dump, aligned: a bytes object's are (its buffer itself), others are copied
   (the caller frees a copy); NULL with an exception. */
static PackedSock *aligned_socks(Py_buffer *packed, Py_ssize_t n) {
    if ((uintptr_t)packed->buf % _Alignof(PackedSock) == 0)
        return packed->buf;
    PackedSock *socks = malloc((size_t)n * sizeof *socks);
    if (!socks) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(socks, packed->buf, (size_t)n * sizeof *socks);
    return socks;
}

PyObject *netlab_inet_table(PyObject *self, PyObject *args) {
    Py_buffer packed;
    PyObject *walk_arg, *shown, *user_name, *state_names, *headers, *right_arg;
    if (!PyArg_ParseTuple(args, "y*OOOO!O!O!:inet_table", &packed, &walk_arg, &shown, &user_name, &PyTuple_Type,
                          &state_names, &PyTuple_Type, &headers, &PyTuple_Type, &right_arg))
        return NULL;
    Table t = {.shown = shown, .user_name = user_name, .state_names = state_names};
    PyObject *result = NULL;
    int right[N_COLS];
    if (PyTuple_GET_SIZE(headers) != N_COLS || PyTuple_GET_SIZE(right_arg) != N_COLS) {
        PyErr_SetString(PyExc_ValueError, "inet_table makes 8 columns");
        goto done;
    }
    for (int c = 0; c < N_COLS; c++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(headers, c))) {
            PyErr_SetString(PyExc_TypeError, "headers must be str");
            goto done;
        }
        if ((right[c] = PyObject_IsTrue(PyTuple_GET_ITEM(right_arg, c))) < 0)
            goto done;
    }
    if (table_walk(&t, walk_arg) < 0)
        goto done;
    Py_ssize_t n = packed.len / (Py_ssize_t)sizeof(PackedSock);
    if (n == 0) {  /* the header alone: the Python path's */
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    PackedSock *socks = aligned_socks(&packed, n);
    if (!socks)
        goto done;
    result = render(&t, socks, n, headers, right);
    if (socks != packed.buf)
        free(socks);
done:
    table_free(&t);
    PyBuffer_Release(&packed);
    return result;
}

/* ---------------------------------------------------------------- the JSON of a plain listing
 *
 *   inet_json(packed, walk, user_name, process_user, state_names, lines, ensure_ascii) -> bytes or None
 *       The JSON `netlab conns --format json` prints for a packed dump and a walk
 *       (None: no owners), as Conn.as_dict() and netlab.output make it from the
 *       records: one list indented by 2 (lines false), or one compact object a
 *       line (lines true: jsonl). The strings are escaped as orjson escapes
 *       them, or with ensure_ascii as json.dumps does. user_name(uid) gives the
 *       "user" of a socket, process_user(pid) the "user" of an owner (str or
 *       None), each asked once. UTF-8 bytes: what stdout gets (a str would be
 *       three more copies of megabytes: decoded, a newline added, encoded).
 *       None (and no exception) where the records must print it: a name that
 *       is no UTF-8.
 */

#define JSON_FIXED 1024  /* bytes of a row besides its strings: keys, indents, numbers, addresses */

static char *put_hex4(char *at, unsigned int v) {
    static const char hex[] = "0123456789abcdef";
    *at++ = '\\';
    *at++ = 'u';
    for (int shift = 12; shift >= 0; shift -= 4)
        *at++ = hex[(v >> shift) & 15];
    return at;
}

/* A JSON string of UTF-8 text: at most 2 + 6 bytes per byte of it. Quote, backslash and control
   characters escaped as both encoders do; with ensure_ascii also DEL and everything past it, in
   UTF-16 units (json.dumps's \ud83d\ude00), else as they are (orjson). */
static char *put_json_string(char *at, const char *text, size_t len, int ensure_ascii) {
    *at++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            *at++ = '\\';
            *at++ = (char)c;
        } else if (c < 0x20) {
            char brief = c == '\b' ? 'b' : c == '\t' ? 't' : c == '\n' ? 'n' : c == '\f' ? 'f' : c == '\r' ? 'r' : 0;
            if (brief) {
                *at++ = '\\';
                *at++ = brief;
            } else {
                at = put_hex4(at, c);
            }
        } else if (c < 0x7F || !ensure_ascii) {
            *at++ = (char)c;
        } else if (c == 0x7F) {
            at = put_hex4(at, c);
        } else {  /* valid UTF-8: the text came from a str */
            int more = c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
            unsigned int cp = c & (0x3F >> more);
            for (int k = 0; k < more && i + 1 < len; k++)
                cp = (cp << 6) | ((unsigned char)text[++i] & 0x3F);
            if (cp > 0xFFFF) {
                cp -= 0x10000;
                at = put_hex4(put_hex4(at, 0xD800 | (cp >> 10)), 0xDC00 | (cp & 0x3FF));
            } else {
                at = put_hex4(at, cp);
            }
        }
    }
    *at++ = '"';
    return at;
}

static char *put_cached(char *at, const Cached *item, int ensure_ascii) {
    if (!item->utf8)
        return put_bytes(at, "null", 4);
    return put_json_string(at, item->utf8, (size_t)item->bytes, ensure_ascii);
}

/* Before a value in an object or list whose values sit at depth: a comma after the first, and
   with indent a new line indented by two a level (the layout of orjson's OPT_INDENT_2 and of json.dumps(indent=2)). */
static char *put_separator(char *at, int indent, int depth, int first) {
    if (!first)
        *at++ = ',';
    if (indent) {
        *at++ = '\n';
        memset(at, ' ', 2 * (size_t)depth);
        at += 2 * depth;
    }
    return at;
}

static char *put_key(char *at, int indent, int depth, int first, const char *key) {
    at = put_separator(at, indent, depth, first);
    *at++ = '"';
    at = put_bytes(at, key, strlen(key));
    *at++ = '"';
    *at++ = ':';
    if (indent)
        *at++ = ' ';
    return at;
}

static char *put_int(char *at, long long v) {
    if (v < 0) {
        *at++ = '-';
        return put_uint(at, 0ULL - (unsigned long long)v);
    }
    return put_uint(at, (unsigned long long)v);
}

static char *put_json_addr(char *at, int af, const void *addr) {
    *at++ = '"';
    if (!(at = put_addr(at, af, addr)))
        return NULL;
    *at++ = '"';
    return at;
}

/* The user of an owner's process (process_user(pid)), once per process of the walk. */
static Cached *owner_user(Table *t, const Holder *h) {
    Cached *item = &t->proc_users[h->proc];
    if (item->text)
        return item;
    PyObject *user = PyObject_CallFunction(t->process_user, "i", h->pid);
    if (user == Py_None) {
        *item = (Cached){h->proc, user, NULL, 0, 0};
        return item;
    }
    int rc = cached_fill(item, h->proc, user);
    if (rc > 0)
        t->fallback = 1;
    return rc == 0 ? item : NULL;
}

/* One owner: {"pid", "process", "user", "fd"} at depth (its keys one deeper). */
static int json_owner(Table *t, const Holder *h, int indent, int depth, int first) {
    Cached *name = process_cell(t, h), *user = name ? owner_user(t, h) : NULL;
    if (!user || t->fallback)  /* NULL without fallback: an exception */
        return t->fallback ? 0 : -1;
    char *at = cell_room(t, JSON_FIXED + 6 * (size_t)(name->bytes + user->bytes));
    if (!at)
        return -1;
    at = put_separator(at, indent, depth, first);
    *at++ = '{';
    at = put_int(put_key(at, indent, depth + 1, 1, "pid"), h->pid);
    at = put_cached(put_key(at, indent, depth + 1, 0, "process"), name, t->ensure_ascii);
    at = put_cached(put_key(at, indent, depth + 1, 0, "user"), user, t->ensure_ascii);
    at = put_int(put_key(at, indent, depth + 1, 0, "fd"), h->fd);
    at = put_separator(at, indent, depth, 1);
    *at++ = '}';
    t->arena.len = (size_t)(at - t->arena.data);
    return 0;
}

/* One socket's object, Conn.BASE_KEYS in their order, its keys at depth 2 (a list's item; jsonl: no indent). */
static int json_row(Table *t, const PackedSock *s, int indent) {
    const struct inet_diag_msg *m = &s->msg;
    size_t count = 0;
    const Holder *h = (t->walk && m->idiag_inode) ? owner_of(t->walk, m->idiag_inode, &count) : NULL;
    Cached *user = user_cell(t, m->idiag_uid), *name = h && user ? process_cell(t, h) : NULL;
    if (!user || (h && !name) || t->fallback)  /* NULL without fallback: an exception */
        return t->fallback ? 0 : -1;
    char *at = cell_room(t, JSON_FIXED + 6 * (size_t)(user->bytes + (name ? name->bytes : 0)));
    if (!at)
        return -1;
    *at++ = '{';
    at = put_bytes(put_key(at, indent, 2, 1, "proto"), s->proto == PACKED_TCP ? "\"tcp\"" : "\"udp\"", 5);
    at = s->af == AF_INET6 ? put_bytes(put_key(at, indent, 2, 0, "family"), "\"inet6\"", 7)
                           : put_bytes(put_key(at, indent, 2, 0, "family"), "\"inet\"", 6);
    Py_ssize_t len;
    const char *state = state_name(t, s, &len);
    at = put_key(at, indent, 2, 0, "state");
    if (state) {
        at = put_json_string(at, state, (size_t)len, t->ensure_ascii);
    } else {  /* no name: its number, as a string (the records' state) */
        *at++ = '"';
        at = put_uint(at, m->idiag_state);
        *at++ = '"';
    }
    if (!(at = put_json_addr(put_key(at, indent, 2, 0, "local_addr"), s->af, m->id.idiag_src)))
        return PyErr_SetFromErrno(PyExc_OSError), -1;
    at = put_uint(put_key(at, indent, 2, 0, "local_port"), ntohs(m->id.idiag_sport));
    if (!(at = put_json_addr(put_key(at, indent, 2, 0, "remote_addr"), s->af, m->id.idiag_dst)))
        return PyErr_SetFromErrno(PyExc_OSError), -1;
    at = put_uint(put_key(at, indent, 2, 0, "remote_port"), ntohs(m->id.idiag_dport));
    at = put_uint(put_key(at, indent, 2, 0, "recv_q"), m->idiag_rqueue);
    at = put_uint(put_key(at, indent, 2, 0, "send_q"), m->idiag_wqueue);
    at = put_uint(put_key(at, indent, 2, 0, "uid"), m->idiag_uid);
    at = put_uint(put_key(at, indent, 2, 0, "inode"), m->idiag_inode);
    at = put_key(at, indent, 2, 0, "pid");
    at = h ? put_int(at, h->pid) : put_bytes(at, "null", 4);
    at = put_key(at, indent, 2, 0, "process");
    at = h ? put_cached(at, name, t->ensure_ascii) : put_bytes(at, "null", 4);
    at = put_cached(put_key(at, indent, 2, 0, "user"), user, t->ensure_ascii);
    at = put_key(at, indent, 2, 0, "owners");
    *at++ = '[';
    t->arena.len = (size_t)(at - t->arena.data);
    for (size_t i = 0; i < count; i++)  /* every holder, by (pid, fd) as the walk sorted them */
        if (json_owner(t, &h[i], indent, 3, i == 0) < 0)
            return -1;
    if (!(at = cell_room(t, 16 + 2 * 2)))
        return -1;
    if (count)
        at = put_separator(at, indent, 2, 1);
    *at++ = ']';
    at = put_separator(at, indent, 1, 1);
    *at++ = '}';
    t->arena.len = (size_t)(at - t->arena.data);
    return 0;
}

PyObject *netlab_inet_json(PyObject *self, PyObject *args) {
    Py_buffer packed;
    PyObject *walk_arg, *user_name, *process_user, *state_names;
    int lines, ensure_ascii;
    if (!PyArg_ParseTuple(args, "y*OOOO!pp:inet_json", &packed, &walk_arg, &user_name, &process_user,
                          &PyTuple_Type, &state_names, &lines, &ensure_ascii))
        return NULL;
    Table t = {.user_name = user_name, .process_user = process_user, .state_names = state_names,
               .ensure_ascii = ensure_ascii};
    PyObject *result = NULL;
    PackedSock *socks = NULL;
    Py_ssize_t n = packed.len / (Py_ssize_t)sizeof(PackedSock);
    if (table_walk(&t, walk_arg) < 0 || (n && !(socks = aligned_socks(&packed, n))))
        goto done;
    /* about a row's bytes; pages not written cost nothing (mmap), and the result is cut to size */
    if (!(t.arena.bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n * (lines ? 300 : 520) + 16)))
        goto done;
    t.arena.data = PyBytes_AS_STRING(t.arena.bytes);
    t.arena.cap = (size_t)PyBytes_GET_SIZE(t.arena.bytes);
    char *at = t.arena.data;
    if (!lines)
        *at++ = '[';
    t.arena.len = (size_t)(at - t.arena.data);
    for (Py_ssize_t i = 0; i < n && !t.fallback; i++) {
        if (!(at = cell_room(&t, 16)))
            goto done;
        at = lines ? (i ? put_bytes(at, "\n", 1) : at) : put_separator(at, 1, 1, i == 0);
        t.arena.len = (size_t)(at - t.arena.data);
        if (json_row(&t, &socks[i], !lines) < 0)
            goto done;
    }
    if (t.fallback) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    if (!(at = cell_room(&t, 4)))
        goto done;
    if (!lines)
        at = n ? put_bytes(put_separator(at, 1, 0, 1), "]", 1) : put_bytes(at, "]", 1);
    if (_PyBytes_Resize(&t.arena.bytes, at - t.arena.data) == 0)
        result = t.arena.bytes;  /* handed over */
    t.arena.bytes = NULL;  /* _PyBytes_Resize freed it where it failed */
    t.arena.data = NULL;
done:
    if (socks && socks != packed.buf)
        free(socks);
    table_free(&t);
    PyBuffer_Release(&packed);
    return result;
}
