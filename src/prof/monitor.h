/* monitor.h — sys.monitoring (PEP 669, CPython 3.12+) driven from C.
 *
 * 3.12 has no C API to register a tool, so setup goes through the sys.monitoring functions (once per
 * profiling run, and once per code object for local events). The events then call C functions
 * (METH_FASTCALL) directly, with no Python frame: the cost of an event is one vectorcall.
 *
 * A tool id is taken from 2 (PROFILER_ID), 3, 4 in that order, so memlens runs beside a debugger
 * (0) or coverage (1), and its two profilers can run at once. Needs the GIL; errors leave a Python
 * exception set.
 */
#ifndef ML_PROF_MONITOR_H
#define ML_PROF_MONITOR_H

#include <Python.h>

#include "prof/pycompat.h"

#if ML_PROF_MONITORING

typedef struct {
	const char *event; /* name in sys.monitoring.events */
	PyMethodDef def;   /* the C callback */
} ml_prof_mon_cb_t;

/* Takes a tool id and registers the callbacks. The id, or -1 (exception set, nothing held). */
int ml_prof_mon_acquire(const char *name, ml_prof_mon_cb_t *cbs, size_t n);

/* Bit of the named event (sys.monitoring.events.NAME), or 0 with an exception set. */
int ml_prof_mon_event(const char *name);

/* sys.monitoring.set_events / set_local_events. 0, or -1 with an exception set. */
int ml_prof_mon_set_events(int tool, int mask);
int ml_prof_mon_set_local(int tool, PyObject *code, int mask);

/* Clears the tool's global events and callbacks and frees the id (local events: the caller clears
 * them first). Keeps an exception the caller is handling. */
void ml_prof_mon_release(int tool, const ml_prof_mon_cb_t *cbs, size_t n);

#endif
#endif
