/*
 * netlab._speedups: the walk of /proc/PID/fd.
 *
 *   socket_fds(pids=None) -> (holders, names, hidden)
 *       The walk of /proc/PID/fd: a readlink per descriptor. Same result as
 *       netlab.core.owners.walk_socket_fds(): holders {inode: [(pid, fd), ...]},
 *       names {pid: comm} for the processes holding sockets, and how many
 *       processes could not be looked at. The walk runs without the GIL, so a
 *       Python thread can run it while the main thread does other work.
 *
 *   walk(pids=None) -> (capsule, hidden); walk_result(capsule) -> (holders, names, hidden)
 *       socket_fds() in two steps: the walk, kept in C (with its holders also
 *       sorted by inode, for inet_table's owner column), and its Python dicts,
 *       made only when asked for. The walk holds the GIL only to make the capsule.
 */
#include "_speedups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Descriptor fd of the process (named name in its fd directory): kept if it is a socket.
   1: it is open; 0: it is not (closed, or never was); -1: stop the process here
   (not ours to read: hidden; or out of memory). */
static int look_at_fd(Walk *w, int dir_fd, const char *name, int pid, int fd, int *found) {
    char target[64];
    ssize_t len = readlinkat(dir_fd, name, target, sizeof target - 1);
    if (len < 0) {
        if (errno == EACCES || errno == EPERM) {  /* listable but not ours to read */
            w->hidden++;
            return -1;
        }
        return 0;
    }
    if (len < 10 || memcmp(target, "socket:[", 8) != 0 || target[len - 1] != ']')
        return 1;
    target[len - 1] = '\0';
    char *end;
    unsigned long long inode = strtoull(target + 8, &end, 10);
    if (*end != '\0')
        return 1;
    if (!grow((void **)&w->holders, &w->cap_holders, w->n_holders + 1, sizeof(Holder))) {
        w->out_of_memory = 1;
        return -1;
    }
    w->holders[w->n_holders++] = (Holder){inode, pid, fd, (int)w->n_procs};  /* the Proc added after */
    *found = 1;
    return 1;
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
    /* The listing, not descriptors 0, 1, 2, ... by number while the directory's size says
       some are left: a process that opens one meanwhile would hide one it holds. */
    int found = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        int fd;
        if (!parse_uint(entry->d_name, &fd))
            continue;  /* "." and ".." */
        if (look_at_fd(w, dir_fd, entry->d_name, pid, fd, &found) < 0)
            break;
    }
    closedir(dir);
    if (found && !w->out_of_memory) {
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

static int by_inode(const void *a, const void *b) {
    const Holder *x = a, *y = b;
    if (x->inode != y->inode)
        return x->inode < y->inode ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return (x->fd > y->fd) - (x->fd < y->fd);
}

static void walk_free(Walk *w) {
    free(w->holders);
    free(w->procs);
    free(w->by_inode);
    free(w->index);
    free(w);
}

/* Walk.index over by_inode: the table's owner column finds an inode in one probe or two. */
static int index_inodes(Walk *w) {
    size_t size = 1024;
    while (size < 2 * w->n_holders)
        size *= 2;
    if (w->n_holders >= UINT32_MAX || !(w->index = calloc(size, sizeof *w->index)))
        return 0;
    w->index_mask = size - 1;
    for (size_t i = 0; i < w->n_holders; i++) {
        if (i > 0 && w->by_inode[i].inode == w->by_inode[i - 1].inode)
            continue;  /* not the first holder of its inode */
        size_t slot = walk_slot(w->by_inode[i].inode, w->index_mask);
        while (w->index[slot])
            slot = (slot + 1) & w->index_mask;
        w->index[slot] = (uint32_t)(i + 1);
    }
    return 1;
}

static void walk_capsule_free(PyObject *capsule) {
    walk_free(PyCapsule_GetPointer(capsule, WALK_CAPSULE));
}

/* pids (a sequence of ints, or None for every process) -> a C array; n -1 for None. */
static int pid_array(PyObject *pids_arg, int **pids, Py_ssize_t *n_pids) {
    *pids = NULL;
    *n_pids = -1;
    if (pids_arg == Py_None)
        return 0;
    PyObject *seq = PySequence_Fast(pids_arg, "pids must be a sequence of ints");
    if (!seq)
        return -1;
    *n_pids = PySequence_Fast_GET_SIZE(seq);
    *pids = PyMem_Malloc((*n_pids ? *n_pids : 1) * sizeof(int));
    if (!*pids) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < *n_pids; i++) {
        int overflow;
        long v = PyLong_AsLongAndOverflow(PySequence_Fast_GET_ITEM(seq, i), &overflow);
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            PyMem_Free(*pids);
            *pids = NULL;
            return -1;
        }
        (*pids)[i] = (overflow || v <= 0 || v > 0x7fffffff) ? 0 : (int)v;  /* 0: no such process */
    }
    Py_DECREF(seq);
    return 0;
}

