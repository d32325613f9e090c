/* lines.h — the line engine: for each line of the functions chosen, hits, time, bytes allocated, net
 * bytes, the most heap seen after it and (optionally) the most RSS. One engine for two layouts:
 * `memlens lineprof` (line_profiler's, time first) and memlens.lines / @memlens.profile
 * (memory_profiler's, memory first).
 *
 * Python-facing functions added to _memlens (GIL held for all):
 *   lines_add(code)       profile this code object (a function's __code__); before or while enabled
 *   lines_enable(memory=True, rss=False, everywhere=False)
 *                         start. `everywhere` (before 3.12): trace this thread from now on, not only
 *                         inside lines_enter/lines_exit (for functions that were not decorated)
 *   lines_disable()       stop; lines still running are closed at this instant
 *   lines_enter(), lines_exit()
 *                         (before 3.12) bracket a call of a decorated function: the trace function is
 *                         installed on this thread for the outermost bracket only, and the one it
 *                         replaced (a debugger's, coverage's) is put back after
 *   lines_thread_hook     for threading.settrace in `everywhere` mode (before 3.12)
 *   lines_data() -> list  per code: (code, calls, entry_mem, entry_rss, [(line, hits, seconds,
 *                         alloc, net, mem, rss), ...]); mem/rss None where never measured
 *   LINES_WRAP            True when decorated functions need lines_enter/lines_exit (before 3.12)
 *
 * How a line is measured: at each line event of a profiled frame, the line that was running gets
 * the time and the byte counts since it started (callees included, as line_profiler counts), then the
 * new line starts. Before 3.12 the events come from a C trace function (PyEval_SetTrace); frames of
 * other code get no line events (f_trace_lines off at their call event). From 3.12 they are
 * sys.monitoring LINE/PY_START/PY_RESUME/PY_RETURN/PY_YIELD events set on the profiled code objects
 * only (set_local_events), so the rest of the program runs at full speed, plus PY_UNWIND and PY_THROW.
 *
 * "Heap" is the thread's traced net bytes since the engine first saw the thread; RSS is read from
 * /proc/self/statm after a line when that line has no reading yet or the heap moved by 1 MiB since
 * the thread's last reading (a read costs ~1 µs; reading after every line would cost 20-50×).
 */
#ifndef ML_PROF_LINES_H
#define ML_PROF_LINES_H

#include <Python.h>

int ml_prof_lines_init(PyObject *m);

#endif
