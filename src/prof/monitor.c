/* monitor.c — sys.monitoring setup from C (see monitor.h). */
#include "prof/monitor.h"

#if ML_PROF_MONITORING

static PyObject *call(const char *fn, const char *fmt, ...)
{
	PyObject *mon = PySys_GetObject("monitoring"); /* borrowed */
	if (!mon) {
		PyErr_SetString(PyExc_RuntimeError, "sys.monitoring is missing");
		return NULL;
	}
	PyObject *f = PyObject_GetAttrString(mon, fn);
	if (!f)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	PyObject *args = Py_VaBuildValue(fmt, ap);
	va_end(ap);
	PyObject *r = args ? PyObject_CallObject(f, args) : NULL;
	Py_XDECREF(args);
	Py_DECREF(f);
	return r;
}

int ml_prof_mon_event(const char *name)
{
	PyObject *mon = PySys_GetObject("monitoring");
	PyObject *events = mon ? PyObject_GetAttrString(mon, "events") : NULL;
	PyObject *v = events ? PyObject_GetAttrString(events, name) : NULL;
	long bit = v ? PyLong_AsLong(v) : -1;
	Py_XDECREF(v);
	Py_XDECREF(events);
	if (!mon && !PyErr_Occurred())
		PyErr_SetString(PyExc_RuntimeError, "sys.monitoring is missing");
	return bit > 0 ? (int)bit : 0;
}

static int register_all(int tool, ml_prof_mon_cb_t *cbs, size_t n, int clear)
{
	for (size_t i = 0; i < n; i++) {
		int bit = ml_prof_mon_event(cbs[i].event);
		if (!bit)
			return -1;
		PyObject *fn = clear ? Py_NewRef(Py_None) : PyCFunction_New(&cbs[i].def, NULL);
		PyObject *r = fn ? call("register_callback", "(iiO)", tool, bit, fn) : NULL;
		Py_XDECREF(fn);
		if (!r)
			return -1;
		Py_DECREF(r);
	}
	return 0;
}

int ml_prof_mon_acquire(const char *name, ml_prof_mon_cb_t *cbs, size_t n)
{
	for (int tool = 2; tool <= 4; tool++) {
		PyObject *r = call("use_tool_id", "(is)", tool, name);
		if (!r) {
			if (!PyErr_ExceptionMatches(PyExc_ValueError))
				return -1;
			PyErr_Clear(); /* in use by another tool */
			continue;
		}
		Py_DECREF(r);
		if (register_all(tool, cbs, n, 0) < 0) {
			ml_prof_mon_release(tool, cbs, n);
			return -1;
		}
		return tool;
	}
	PyErr_SetString(PyExc_RuntimeError,
			"sys.monitoring tool ids 2-4 are all in use (another profiler is running)");
	return -1;
}

int ml_prof_mon_set_events(int tool, int mask)
{
	PyObject *r = call("set_events", "(ii)", tool, mask);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

int ml_prof_mon_set_local(int tool, PyObject *code, int mask)
{
	PyObject *r = call("set_local_events", "(iOi)", tool, code, mask);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

void ml_prof_mon_release(int tool, const ml_prof_mon_cb_t *cbs, size_t n)
{
	PyObject *et, *ev, *etb;
	PyErr_Fetch(&et, &ev, &etb);
	if (ml_prof_mon_set_events(tool, 0) < 0 || register_all(tool, (ml_prof_mon_cb_t *)cbs, n, 1) < 0)
		PyErr_Clear();
	PyObject *r = call("free_tool_id", "(i)", tool);
	if (!r)
		PyErr_Clear();
	Py_XDECREF(r);
	PyErr_Restore(et, ev, etb);
}

#endif
