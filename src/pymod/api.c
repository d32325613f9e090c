/* api.c — see api.h. Thin: argument checks and conversions; the work is in src/tracker/.
 *
 *   start_memory()              trace in memory only (no capture file); no-op if already tracing
 *   snapshot(limit)             -> (stacks, sizes, index): the live blocks grouped by stack
 *       stacks: list of (frames, depth, bytes, blocks); frames = ((filename, lineno), ...) innermost
 *       first, at most `limit`; sizes: bytes of uint64 per block; index: bytes of uint32 per block
 *   traces(stacks, sizes, index, with_depth) -> list of tracemalloc trace tuples
 *   select(sizes, index, keep)  -> (sizes, index) of the blocks whose stack has keep[stack] != 0,
 *       renumbered to keep[stack] - 1 (keep: bytes of uint32 per stack)
 *   object_stack(obj, limit)    -> (frames, depth) of the block holding obj, or None
 *   traced_memory() -> (current, peak); reset_peak(); clear_traces(); tracker_memory() -> int
 *   mark(label) -> bool (written to a capture); rss() -> (rss, anon, file, shmem) in bytes
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <string.h>

#include "pymod/api.h"
#include "tracker/snapshot.h"
#include "tracker/tracker.h"

/* ---- snapshot -> Python ---- */

/* The frames tuple of every stack of the snapshot; a stack with no Python frame gets tracemalloc's
 * ("<unknown>", 0). Strings are decoded once per snapshot. */
static PyObject *stacks_list(const ml_snap_t *s)
{
	PyObject *strs = PyList_New((Py_ssize_t)s->nstrs), *out = PyList_New((Py_ssize_t)s->nstacks);
	PyObject *unknown = NULL;
	if (!strs || !out)
		goto fail;
	for (size_t i = 0; i < s->nstrs; i++) {
		PyObject *u = PyUnicode_DecodeUTF8(s->chars + s->str_off[i], (Py_ssize_t)(s->str_off[i + 1] - s->str_off[i]),
						   "replace");
		if (!u)
			goto fail;
		PyList_SET_ITEM(strs, (Py_ssize_t)i, u);
	}
	if (!(unknown = Py_BuildValue("((si))", "<unknown>", 0)))
		goto fail;
	for (size_t i = 0; i < s->nstacks; i++) {
		const ml_snap_stack_t *st = &s->stacks[i];
		PyObject *frames;
		if (st->nframes) {
			if (!(frames = PyTuple_New(st->nframes)))
				goto fail;
			for (uint32_t k = 0; k < st->nframes; k++) {
				const ml_snap_frame_t *f = &s->frames[st->first + k];
				PyObject *fr = Py_BuildValue("(OI)", PyList_GET_ITEM(strs, f->file), f->line);
				if (!fr) {
					Py_DECREF(frames);
					goto fail;
				}
				PyTuple_SET_ITEM(frames, k, fr);
			}
		} else {
			Py_INCREF(unknown);
			frames = unknown;
		}
		PyObject *item = Py_BuildValue("(NIKK)", frames, st->depth ? st->depth : 1,
					       (unsigned long long)st->bytes, (unsigned long long)st->blocks);
		if (!item)
			goto fail;
		PyList_SET_ITEM(out, (Py_ssize_t)i, item);
	}
	Py_DECREF(strs);
	Py_DECREF(unknown);
	return out;
fail:
	Py_XDECREF(strs);
	Py_XDECREF(out);
	Py_XDECREF(unknown);
	return NULL;
}

/* tracemalloc's bound on the number of frames: 65535 from 3.9 on, larger before. */
static int check_limit(Py_ssize_t limit)
{
	const Py_ssize_t max = PY_VERSION_HEX >= 0x03090000 ? 65535 : 178956969;
	if (limit < 1 || limit > max) {
		PyErr_Format(PyExc_ValueError, "the number of frames must be in range [1; %zd]", max);
		return -1;
	}
	return 0;
}

static PyObject *api_snapshot(PyObject *self, PyObject *arg)
{
	(void)self;
	Py_ssize_t limit = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
	if ((limit == -1 && PyErr_Occurred()) || check_limit(limit) < 0)
		return NULL;
	ml_snap_t s;
	int rc = ml_tracker_snapshot(&s, (size_t)limit);
	if (rc == -2) {
		PyErr_SetString(PyExc_RuntimeError, "the tracemalloc module must be tracing memory allocations to take a snapshot");
		return NULL;
	}
	if (rc < 0)
		return PyErr_NoMemory();
	PyObject *stacks = stacks_list(&s);
	PyObject *sizes = PyBytes_FromStringAndSize((const char *)s.size, (Py_ssize_t)(s.nblocks * sizeof *s.size));
	PyObject *index = PyBytes_FromStringAndSize((const char *)s.stack, (Py_ssize_t)(s.nblocks * sizeof *s.stack));
	ml_snap_free(&s);
	if (!stacks || !sizes || !index) {
		Py_XDECREF(stacks);
		Py_XDECREF(sizes);
		Py_XDECREF(index);
		return NULL;
	}
	return Py_BuildValue("(NNN)", stacks, sizes, index);
}

