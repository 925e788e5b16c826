/*
 * netlab._speedups: what its source files share. One module, built from
 * _speedups.c (the module table), _speedups_procwalk.c (the /proc walk),
 * _speedups_diag.c (the sock_diag reader) and _speedups_align.c (the table
 * aligner); setup.py lists them.
 */
#ifndef NETLAB_SPEEDUPS_H
#define NETLAB_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The module's functions (METH_VARARGS), named netlab_* so that no exported symbol of
   the shared object can collide with one of another library. */
PyObject *netlab_socket_fds(PyObject *self, PyObject *args);
PyObject *netlab_inet_messages(PyObject *self, PyObject *args);
PyObject *netlab_aligned(PyObject *self, PyObject *args);
PyObject *netlab_flood_burst(PyObject *self, PyObject *args);

#endif
