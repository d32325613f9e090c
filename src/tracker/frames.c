/* frames.c — see frames.h. One walker per interpreter generation:
 *   3.8–3.10  PyFrameObject chain from tstate->frame; f_lasti is a byte offset (3.8, 3.9) or an
 *             instruction index (3.10).
 *   3.11–3.12 _PyInterpreterFrame chain from tstate->cframe->current_frame; skip incomplete frames
 *             (not yet past their RESUME) and, in 3.12, the C-stack shim frames.
 *   3.13      the same chain from tstate->current_frame; f_executable may be a non-code object.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#endif
#include <internal/pycore_frame.h>
#else
#include <frameobject.h>
#endif

#include "tracker/frames.h"

static inline PyThreadState *current_tstate(void)
{
#if PY_VERSION_HEX >= 0x030D0000
	return PyThreadState_GetUnchecked();
#else
	return _PyThreadState_UncheckedGet();
#endif
}

#if PY_VERSION_HEX >= 0x030B0000

/* Code object of a frame, or NULL for frames that are not Python-visible. Only the innermost frame
 * can be incomplete (still before its RESUME): a frame with a callee has executed a call. Checking
 * just that one saves a load from every outer frame's code object. */
static inline PyCodeObject *frame_code(_PyInterpreterFrame *f, int innermost)
{
#if PY_VERSION_HEX >= 0x030D0000
	if (f->owner == FRAME_OWNED_BY_CSTACK || !PyCode_Check(f->f_executable))
		return NULL;
	PyCodeObject *code = (PyCodeObject *)f->f_executable;
	_Py_CODEUNIT *instr = f->instr_ptr;
#else
#if PY_VERSION_HEX >= 0x030C0000
	if (f->owner == FRAME_OWNED_BY_CSTACK)
		return NULL;
#endif
	PyCodeObject *code = f->f_code;
	_Py_CODEUNIT *instr = f->prev_instr;
#endif
	if (innermost && f->owner != FRAME_OWNED_BY_GENERATOR && instr < _PyCode_CODE(code) + code->_co_firsttraceable)
		return NULL; /* incomplete: still setting up, not a Python-visible frame yet */
	return code;
}

size_t ml_frames_collect(ml_frame_t *out, size_t max, int *more)
{
	PyThreadState *ts = current_tstate();
	size_t n = 0;
	*more = 0;
	if (!ts)
		return 0;
#if PY_VERSION_HEX >= 0x030D0000
	_PyInterpreterFrame *f = ts->current_frame;
#else
	_PyInterpreterFrame *f = ts->cframe ? ts->cframe->current_frame : NULL;
#endif
	for (int innermost = 1; f; f = f->previous) {
		PyCodeObject *code = frame_code(f, innermost);
		innermost = 0;
		if (!code)
			continue;
		if (n == max) {
			*more = 1;
			break;
		}
#if PY_VERSION_HEX >= 0x030D0000
		ptrdiff_t units = f->instr_ptr - _PyCode_CODE(code);
#else
		ptrdiff_t units = f->prev_instr - _PyCode_CODE(code);
#endif
		out[n].code = code;
		out[n].offset = units < 0 ? 0 : (uint32_t)units * (uint32_t)sizeof(_Py_CODEUNIT);
		n++;
	}
	return n;
}

#else /* 3.8 – 3.10 */

size_t ml_frames_collect(ml_frame_t *out, size_t max, int *more)
{
	PyThreadState *ts = current_tstate();
	size_t n = 0;
	*more = 0;
	if (!ts)
		return 0;
	for (PyFrameObject *f = ts->frame; f; f = f->f_back) {
		if (n == max) {
			*more = 1;
			break;
		}
		int lasti = f->f_lasti;
#if PY_VERSION_HEX >= 0x030A0000
		lasti = lasti < 0 ? 0 : lasti * (int)sizeof(_Py_CODEUNIT);
#else
		lasti = lasti < 0 ? 0 : lasti;
#endif
		out[n].code = f->f_code;
		out[n].offset = (uint32_t)lasti;
		n++;
	}
	return n;
}

#endif

int ml_frames_line(const ml_frame_t *f)
{
	int line = PyCode_Addr2Line((PyCodeObject *)f->code, (int)f->offset);
	return line < 0 ? 0 : line;
}