/* Reads a bytes argument as an array of n elements of `elem` bytes. */
static int as_array(PyObject *b, size_t elem, const void **data, size_t *n, const char *what)
{
	if (!PyBytes_Check(b) || PyBytes_GET_SIZE(b) % (Py_ssize_t)elem) {
		PyErr_Format(PyExc_TypeError, "%s must be bytes holding %zu-byte integers", what, elem);
		return -1;
	}
	*data = PyBytes_AS_STRING(b);
	*n = (size_t)PyBytes_GET_SIZE(b) / elem;
	return 0;
}

static PyObject *api_traces(PyObject *self, PyObject *args)
{
	PyObject *stacks, *sizes_b, *index_b;
	int with_depth;
	const void *sz, *ix;
	size_t n, ni;
	(void)self;
	if (!PyArg_ParseTuple(args, "O!SSp:traces", &PyList_Type, &stacks, &sizes_b, &index_b, &with_depth) ||
	    as_array(sizes_b, 8, &sz, &n, "sizes") < 0 || as_array(index_b, 4, &ix, &ni, "index") < 0)
		return NULL;
	if (n != ni) {
		PyErr_SetString(PyExc_ValueError, "sizes and index differ in length");
		return NULL;
	}
	const uint64_t *size = sz;
	const uint32_t *idx = ix;
	PyObject *out = PyList_New((Py_ssize_t)n);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= (size_t)PyList_GET_SIZE(stacks)) {
			Py_DECREF(out);
			PyErr_SetString(PyExc_ValueError, "stack index out of range");
			return NULL;
		}
		PyObject *st = PyList_GET_ITEM(stacks, idx[i]);
		if (!PyTuple_Check(st) || PyTuple_GET_SIZE(st) < 2) {
			Py_DECREF(out);
			PyErr_SetString(PyExc_TypeError, "stacks must hold (frames, depth, ...) tuples");
			return NULL;
		}
		PyObject *t = with_depth ? Py_BuildValue("(iKOO)", 0, (unsigned long long)size[i], PyTuple_GET_ITEM(st, 0),
							 PyTuple_GET_ITEM(st, 1))
					 : Py_BuildValue("(iKO)", 0, (unsigned long long)size[i], PyTuple_GET_ITEM(st, 0));
		if (!t) {
			Py_DECREF(out);
			return NULL;
		}
		PyList_SET_ITEM(out, (Py_ssize_t)i, t);
	}
	return out;
}

static PyObject *api_select(PyObject *self, PyObject *args)
{
	PyObject *sizes_b, *index_b, *keep_b;
	const void *sz, *ix, *kp;
	size_t n, ni, nk;
	(void)self;
	if (!PyArg_ParseTuple(args, "SSS:select", &sizes_b, &index_b, &keep_b) || as_array(sizes_b, 8, &sz, &n, "sizes") < 0 ||
	    as_array(index_b, 4, &ix, &ni, "index") < 0 || as_array(keep_b, 4, &kp, &nk, "keep") < 0)
		return NULL;
	if (n != ni) {
		PyErr_SetString(PyExc_ValueError, "sizes and index differ in length");
		return NULL;
	}
	const uint64_t *size = sz;
	const uint32_t *idx = ix, *keep = kp;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= nk) {
			PyErr_SetString(PyExc_ValueError, "stack index out of range");
			return NULL;
		}
		m += keep[idx[i]] != 0;
	}
	PyObject *so = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(m * 8));
	PyObject *io = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(m * 4));
	if (!so || !io) {
		Py_XDECREF(so);
		Py_XDECREF(io);
		return NULL;
	}
	uint64_t *s2 = (uint64_t *)PyBytes_AS_STRING(so);
	uint32_t *i2 = (uint32_t *)PyBytes_AS_STRING(io);
	for (size_t i = 0, j = 0; i < n; i++)
		if (keep[idx[i]]) {
			s2[j] = size[i];
			i2[j++] = keep[idx[i]] - 1;
		}
	return Py_BuildValue("(NN)", so, io);
}

/* ---- objects ---- */

/* Start of the block holding obj: the allocators return the address before the object's
 * pre-header (the GC links, and from 3.11 the managed dict/weakref pointers). */
static const void *block_of(PyObject *obj)
{
	PyTypeObject *tp = Py_TYPE(obj);
	size_t pre = 0;
	if (PyType_IS_GC(tp))
		pre += 2 * sizeof(void *); /* PyGC_Head */
#if defined(Py_TPFLAGS_PREHEADER)
	if (tp->tp_flags & Py_TPFLAGS_PREHEADER)
		pre += 2 * sizeof(void *);
#elif defined(Py_TPFLAGS_MANAGED_DICT)
	if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT)
		pre += 2 * sizeof(void *);
#endif
	return (const char *)obj - pre;
}

