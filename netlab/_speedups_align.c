/*
 * netlab._speedups: the table aligner.
 *
 *   aligned(rows, headers, right) -> str or None
 *       A table of string cells as tabulate's "plain" format prints it: each
 *       column as wide as its widest cell or its header plus two, columns
 *       joined by two spaces, right[i] right-aligns column i, trailing
 *       whitespace stripped from every line. None if a cell holds a line
 *       break (tabulate lays those out). Same as netlab.render.plain_table_py().
 */
#include "_speedups.h"

#include <string.h>

/* One function of more than 80 lines: every exit goes through `done`, which releases
   what was taken; split up, each part would need that clean-up again. */
PyObject *netlab_aligned(PyObject *self, PyObject *args) {
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
