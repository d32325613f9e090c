/* module.c — the _memlens extension: the Python-facing face of the tracker.
 *
 *   _memlens.start_capture(path, max_depth=0, meta=None)   start tracing into a capture file
 *   _memlens.stop()                                final flush, close; no-op when not tracing
 *   _memlens.is_tracing() -> bool
 *
 * plus the functions of api.h. Thin on purpose: argument checking here, everything else in src/tracker/.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>

#include "cli/version.h"
#include "pymod/api.h"
#include "objects/objects.h"
#include "prof/prof.h"
#include "tracker/tracker.h"

static PyObject *mod_start(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"path", "max_depth", "meta", NULL};
	PyObject *path_obj, *meta = NULL, *bytes = NULL, *items = NULL;
	Py_ssize_t max_depth = 0;
	const char **kv = NULL;
	size_t *kvlen = NULL;
	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|nO!:start_capture", kwlist, &path_obj, &max_depth, &PyDict_Type, &meta))
		return NULL;
	if (max_depth < 0) {
		PyErr_SetString(PyExc_ValueError, "max_depth must be >= 0");
		return NULL;
	}
	if (!PyUnicode_FSConverter(path_obj, &bytes))
		return NULL;
	Py_ssize_t n = 0;
	if (meta) {
		items = PyDict_Items(meta);
		if (!items)
			goto fail;
		n = PyList_GET_SIZE(items);
		kv = calloc((size_t)(2 * n + 2), sizeof *kv);
		kvlen = calloc((size_t)(2 * n + 2), sizeof *kvlen);
		if (!kv || !kvlen) {
			PyErr_NoMemory();
			goto fail;
		}
		for (Py_ssize_t i = 0; i < n; i++) {
			PyObject *it = PyList_GET_ITEM(items, i);
			for (int j = 0; j < 2; j++) {
				PyObject *s = PyTuple_GET_ITEM(it, j);
				if (!PyUnicode_Check(s)) {
					PyErr_SetString(PyExc_TypeError, "meta keys and values must be str");
					goto fail;
				}
				Py_ssize_t len;
				if (!(kv[2 * i + j] = PyUnicode_AsUTF8AndSize(s, &len)))
					goto fail;
				kvlen[2 * i + j] = (size_t)len;
			}
		}
	}
	ml_tracker_opts_t o = {PyBytes_AS_STRING(bytes), (size_t)max_depth, kv, kvlen, (size_t)n};
	char err[512];
	if (ml_tracker_start(&o, err, sizeof err) < 0) {
		PyErr_SetString(PyExc_OSError, err);
		goto fail;
	}
	free(kv);
	free(kvlen);
	Py_XDECREF(items);
	Py_DECREF(bytes);
	Py_RETURN_NONE;
fail:
	free(kv);
	free(kvlen);
	Py_XDECREF(items);
	Py_XDECREF(bytes);
	return NULL;
}

static PyObject *mod_stop(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	ml_tracker_stop();
	Py_RETURN_NONE;
}

static PyObject *mod_is_tracing(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyBool_FromLong(ml_tracker_is_tracing());
}

static PyMethodDef methods[] = {
	{"start_capture", (PyCFunction)(void (*)(void))mod_start, METH_VARARGS | METH_KEYWORDS,
	 "start_capture(path, max_depth=0, meta=None)\n\nTrace every allocation into the capture file at path."},
	{"stop", mod_stop, METH_NOARGS, "stop()\n\nWrite the final flush and close the capture."},
	{"is_tracing", mod_is_tracing, METH_NOARGS, "is_tracing() -> bool"},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {
	PyModuleDef_HEAD_INIT, "_memlens", "memlens tracker (C).", -1, methods, NULL, NULL, NULL, NULL,
};

__attribute__((visibility("default"))) PyMODINIT_FUNC PyInit__memlens(void);
PyMODINIT_FUNC PyInit__memlens(void)
{
	PyObject *m = PyModule_Create(&moddef);
	if (m && (PyModule_AddStringConstant(m, "__version__", ML_VERSION) < 0 || PyModule_AddFunctions(m, ml_api_methods) < 0 || ml_prof_module_init(m) < 0 ||
		  ml_objects_module_init(m) < 0)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
