/* prof.h — the profiling layer inside the traced process: time (and memory) per function and per line.
 *
 *   clock.h     tick source (RDTSC when invariant) and its calibration
 *   keymap.h    (tag, address) -> index maps; calltree.h the function profiler's call tree
 *   heapmark.h  the tracker's per-thread byte counters for the profilers, with a high-water mark
 *   monitor.h   sys.monitoring (3.12+) from C
 *   funcprof.h  the function profiler (prof_* in _memlens); lines.h the line engine (lines_*)
 *
 * Python glue and reports: python/memlens/profiler.py, lines.py, timing.py; see docs/PROFILING.md.
 */
#ifndef ML_PROF_H
#define ML_PROF_H

#include <Python.h>

/* Adds this layer's functions and constants to the _memlens module. 0, or -1 with an exception set. */
int ml_prof_module_init(PyObject *m);

#endif
