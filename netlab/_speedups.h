/*
 * netlab._speedups: what its source files share. One module, built from
 * _speedups.c (the module table), _speedups_procwalk.c (the /proc walk),
 * _speedups_diag.c (the sock_diag reader), _speedups_align.c (the table
 * aligner) and _speedups_table.c (the plain listing's table, from the two
 * above without Python records); setup.py lists them.
 */
#ifndef NETLAB_SPEEDUPS_H
#define NETLAB_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <linux/inet_diag.h>
#include <stdint.h>
#include <sys/types.h>

/* One inet socket of a packed dump (inet_packed): the kernel's record as it came,
   with what the dump request knew (address family, protocol). */
typedef struct {
    uint8_t af;     /* AF_INET, AF_INET6 */
    uint8_t proto;  /* PACKED_TCP, PACKED_UDP */
    uint8_t pad[6];
    struct inet_diag_msg msg;
} PackedSock;
enum { PACKED_TCP = 0, PACKED_UDP = 1 };

/* The result of a walk of /proc/PID/fd, in C (a "netlab.walk" capsule). */
typedef struct {
    unsigned long long inode;
    int pid;
    int fd;
    int proc;  /* index in Walk.procs */
} Holder;

typedef struct {
    int pid;
    char comm[64];  /* the kernel keeps 16 bytes; room to spare */
    ssize_t comm_len;
} Proc;

typedef struct {
    Holder *holders;  /* in the order of the walk */
    size_t n_holders, cap_holders;
    Proc *procs;
    size_t n_procs, cap_procs;
    long hidden;
    int out_of_memory;
    Holder *by_inode;  /* the holders sorted by (inode, pid, fd): the first of an inode is its owner */
    uint32_t *index;   /* open addressing by inode: 1 + where an inode's holders start in by_inode, 0 empty */
    size_t index_mask;
} Walk;

/* The slot of an inode in Walk.index (Fibonacci hashing: inodes come in runs). */
static inline size_t walk_slot(unsigned long long inode, size_t mask) {
    return (size_t)((inode * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

#define WALK_CAPSULE "netlab.walk"

/* The module's functions (METH_VARARGS), named netlab_* so that no exported symbol of
   the shared object can collide with one of another library. */
PyObject *netlab_socket_fds(PyObject *self, PyObject *args);
PyObject *netlab_inet_messages(PyObject *self, PyObject *args);
PyObject *netlab_walk(PyObject *self, PyObject *args);
PyObject *netlab_walk_result(PyObject *self, PyObject *args);
PyObject *netlab_walk_start(PyObject *self, PyObject *noargs);
PyObject *netlab_walk_join(PyObject *self, PyObject *capsule);
PyObject *netlab_inet_packed(PyObject *self, PyObject *args);
PyObject *netlab_packed_records(PyObject *self, PyObject *args);
PyObject *netlab_packed_start(PyObject *self, PyObject *requests);
PyObject *netlab_packed_join(PyObject *self, PyObject *capsule);
PyObject *netlab_aligned(PyObject *self, PyObject *args);
PyObject *netlab_inet_table(PyObject *self, PyObject *args);
PyObject *netlab_inet_json(PyObject *self, PyObject *args);
PyObject *netlab_flood_burst(PyObject *self, PyObject *args);

#endif
