/* gcwatch.c — see gcwatch.h. */
#include "objects/gcwatch.h"

#include <string.h>
#include <time.h>

#include "tracker/tracker.h"

/* ---- state (owned by the GIL) ---- */
static ml_gcw_gen_t gens[ML_GCW_GENERATIONS];
static PyObject *callback; /* our entry in gc.callbacks, while watching */
static PyObject *meter;    /* Python meter, or NULL: the tracker's count (when it traces), or none */
static uint64_t t_start;
static int64_t bytes_start;
static int have_start;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Traced bytes now, or −1 if nothing measures them. Python meters may return an int or a tuple whose
 * first item is one (tracemalloc.get_traced_memory()). An error in the meter is cleared: a gc
 * callback must not raise. */
static int64_t traced_bytes(void)
{
	if (!meter) {
		if (!ml_tracker_is_tracing())
			return -1;
		uint64_t cur, peak;
		ml_tracker_traced(&cur, &peak);
		return (int64_t)cur;
	}
	PyObject *r = PyObject_CallObject(meter, NULL);
	int64_t v = -1;
	if (r) {
		PyObject *x = PyTuple_Check(r) && PyTuple_GET_SIZE(r) ? PyTuple_GET_ITEM(r, 0) : r;
		if (PyLong_Check(x))
			v = PyLong_AsLongLong(x);
		Py_DECREF(r);
	}
	if (PyErr_Occurred())
		PyErr_Clear();
	return v;
}

static long info_long(PyObject *info, const char *key)
{
	PyObject *v = PyDict_Check(info) ? PyDict_GetItemString(info, key) : NULL;
	long n = v && PyLong_Check(v) ? PyLong_AsLong(v) : 0;
	if (PyErr_Occurred())
		PyErr_Clear();
	return n < 0 ? 0 : n;
}

static PyObject *on_gc(PyObject *self, PyObject *args)
{
	(void)self;
	const char *phase;
	PyObject *info;
	if (!PyArg_ParseTuple(args, "sO", &phase, &info))
		return NULL;
	if (!strcmp(phase, "start")) {
		bytes_start = traced_bytes();
		have_start = 1;
		t_start = now_ns(); /* last: the meter's own time is not a pause */
		Py_RETURN_NONE;
	}
	uint64_t t = now_ns();
	long g = info_long(info, "generation");
	if (!have_start || g < 0 || g >= ML_GCW_GENERATIONS)
		Py_RETURN_NONE;
	have_start = 0;
	ml_gcw_gen_t *s = &gens[g];
	uint64_t pause = t - t_start, us = pause / 1000;
	s->collections++;
	s->collected += (uint64_t)info_long(info, "collected");
	s->uncollectable += (uint64_t)info_long(info, "uncollectable");
	s->pause_ns += pause;
	if (pause > s->max_pause_ns)
		s->max_pause_ns = pause;
	int b = 0;
	while (us > 1 && b < ML_GCW_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	s->hist[b]++;
	if (bytes_start >= 0) {
		int64_t after = traced_bytes();
		if (after >= 0)
			s->freed_bytes += bytes_start - after;
	}
	Py_RETURN_NONE;
}

static PyMethodDef on_gc_def = {"_memlens_gc_watch", on_gc, METH_VARARGS, "memlens gc watcher"};

static PyObject *gc_callbacks(void)
{
	PyObject *gc = PyImport_ImportModule("gc");
	PyObject *cbs = gc ? PyObject_GetAttrString(gc, "callbacks") : NULL;
	Py_XDECREF(gc);
	return cbs;
}

static int gcw_stop(void);

static int gcw_start(PyObject *m)
{
	if (gcw_stop() < 0)
		return -1;
	memset(gens, 0, sizeof gens);
	have_start = 0;
	Py_XSETREF(meter, m && m != Py_None ? (Py_INCREF(m), m) : NULL);
	PyObject *cbs = gc_callbacks();
	if (!cbs)
		return -1;
	callback = PyCFunction_New(&on_gc_def, NULL);
	int rc = callback ? PyList_Append(cbs, callback) : -1;
	Py_DECREF(cbs);
	if (rc < 0)
		Py_CLEAR(callback);
	return rc;
}

static int gcw_stop(void)
{
	if (!callback)
		return 0;
	PyObject *cbs = gc_callbacks();
	if (!cbs)
		return -1;
	for (Py_ssize_t i = PyList_GET_SIZE(cbs) - 1; i >= 0; i--)
		if (PyList_GET_ITEM(cbs, i) == callback && PySequence_DelItem(cbs, i) < 0) {
			Py_DECREF(cbs);
			return -1;
		}
	Py_DECREF(cbs);
	Py_CLEAR(callback);
	return 0;
}

static PyObject *obj_gc_stats(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	PyObject *list = PyList_New(0);
	if (!list)
		return NULL;
	for (int g = 0; g < ML_GCW_GENERATIONS; g++) {
		const ml_gcw_gen_t *s = &gens[g];
		PyObject *hist = PyList_New(ML_GCW_BUCKETS);
		if (!hist)
			goto fail;
		for (int b = 0; b < ML_GCW_BUCKETS; b++)
			PyList_SET_ITEM(hist, b, PyLong_FromUnsignedLongLong(s->hist[b]));
		PyObject *d = Py_BuildValue("{sKsKsKsKsKsNsL}", "collections", s->collections, "collected",
					    s->collected, "uncollectable", s->uncollectable, "pause_ns", s->pause_ns,
					    "max_pause_ns", s->max_pause_ns, "hist", hist, "freed_bytes", (long long)s->freed_bytes);
		if (!d || PyList_Append(list, d) < 0) {
			Py_XDECREF(d);
			goto fail;
		}
		Py_DECREF(d);
	}
	return Py_BuildValue("{sNsOsO}", "generations", list, "metered",
			     (meter || ml_tracker_is_tracing()) ? Py_True : Py_False, "watching",
			     callback ? Py_True : Py_False);
fail:
	Py_DECREF(list);
	return NULL;
}

static PyObject *obj_gc_watch(PyObject *self, PyObject *args)
{
	PyObject *m = Py_None;
	(void)self;
	if (!PyArg_ParseTuple(args, "|O:obj_gc_watch", &m))
		return NULL;
	if (m != Py_None && !PyCallable_Check(m)) {
		PyErr_SetString(PyExc_TypeError, "meter must be callable or None");
		return NULL;
	}
	if (gcw_start(m) < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *obj_gc_unwatch(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	if (gcw_stop() < 0)
		return NULL;
	Py_RETURN_NONE;
}

PyMethodDef ml_gcw_methods[] = {
	{"obj_gc_watch", obj_gc_watch, METH_VARARGS, "obj_gc_watch(meter=None): count collections, pauses, freed bytes"},
	{"obj_gc_unwatch", obj_gc_unwatch, METH_NOARGS, "obj_gc_unwatch(): remove the gc callback"},
	{"obj_gc_stats", obj_gc_stats, METH_NOARGS, "obj_gc_stats() -> dict"},
	{NULL, NULL, 0, NULL},
};
