/* Optional accelerator for execlog_tui.core.totals: the loops that add one bucket's totals into
 * another (per-component rows, duration histograms), run for every second a log covers.
 *
 * Each function does what its Python twin in core/totals.py does, through the same object operations
 * (PyNumber_InPlaceAdd, rich comparison, dict get/set), so results are identical to the last bit and
 * of the same types; only the interpreter's loop overhead is gone. Whatever it reads is held while code
 * may run (a number's addition, a key's __eq__, a callback), and a dict that changes size while it is
 * iterated raises RuntimeError, as Python's iteration does. A component's row must be a list of 4 (the
 * engine's): anything else raises TypeError. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define TOTALS_ABI 3 /* bumped with every change of this module's interface */

/* dst.get(key) as a new reference: NULL with no error when absent, or when its value is None (as
 * Python's `dst.get(key) is None`) */
static PyObject *
get_held(PyObject *dst, PyObject *key)
{
    PyObject *v = PyDict_GetItemWithError(dst, key); /* borrowed */
    if (v == NULL || v == Py_None)
        return NULL;
    Py_INCREF(v);
    return v;
}

/* After a step of a loop over `src`: RuntimeError, as Python's, when its size changed meanwhile */
static int
unchanged(PyObject *src, Py_ssize_t size)
{
    if (PyDict_GET_SIZE(src) == size)
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "dictionary changed size during iteration");
    return -1;
}

/* dst[key] = dst.get(key, 0) + value */
static int
add_one(PyObject *dst, PyObject *key, PyObject *value, PyObject *zero)
{
    PyObject *old = PyDict_GetItemWithError(dst, key); /* borrowed */
    if (old == NULL) {
        if (PyErr_Occurred())
            return -1;
        old = zero;
    }
    Py_INCREF(old);
    PyObject *sum = PyNumber_Add(old, value);
    Py_DECREF(old);
    if (sum == NULL)
        return -1;
    int rc = PyDict_SetItem(dst, key, sum);
    Py_DECREF(sum);
    return rc;
}

static PyObject *zero_int; /* 0 */

/* A flat run total as a tuple: the scanner's packed form (bytes of native int64, see _scan.c `packed`)
 * as the numbers it stands for, the positions set in `floats` (bit j: position j of each `stride`) as
 * floats and the others as ints, as core/totals.py `unpack` does; any other sequence as tuple(flat). */
static PyObject *
unpack(PyObject *flat, int stride, unsigned floats)
{
    if (!PyBytes_Check(flat))
        return PySequence_Tuple(flat);
    Py_ssize_t size = PyBytes_GET_SIZE(flat);
    if (size % (Py_ssize_t)sizeof(int64_t) != 0) {
        PyErr_SetString(PyExc_TypeError, "packed totals must be whole int64 values");
        return NULL;
    }
    Py_ssize_t n = size / (Py_ssize_t)sizeof(int64_t);
    PyObject *out = PyTuple_New(n);
    if (out == NULL)
        return NULL;
    const char *p = PyBytes_AS_STRING(flat);
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t v;
        memcpy(&v, p + i * (Py_ssize_t)sizeof(int64_t), sizeof(v));
        PyObject *o = (floats >> (i % stride)) & 1u ? PyFloat_FromDouble((double)v) : PyLong_FromLongLong(v);
        if (o == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, o);
    }
    return out;
}