/* The walk of pids (n_pids -1: every process), and its holders sorted by inode; no GIL needed. */
static void walk_run(Walk *w, const int *pids, Py_ssize_t n_pids) {
    if (n_pids < 0)
        walk_all(w);
    else
        for (Py_ssize_t i = 0; i < n_pids && !w->out_of_memory; i++)
            if (pids[i] > 0)
                walk_process(w, pids[i]);
    if (!w->out_of_memory && w->n_holders) {
        w->by_inode = malloc(w->n_holders * sizeof(Holder));
        if (w->by_inode) {
            memcpy(w->by_inode, w->holders, w->n_holders * sizeof(Holder));
            qsort(w->by_inode, w->n_holders, sizeof(Holder), by_inode);
            if (!index_inodes(w))
                w->out_of_memory = 1;
        } else {
            w->out_of_memory = 1;
        }
    }
}

/* (capsule, hidden) of a finished walk, which the capsule then owns. */
static PyObject *walk_value(Walk *w) {
    if (w->out_of_memory) {
        walk_free(w);
        return PyErr_NoMemory();
    }
    PyObject *capsule = PyCapsule_New(w, WALK_CAPSULE, walk_capsule_free);
    if (!capsule) {
        walk_free(w);
        return NULL;
    }
    return Py_BuildValue("(Nl)", capsule, w->hidden);
}

PyObject *netlab_walk(PyObject *self, PyObject *args) {
    PyObject *pids_arg = Py_None;
    if (!PyArg_ParseTuple(args, "|O:walk", &pids_arg))
        return NULL;
    int *pids;
    Py_ssize_t n_pids;
    if (pid_array(pids_arg, &pids, &n_pids) < 0)
        return NULL;
    Walk *w = calloc(1, sizeof *w);
    if (!w) {
        PyMem_Free(pids);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    walk_run(w, pids, n_pids);
    Py_END_ALLOW_THREADS
    PyMem_Free(pids);
    return walk_value(w);
}

/* ---------------------------------------------------------------- the walk running ahead
 *
 *   walk_start() -> job; walk_join(job) -> (capsule, hidden)
 *       walk() of every process in a thread of its own (a POSIX thread: no
 *       Python thread, nor the threading module, on the way), and its result.
 *       A job dropped unjoined is joined when it goes.
 */

#define WALK_JOB_CAPSULE "netlab.walkjob"

typedef struct {
    pthread_t thread;
    Walk *walk;  /* NULL once walk_join took it */
    int joined;
} WalkJob;

static void *walk_job_run(void *arg) {
    WalkJob *job = arg;
    walk_run(job->walk, NULL, -1);
    return NULL;
}

static void walk_job_free(PyObject *capsule) {
    WalkJob *job = PyCapsule_GetPointer(capsule, WALK_JOB_CAPSULE);
    if (!job->joined) {
        Py_BEGIN_ALLOW_THREADS
        pthread_join(job->thread, NULL);
        Py_END_ALLOW_THREADS
    }
    if (job->walk)
        walk_free(job->walk);
    free(job);
}

PyObject *netlab_walk_start(PyObject *self, PyObject *noargs) {
    WalkJob *job = calloc(1, sizeof *job);
    if (job)
        job->walk = calloc(1, sizeof *job->walk);
    if (!job || !job->walk) {
        free(job);
        return PyErr_NoMemory();
    }
    /* The thread starts with every signal blocked: they stay with Python's main thread. */
    sigset_t all, old_mask;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_mask);
    int rc = pthread_create(&job->thread, NULL, walk_job_run, job);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (rc != 0) {
        walk_free(job->walk);
        free(job);
        errno = rc;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    PyObject *capsule = PyCapsule_New(job, WALK_JOB_CAPSULE, walk_job_free);
    if (!capsule) {
        pthread_join(job->thread, NULL);
        walk_free(job->walk);
        free(job);
    }
    return capsule;
}

PyObject *netlab_walk_join(PyObject *self, PyObject *capsule) {
    WalkJob *job = PyCapsule_GetPointer(capsule, WALK_JOB_CAPSULE);
    if (!job)
        return NULL;
    if (job->joined) {
        PyErr_SetString(PyExc_ValueError, "walk_join: this walk was taken already");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_join(job->thread, NULL);
    Py_END_ALLOW_THREADS
    job->joined = 1;
    Walk *w = job->walk;
    job->walk = NULL;
    return walk_value(w);
}

PyObject *netlab_walk_result(PyObject *self, PyObject *args) {
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "O:walk_result", &capsule))
        return NULL;
    const Walk *w = PyCapsule_GetPointer(capsule, WALK_CAPSULE);
    if (!w)
        return NULL;
    PyObject *holders = holders_dict(w);
    PyObject *names = holders ? names_dict(w) : NULL;
    if (holders && names)
        return Py_BuildValue("(NNl)", holders, names, w->hidden);
    Py_XDECREF(holders);
    Py_XDECREF(names);
    return NULL;
}

PyObject *netlab_socket_fds(PyObject *self, PyObject *args) {
    PyObject *walked = netlab_walk(self, args);  /* (capsule, hidden): the first is what walk_result takes */
    if (!walked)
        return NULL;
    PyObject *capsule_only = PyTuple_GetSlice(walked, 0, 1);
    Py_DECREF(walked);
    if (!capsule_only)
        return NULL;
    PyObject *result = netlab_walk_result(self, capsule_only);
    Py_DECREF(capsule_only);
    return result;
}
