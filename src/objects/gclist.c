/* gclist.c — see gclist.h. */
#include <patchlevel.h>
#if PY_VERSION_HEX >= 0x03090000 && PY_VERSION_HEX < 0x030C0000
#define Py_BUILD_CORE 1 /* before Python.h, so objimpl.h takes the core's definitions */
#define ML_GC_INTERNALS 1
#endif
#include <Python.h>
#ifdef ML_GC_INTERNALS
#include <internal/pycore_interp.h>
#endif

#include "objects/gclist.h"

#include <stdlib.h>
#include <string.h>

#if PY_VERSION_HEX >= 0x030C0000
typedef struct {
	int (*fn)(PyObject *, void *);
	void *arg;
	int failed;
} visit_t;

static int visit_one(PyObject *op, void *arg)
{
	visit_t *v = arg;
	if (v->fn(op, v->arg) < 0)
		v->failed = 1;
	return !v->failed;
}
#endif

int ml_obj_gclist_each(int (*fn)(PyObject *, void *), void *arg)
{
#if PY_VERSION_HEX >= 0x030C0000
	visit_t v = {fn, arg, 0};
	PyUnstable_GC_VisitObjects(visit_one, &v);
	return v.failed ? -1 : 0;
#elif defined(ML_GC_INTERNALS)
	struct _gc_runtime_state *gc = &PyInterpreterState_Get()->gc;
	for (int i = 0; i < NUM_GENERATIONS; i++) {
		PyGC_Head *head = &gc->generations[i].head;
		for (PyGC_Head *g = (PyGC_Head *)head->_gc_next; g != head;) {
			/* the next object's header and body load while this one is traversed: the list is
			 * in allocation order, scattered over the heap, a cache miss per object otherwise */
			PyGC_Head *next = (PyGC_Head *)g->_gc_next;
			__builtin_prefetch(next);
			__builtin_prefetch((char *)next + 64);
			if (fn((PyObject *)(g + 1), arg) < 0)
				return -1;
			g = next;
		}
	}
	return 0;
#else
	PyObject *gcmod = PyImport_ImportModule("gc");
	PyObject *list = gcmod ? PyObject_CallMethod(gcmod, "get_objects", NULL) : NULL;
	Py_XDECREF(gcmod);
	if (!list)
		return -1;
	size_t n = (size_t)PyList_GET_SIZE(list);
	PyObject **copy = malloc((n + 1) * sizeof *copy);
	if (copy)
		memcpy(copy, PySequence_Fast_ITEMS(list), n * sizeof *copy);
	Py_DECREF(list); /* frees nothing but the list: every object in it was alive before */
	if (!copy) {
		PyErr_NoMemory();
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = fn(copy[i], arg);
	free(copy);
	return rc;
#endif
}
