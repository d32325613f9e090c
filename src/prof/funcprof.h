/* funcprof.h — the function profiler: every Python call (and every call of a C function, unless
 * builtins are off) into a call tree with its time and, when memory is on, the bytes it allocated,
 * kept and held at most. What `memlens profile` and memlens.profiler.Profile drive.
 *
 * Python-facing functions added to _memlens (GIL held for all):
 *   prof_enable(memory=True, builtins=True)  start; the tracker is started in memory if needed
 *   prof_disable()                           stop; calls still open are closed at this instant
 *   prof_data() -> dict                      the tree: {"funcs", "nodes", "seconds", "memory", ...}
 *   prof_thread_hook(frame, event, arg)      for threading.setprofile (before 3.12): profiles the
 *                                            new thread from its first call on
 *   PROF_HOOK                                "setprofile" or "sys.monitoring"
 *
 * Hooks: PyEval_SetProfile (C profile function, per thread) before 3.12; sys.monitoring events
 * PY_START/RESUME/THROW/RETURN/YIELD/UNWIND and CALL/C_RETURN/C_RAISE from 3.12 (all threads).
 * Semantics, for both: a call is counted when a frame starts; a generator's or coroutine's later
 * resumptions add time to the same call, and the time it spends suspended counts nowhere. A call
 * left open when profiling stops (the profiled program raised, called sys.exit, or disable() ran
 * inside it) is closed at that instant.
 */
#ifndef ML_PROF_FUNCPROF_H
#define ML_PROF_FUNCPROF_H

#include <Python.h>

int ml_prof_funcprof_init(PyObject *m);

#endif