static PyObject *
merge_counts(PyObject *self, PyObject *args)
{
    PyObject *dst, *src;
    if (!PyArg_ParseTuple(args, "O!O!:merge_counts", &PyDict_Type, &dst, &PyDict_Type, &src))
        return NULL;
    Py_ssize_t pos = 0, size = PyDict_GET_SIZE(src);
    PyObject *k, *v;
    while (PyDict_Next(src, &pos, &k, &v)) {
        Py_INCREF(k);
        Py_INCREF(v);
        int rc = add_one(dst, k, v, zero_int);
        Py_DECREF(k);
        Py_DECREF(v);
        if (rc < 0 || unchanged(src, size) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
add_pairs(PyObject *self, PyObject *args)
{
    PyObject *dst, *flat;
    if (!PyArg_ParseTuple(args, "O!O:add_pairs", &PyDict_Type, &dst, &flat))
        return NULL;
    PyObject *seq = unpack(flat, 2, 0u);
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    PyObject **items = ((PyTupleObject *)seq)->ob_item;
    for (Py_ssize_t i = 0; i + 1 < n; i += 2) {
        if (add_one(dst, items[i], items[i + 1], zero_int) < 0) {
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

/* A component's row [entries, errors, duration sum, duration max]: mine[j] += c[j] for j < 3 (or
 * only 0 and 2 when `skip_errors`), mine[3] = c[3] when c[3] > mine[3]. */
static int
add_row(PyObject *mine, PyObject *e, PyObject *err, PyObject *dur, PyObject *mx)
{
    if (!PyList_CheckExact(mine) || PyList_GET_SIZE(mine) != 4) {
        PyErr_SetString(PyExc_TypeError, "a component's totals must be a list of 4");
        return -1;
    }
    PyObject *vals[3] = {e, err, dur};
    for (int j = 0; j < 3; j++) {
        if (vals[j] == NULL)
            continue;
        if (PyList_GET_SIZE(mine) != 4) {
            PyErr_SetString(PyExc_TypeError, "a component's totals must be a list of 4");
            return -1;
        }
        PyObject *cur = PyList_GET_ITEM(mine, j);
        Py_INCREF(cur);
        PyObject *sum = PyNumber_InPlaceAdd(cur, vals[j]);
        Py_DECREF(cur);
        if (sum == NULL || PyList_SetItem(mine, j, sum) < 0) /* steals sum; checks the index */
            return -1;
    }
    if (PyList_GET_SIZE(mine) != 4) {
        PyErr_SetString(PyExc_TypeError, "a component's totals must be a list of 4");
        return -1;
    }
    PyObject *cur = PyList_GET_ITEM(mine, 3);
    Py_INCREF(cur);
    int gt = PyObject_RichCompareBool(mx, cur, Py_GT);
    Py_DECREF(cur);
    if (gt < 0)
        return -1;
    if (gt) {
        Py_INCREF(mx);
        return PyList_SetItem(mine, 3, mx); /* steals mx; checks the index */
    }
    return 0;
}

static PyObject *
merge_comps(PyObject *self, PyObject *args)
{
    PyObject *dst, *src;
    if (!PyArg_ParseTuple(args, "O!O!:merge_comps", &PyDict_Type, &dst, &PyDict_Type, &src))
        return NULL;
    Py_ssize_t pos = 0, size = PyDict_GET_SIZE(src);
    PyObject *name, *c;
    while (PyDict_Next(src, &pos, &name, &c)) {
        Py_INCREF(name);
        Py_INCREF(c);
        int rc = -1;
        PyObject *mine = get_held(dst, name);
        if (PyErr_Occurred())
            goto step;
        if (!PyList_CheckExact(c) || PyList_GET_SIZE(c) != 4) {
            PyErr_SetString(PyExc_TypeError, "a component's totals must be a list of 4");
            goto step;
        }
        if (mine == NULL) {
            PyObject *copy = PyList_GetSlice(c, 0, 4);
            if (copy != NULL) {
                rc = PyDict_SetItem(dst, name, copy);
                Py_DECREF(copy);
            }
            goto step;
        }
        PyObject *vals[4];
        for (int j = 0; j < 4; j++) {
            vals[j] = PyList_GET_ITEM(c, j);
            Py_INCREF(vals[j]);
        }
        rc = add_row(mine, vals[0], vals[1], vals[2], vals[3]);
        for (int j = 0; j < 4; j++)
            Py_DECREF(vals[j]);
    step:
        Py_XDECREF(mine);
        Py_DECREF(c);
        Py_DECREF(name);
        if (rc < 0 || unchanged(src, size) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

/* add_comps(dst, flat, names, tracked, fold): flat (component id, entries, duration sum, max) rows,
 * ids into names; a name not in `tracked` is replaced by fold(name). */
static PyObject *
add_comps(PyObject *self, PyObject *args)
{
    PyObject *dst, *flat, *names, *tracked, *fold;
    if (!PyArg_ParseTuple(args, "O!OOOO:add_comps", &PyDict_Type, &dst, &flat, &names, &tracked, &fold))
        return NULL;
    PyObject *seq = unpack(flat, 4, 0xcu); /* (id, entries, duration sum, max): the last two floats */
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    PyObject **items = ((PyTupleObject *)seq)->ob_item;
    for (Py_ssize_t i = 0; i + 3 < n; i += 4) {
        PyObject *idx = PyNumber_Long(items[i]); /* int(comps[i]) */
        if (idx == NULL)
            goto fail;
        PyObject *name = PyObject_GetItem(names, idx); /* new reference */
        Py_DECREF(idx);
        if (name == NULL)
            goto fail;
        int known = PySequence_Contains(tracked, name);
        if (known < 0) {
            Py_DECREF(name);
            goto fail;
        }
        if (!known) {
            PyObject *folded = PyObject_CallOneArg(fold, name);
            Py_DECREF(name);
            if (folded == NULL)
                goto fail;
            name = folded;
        }
        PyObject *mine = get_held(dst, name);
        int rc;
        if (mine == NULL) {
            if (PyErr_Occurred()) {
                Py_DECREF(name);
                goto fail;
            }
            PyObject *row = PyList_New(4);
            if (row == NULL) {
                Py_DECREF(name);
                goto fail;
            }
            PyObject *vals[4] = {items[i + 1], zero_int, items[i + 2], items[i + 3]};
            for (int j = 0; j < 4; j++) {
                Py_INCREF(vals[j]);
                PyList_SET_ITEM(row, j, vals[j]);
            }
            rc = PyDict_SetItem(dst, name, row);
            Py_DECREF(row);
        }
        else {
            rc = add_row(mine, items[i + 1], NULL, items[i + 2], items[i + 3]);
            Py_DECREF(mine);
        }
        Py_DECREF(name);
        if (rc < 0)
            goto fail;
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
fail:
    Py_DECREF(seq);
    return NULL;
}

/* ---- critical-path checkpoint totals (core/windows.py ActTotals: slots entries, errors, dur_sum,
 * dur_min, dur_max, hist) */
static PyObject *s_entries, *s_errors, *s_dur_sum, *s_dur_min, *s_dur_max, *s_hist;

/* obj.name += value */
static int
add_attr(PyObject *obj, PyObject *name, PyObject *value)
{
    PyObject *cur = PyObject_GetAttr(obj, name);
    if (cur == NULL)
        return -1;
    PyObject *sum = PyNumber_InPlaceAdd(cur, value);
    Py_DECREF(cur);
    if (sum == NULL)
        return -1;
    int rc = PyObject_SetAttr(obj, name, sum);
    Py_DECREF(sum);
    return rc;
}

/* obj.name = value when value `op` obj.name (Py_LT: a new minimum, Py_GT: a new maximum) */
static int
extreme_attr(PyObject *obj, PyObject *name, PyObject *value, int op)
{
    PyObject *cur = PyObject_GetAttr(obj, name);
    if (cur == NULL)
        return -1;
    int better = PyObject_RichCompareBool(value, cur, op);
    Py_DECREF(cur);
    if (better < 0)
        return -1;
    return better ? PyObject_SetAttr(obj, name, value) : 0;
}

/* dst.get(key) or dst[key] = new(): a new reference */
static PyObject *
act_of(PyObject *dst, PyObject *key, PyObject *new)
{
    PyObject *a = get_held(dst, key);
    if (a != NULL || PyErr_Occurred())
        return a;
    a = PyObject_CallNoArgs(new);
    if (a == NULL)
        return NULL;
    if (PyDict_SetItem(dst, key, a) < 0) {
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

/* The counts of one histogram (a dict) added into another's */
static int
merge_hist_of(PyObject *mine, PyObject *other)
{
    PyObject *h1 = PyObject_GetAttr(mine, s_hist);
    if (h1 == NULL)
        return -1;
    PyObject *h2 = PyObject_GetAttr(other, s_hist);
    if (h2 == NULL) {
        Py_DECREF(h1);
        return -1;
    }
    int rc = 0;
    if (!PyDict_CheckExact(h1) || !PyDict_CheckExact(h2)) {
        PyErr_SetString(PyExc_TypeError, "a checkpoint's histogram must be a dict");
        rc = -1;
    }
    else {
        Py_ssize_t pos = 0, size = PyDict_GET_SIZE(h2);
        PyObject *k, *v;
        while (rc == 0 && PyDict_Next(h2, &pos, &k, &v)) {
            Py_INCREF(k);
            Py_INCREF(v);
            rc = add_one(h1, k, v, zero_int);
            Py_DECREF(k);
            Py_DECREF(v);
            if (rc == 0)
                rc = unchanged(h2, size);
        }
    }
    Py_DECREF(h1);
    Py_DECREF(h2);
    return rc;
}

/* merge_acts(dst, src, new): ActTotals.merge of each of src's into dst's (new() where dst has none) */
static PyObject *
merge_acts(PyObject *self, PyObject *args)
{
    PyObject *dst, *src, *new;
    if (!PyArg_ParseTuple(args, "O!O!O:merge_acts", &PyDict_Type, &dst, &PyDict_Type, &src, &new))
        return NULL;
    Py_ssize_t pos = 0, size = PyDict_GET_SIZE(src);
    PyObject *key, *other;
    while (PyDict_Next(src, &pos, &key, &other)) {
        Py_INCREF(key); /* held: new() and the adds may run Python code that changes src */
        Py_INCREF(other);
        PyObject *mine = act_of(dst, key, new);
        Py_DECREF(key);
        if (mine == NULL) {
            Py_DECREF(other);
            return NULL;
        }
        int rc = -1;
        PyObject *e = NULL, *er = NULL, *ds = NULL, *mn = NULL, *mx = NULL;
        if ((e = PyObject_GetAttr(other, s_entries)) && (er = PyObject_GetAttr(other, s_errors))
            && (ds = PyObject_GetAttr(other, s_dur_sum)) && (mn = PyObject_GetAttr(other, s_dur_min))
            && (mx = PyObject_GetAttr(other, s_dur_max)) && add_attr(mine, s_entries, e) == 0
            && add_attr(mine, s_errors, er) == 0 && add_attr(mine, s_dur_sum, ds) == 0
            && extreme_attr(mine, s_dur_min, mn, Py_LT) == 0 && extreme_attr(mine, s_dur_max, mx, Py_GT) == 0
            && merge_hist_of(mine, other) == 0)
            rc = 0;
        Py_XDECREF(e);
        Py_XDECREF(er);
        Py_XDECREF(ds);
        Py_XDECREF(mn);
        Py_XDECREF(mx);
        Py_DECREF(mine);
        Py_DECREF(other);
        if (rc < 0 || unchanged(src, size) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

/* add_acts(dst, acts, act_hist, new): a run's flat (act id, entries, duration sum, min, max) rows and
 * (act id, bin, count) histogram triples into a bucket's checkpoint totals (every act of the histogram
 * has its row among the rows) */
static PyObject *
add_acts(PyObject *self, PyObject *args)
{
    PyObject *dst, *acts, *act_hist, *new;
    if (!PyArg_ParseTuple(args, "O!OOO:add_acts", &PyDict_Type, &dst, &acts, &act_hist, &new))
        return NULL;
    PyObject *seq = unpack(acts, 5, 0x1cu); /* (act, entries, duration sum, min, max): the last three floats */
    if (seq == NULL)
        return NULL;
    PyObject *hseq = unpack(act_hist, 3, 0u);
    if (hseq == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(seq), hn = PyTuple_GET_SIZE(hseq);
    PyObject **items = ((PyTupleObject *)seq)->ob_item, **hitems = ((PyTupleObject *)hseq)->ob_item;
    for (Py_ssize_t i = 0; i + 4 < n; i += 5) {
        PyObject *key = PyNumber_Long(items[i]); /* int(acts[i]) */
        if (key == NULL)
            goto fail;
        PyObject *a = act_of(dst, key, new);
        Py_DECREF(key);
        if (a == NULL)
            goto fail;
        PyObject *count = PyNumber_Long(items[i + 1]);
        int rc = count != NULL && add_attr(a, s_entries, count) == 0 && add_attr(a, s_dur_sum, items[i + 2]) == 0
                         && extreme_attr(a, s_dur_min, items[i + 3], Py_LT) == 0
                         && extreme_attr(a, s_dur_max, items[i + 4], Py_GT) == 0
                     ? 0
                     : -1;
        Py_XDECREF(count);
        Py_DECREF(a);
        if (rc < 0)
            goto fail;
    }
    for (Py_ssize_t i = 0; i + 2 < hn; i += 3) {
        PyObject *a = PyDict_GetItemWithError(dst, hitems[i]); /* borrowed */
        if (a == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetObject(PyExc_KeyError, hitems[i]);
            goto fail;
        }
        PyObject *h = PyObject_GetAttr(a, s_hist);
        if (h == NULL)
            goto fail;
        int rc = PyDict_CheckExact(h) ? add_one(h, hitems[i + 1], hitems[i + 2], zero_int) : -1;
        if (!PyDict_CheckExact(h))
            PyErr_SetString(PyExc_TypeError, "a checkpoint's histogram must be a dict");
        Py_DECREF(h);
        if (rc < 0)
            goto fail;
    }
    Py_DECREF(seq);
    Py_DECREF(hseq);
    Py_RETURN_NONE;
fail:
    Py_DECREF(seq);
    Py_DECREF(hseq);
    return NULL;
}

static PyMethodDef module_methods[] = {
    {"merge_acts", merge_acts, METH_VARARGS, "Merge one bucket's checkpoint totals into another's."},
    {"add_acts", add_acts, METH_VARARGS, "Add a run's flat checkpoint totals into a bucket's."},
    {"merge_counts", merge_counts, METH_VARARGS, "dst[k] = dst.get(k, 0) + v for each k, v of src."},
    {"add_pairs", add_pairs, METH_VARARGS, "dst[k] = dst.get(k, 0) + v for each (k, v) pair of a flat sequence."},
    {"merge_comps", merge_comps, METH_VARARGS, "Add one bucket's component rows into another's."},
    {"add_comps", add_comps, METH_VARARGS, "Add a run's flat component rows into a bucket's."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef totalsmodule = {
    PyModuleDef_HEAD_INIT, "execlog_tui._totals", "Bucket totals added in C (see core/totals.py).", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__totals(void)
{
    zero_int = PyLong_FromLong(0);
    if (zero_int == NULL)
        return NULL;
    if (!(s_entries = PyUnicode_InternFromString("entries")) || !(s_errors = PyUnicode_InternFromString("errors"))
        || !(s_dur_sum = PyUnicode_InternFromString("dur_sum")) || !(s_dur_min = PyUnicode_InternFromString("dur_min"))
        || !(s_dur_max = PyUnicode_InternFromString("dur_max")) || !(s_hist = PyUnicode_InternFromString("hist")))
        return NULL;
    PyObject *m = PyModule_Create(&totalsmodule);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "ABI", TOTALS_ABI) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
