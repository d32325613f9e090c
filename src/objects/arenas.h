/* arenas.h — pymalloc's arenas over a run: how many were taken from the system and how many given
 * back, and pymalloc's own full statistics when they can be had.
 *
 * The counts come from wrapping the arena allocator (PyObject_SetArenaAllocator, public since 3.4):
 * each arena pymalloc maps or unmaps passes through us and is counted, then forwarded to the allocator
 * that was there. That works under any allocator hook, which matters: pymalloc's full report
 * (_PyObject_DebugMallocStats, what sys._debugmallocstats() prints: arenas, pools and blocks per size
 * class) refuses to run once tracemalloc or memlens hooks the object allocator, so it is read once,
 * before tracing starts, as the baseline, and whenever no hook is installed.
 *
 * Arena allocations happen inside pymalloc, under the GIL; the counters are atomics all the same.
 * The wrapper stays installed once installed (an arena allocated through it may be freed at any
 * later time, and forwarding costs one indirect call per 256 KiB–1 MiB arena).
 */
#ifndef ML_OBJ_ARENAS_H
#define ML_OBJ_ARENAS_H

#include <Python.h>

#include <stdint.h>

/* The module's functions (added by objects.c):
 *   obj_arenas_watch()     install the counting wrapper (once)
 *   obj_arenas_stats()  -> {"watching": bool, "allocated": n, "freed": n, "arena_size": bytes}, counts
 *                          since obj_arenas_watch()
 *   obj_pymalloc_text() -> pymalloc's report as text, or None when pymalloc is not the object allocator
 *                          right now (hooked by a tracer, or PYTHONMALLOC=malloc) or the interpreter
 *                          does not export it */
extern PyMethodDef ml_arenas_methods[];

#endif
