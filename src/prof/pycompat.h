/* pycompat.h — the few interpreter details the profilers' hooks read, one definition per CPython
 * generation, so that funcprof.c and lines.c hold no version tests of their own.
 *
 *   3.8–3.10  PyFrameObject is public: f_code, f_lasti (-1 before the first instruction), and
 *             f_trace_lines.
 *   3.11      PyFrameObject is internal (pycore_frame.h, compiled per version like the tracker's
 *             frames.c); a generator's first run starts at _co_firsttraceable (its RESUME).
 *   3.12+     the hooks are sys.monitoring callbacks that get code objects, not frames; only the
 *             thread-state fields used to save and restore a trace function remain.
 */
#ifndef ML_PROF_PYCOMPAT_H
#define ML_PROF_PYCOMPAT_H

#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#endif
#include <internal/pycore_frame.h>
#elif PY_VERSION_HEX < 0x030B0000
#include <frameobject.h>
#endif

#if PY_VERSION_HEX < 0x030A0000 /* added in 3.10 */
static inline PyObject *ml_prof_newref(PyObject *o)
{
	Py_INCREF(o);
	return o;
}
static inline PyObject *ml_prof_xnewref(PyObject *o)
{
	Py_XINCREF(o);
	return o;
}
#define Py_NewRef(o) ml_prof_newref((PyObject *)(o))
#define Py_XNewRef(o) ml_prof_xnewref((PyObject *)(o))
#endif

/* 3.12 and later: sys.monitoring callbacks (PEP 669). Earlier: PyEval_SetProfile/SetTrace. */
#define ML_PROF_MONITORING (PY_VERSION_HEX >= 0x030C0000)

#define ML_PROF_RESUMABLE (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)

#if !ML_PROF_MONITORING
/* The frame's code object, borrowed (the frame holds it). */
static inline PyCodeObject *ml_prof_frame_code(PyFrameObject *f)
{
#if PY_VERSION_HEX >= 0x030B0000
	return f->f_frame->f_code;
#else
	return f->f_code;
#endif
}

/* For a call event: 1 if the frame starts running, 0 if a generator or coroutine resumes. */
static inline int ml_prof_frame_starts(PyFrameObject *f, PyCodeObject *code)
{
	if (!(code->co_flags & ML_PROF_RESUMABLE))
		return 1;
#if PY_VERSION_HEX >= 0x030B0000
	return f->f_frame->prev_instr == _PyCode_CODE(code) + code->_co_firsttraceable;
#else
	return f->f_lasti < 0;
#endif
}

/* Stops line events for this frame (call and return events still come). */
static inline void ml_prof_frame_no_lines(PyFrameObject *f) { f->f_trace_lines = 0; }

static inline PyThreadState *ml_prof_tstate(void) { return PyThreadState_Get(); }
#endif

#endif
