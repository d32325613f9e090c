/* prof.c — the profiling layer's part of the _memlens module: the clock, the function profiler
 * (funcprof.h) and the line engine (lines.h). */
#include "prof/prof.h"

#include "prof/clock.h"
#include "prof/funcprof.h"
#include "prof/lines.h"

int ml_prof_module_init(PyObject *m)
{
	ml_prof_clock_init();
	return ml_prof_funcprof_init(m) < 0 || ml_prof_lines_init(m) < 0 ? -1 : 0;
}