static PyObject *api_object_stack(PyObject *self, PyObject *args)
{
	PyObject *obj;
	Py_ssize_t limit;
	(void)self;
	if (!PyArg_ParseTuple(args, "On:object_stack", &obj, &limit) || check_limit(limit) < 0)
		return NULL;
	ml_snap_t s;
	int rc = ml_tracker_block(block_of(obj), (size_t)limit, &s);
	if (rc < 0)
		return PyErr_NoMemory();
	if (rc == 0)
		Py_RETURN_NONE;
	PyObject *stacks = stacks_list(&s);
	ml_snap_free(&s);
	if (!stacks)
		return NULL;
	PyObject *st = PyList_GET_ITEM(stacks, 0);
	PyObject *out = Py_BuildValue("(OO)", PyTuple_GET_ITEM(st, 0), PyTuple_GET_ITEM(st, 1));
	Py_DECREF(stacks);
	return out;
}

/* ---- counters ---- */

static PyObject *api_start_memory(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	if (ml_tracker_is_tracing()) { /* (a profiler may have started it counting only) */
		ml_tracker_want_stacks();
		Py_RETURN_NONE;
	}
	ml_tracker_opts_t o = {NULL, 0, NULL, NULL, 0, 0};
	char err[512];
	if (ml_tracker_start(&o, err, sizeof err) < 0) {
		PyErr_SetString(PyExc_RuntimeError, err);
		return NULL;
	}
	Py_RETURN_NONE;
}

static PyObject *api_has_capture(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyBool_FromLong(ml_tracker_has_capture());
}

static PyObject *api_traced_memory(PyObject *self, PyObject *unused)
{
	uint64_t cur, peak;
	(void)self;
	(void)unused;
	ml_tracker_traced(&cur, &peak);
	return Py_BuildValue("(KK)", (unsigned long long)cur, (unsigned long long)peak);
}

static PyObject *api_reset_peak(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	ml_tracker_reset_peak();
	Py_RETURN_NONE;
}

static PyObject *api_clear_traces(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	ml_tracker_clear();
	Py_RETURN_NONE;
}

static PyObject *api_tracker_memory(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyLong_FromSize_t(ml_tracker_memory());
}

static PyObject *api_mark(PyObject *self, PyObject *arg)
{
	(void)self;
	if (!PyUnicode_Check(arg)) {
		PyErr_Format(PyExc_TypeError, "mark() argument must be str, not %.100s", Py_TYPE(arg)->tp_name);
		return NULL;
	}
	Py_ssize_t n;
	const char *s = PyUnicode_AsUTF8AndSize(arg, &n);
	if (!s)
		return NULL;
	int rc;
	Py_BEGIN_ALLOW_THREADS
	rc = ml_tracker_mark(s, (size_t)n);
	Py_END_ALLOW_THREADS
	return PyBool_FromLong(rc > 0);
}

/* Resident memory from /proc/self/status: VmRSS (what psutil's memory_info().rss reports) and its
 * anonymous, file-backed and shared-memory parts. */
static PyObject *api_rss(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	unsigned long long v[4] = {0, 0, 0, 0};
	static const char *keys[4] = {"VmRSS:", "RssAnon:", "RssFile:", "RssShmem:"};
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return PyErr_SetFromErrnoWithFilename(PyExc_OSError, "/proc/self/status");
	char line[256];
	while (fgets(line, sizeof line, f))
		for (int i = 0; i < 4; i++) {
			size_t k = strlen(keys[i]);
			if (!strncmp(line, keys[i], k))
				v[i] = strtoull(line + k, NULL, 10) * 1024;
		}
	fclose(f);
	return Py_BuildValue("(KKKK)", v[0], v[1], v[2], v[3]);
}

PyMethodDef ml_api_methods[] = {
	{"start_memory", api_start_memory, METH_NOARGS, "start_memory()\n\nTrace in memory only, without a capture file."},
	{"has_capture", api_has_capture, METH_NOARGS, "has_capture() -> bool: tracing into a capture file"},
	{"snapshot", api_snapshot, METH_O, "snapshot(limit) -> (stacks, sizes, index)"},
	{"traces", api_traces, METH_VARARGS, "traces(stacks, sizes, index, with_depth) -> list of trace tuples"},
	{"select", api_select, METH_VARARGS, "select(sizes, index, keep) -> (sizes, index)"},
	{"object_stack", api_object_stack, METH_VARARGS, "object_stack(obj, limit) -> (frames, depth) or None"},
	{"traced_memory", api_traced_memory, METH_NOARGS, "traced_memory() -> (current, peak)"},
	{"reset_peak", api_reset_peak, METH_NOARGS, "reset_peak()"},
	{"clear_traces", api_clear_traces, METH_NOARGS, "clear_traces()"},
	{"tracker_memory", api_tracker_memory, METH_NOARGS, "tracker_memory() -> int"},
	{"mark", api_mark, METH_O, "mark(label) -> bool"},
	{"rss", api_rss, METH_NOARGS, "rss() -> (rss, anon, file, shmem)"},
	{NULL, NULL, 0, NULL},
};
