/* lines.c — the line engine (see lines.h).
 *
 * Per line event: one clock read, a comparison with the top of this thread's stack of profiled
 * frames, an index into the code's line table, and with memory on two thread-local reads. Tables
 * grow on the slow path with libc (never the traced allocator).
 *
 * Ownership: `g`, every code's table and every thread's stack are touched with the GIL held only
 * (trace functions and monitoring callbacks run with it). A thread finds its stack through a
 * thread-local pointer, valid while its generation is the current run's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prof/clock.h"
#include "prof/heapmark.h"
#include "prof/keymap.h"
#include "prof/lines.h"
#include "prof/monitor.h"
#include "prof/pycompat.h"

#define RSS_STEP (1 << 20) /* heap movement between two RSS readings of a thread */

typedef struct {
	uint64_t hits, done; /* started, finished (a line still running at a yield is both once) */
	uint64_t ticks, alloc;
	int64_t net;
	int64_t mem;  /* the most heap seen when it finished (valid if done) */
	uint64_t rss; /* the most RSS read when it finished; 0: none */
} line_t;

typedef struct {
	PyObject *code; /* pinned: its address is the key */
	int first;      /* co_firstlineno: lines[i] is line first + i */
	line_t *lines;
	size_t nlines;
	uint64_t calls;
	int64_t entry_mem; /* the most heap seen at a call (valid if calls) */
	uint64_t entry_rss;
} code_t;

/* A running profiled frame. */
typedef struct {
	void *id;      /* the frame (before 3.12) or the code object (3.12+): events name it so */
	uint32_t code; /* index in g.codes */
	int line;      /* running, or -1 before the first line event */
	uint64_t t;
	int64_t net;
	uint64_t alloc;
} lframe_t;

typedef struct lthread_s {
	lframe_t *stack;
	size_t depth, cap;
	int64_t base;   /* heap reading when the engine first saw the thread */
	int64_t rss_at; /* heap at the last RSS reading */
	struct lthread_s *next;
#if !ML_PROF_MONITORING
	int wraps;                /* lines_enter brackets open */
	int installed;            /* the outermost bracket installed the trace function */
	Py_tracefunc saved_func;  /* the trace function it replaced */
	PyObject *saved_obj;
#endif
} lthread_t;

static struct {
	int enabled, memory, rss, everywhere;
	const char *failed;
	uint64_t generation;
	code_t *codes; /* codes[0] unused */
	size_t ncodes, capcodes;
	ml_prof_keymap_t map; /* code -> index (tag 0) */
	lthread_t *threads;
	int statm; /* /proc/self/statm, or -1 */
	long page;
#if ML_PROF_MONITORING
	int tool;
	int local_mask;
#endif
} g = {.statm = -1};

static __thread lthread_t *t_thr;
static __thread uint64_t t_gen;

static void fail(const char *what)
{
	if (g.failed)
		return;
	g.failed = what;
	char msg[256];
	int n = snprintf(msg, sizeof msg, "memlens: line profiler: %s; profiling stopped, the program continues\n", what);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
		return;
}

/* ---- readings ---- */

static uint64_t read_rss(void)
{
	char buf[96];
	ssize_t n = g.statm >= 0 ? pread(g.statm, buf, sizeof buf - 1, 0) : -1;
	if (n <= 0)
		return 0;
	buf[n] = 0;
	unsigned long size, resident;
	return sscanf(buf, "%lu %lu", &size, &resident) == 2 ? (uint64_t)resident * (uint64_t)g.page : 0;
}

static inline void heap_now(int64_t *net, uint64_t *alloc)
{
	if (g.memory) {
		ml_prof_heap_now(net, alloc);
	} else {
		*net = 0;
		*alloc = 0;
	}
}

/* ---- threads ---- */

static lthread_t *thread_get(void)
{
	if (t_gen == g.generation && t_thr)
		return t_thr;
	lthread_t *t = calloc(1, sizeof *t);
	if (t)
		t->stack = malloc(32 * sizeof *t->stack);
	if (!t || !t->stack) {
		free(t);
		fail("out of memory for a thread's frames");
		return NULL;
	}
	t->cap = 32;
	uint64_t alloc;
	heap_now(&t->base, &alloc);
	t->rss_at = t->base;
	t->next = g.threads;
	g.threads = t;
	t_thr = t;
	t_gen = g.generation;
	return t;
}

/* ---- the hot path ---- */

static line_t *line_of(code_t *c, int lineno)
{
	if (lineno < c->first)
		return NULL;
	size_t i = (size_t)(lineno - c->first);
	if (i >= c->nlines) {
		size_t n = c->nlines ? 2 * c->nlines : 64;
		while (n <= i)
			n *= 2;
		line_t *p = realloc(c->lines, n * sizeof *p);
		if (!p) {
			fail("out of memory for the line table");
			return NULL;
		}
		memset(p + c->nlines, 0, (n - c->nlines) * sizeof *p);
		c->lines = p;
		c->nlines = n;
	}
	return &c->lines[i];
}

/* The line running in f (if any) ends now. */
static void finish(lthread_t *t, lframe_t *f, uint64_t now, int64_t net, uint64_t alloc)
{
	if (f->line < 0)
		return;
	line_t *l = line_of(&g.codes[f->code], f->line);
	if (!l)
		return;
	l->ticks += now - f->t;
	if (!g.memory)
		return;
	l->alloc += alloc - f->alloc;
	l->net += net - f->net;
	int64_t mem = net - t->base;
	if (!l->done++ || mem > l->mem)
		l->mem = mem;
	if (g.rss && (!l->rss || net - t->rss_at >= RSS_STEP || t->rss_at - net >= RSS_STEP)) {
		uint64_t rss = read_rss();
		t->rss_at = net;
		if (rss > l->rss)
			l->rss = rss;
	}
}

static void frame_start(lthread_t *t, void *id, uint32_t ci, int starts)
{
	uint64_t now = ml_prof_ticks();
	if (t->depth == t->cap) {
		lframe_t *p = realloc(t->stack, 2 * t->cap * sizeof *p);
		if (!p) {
			fail("out of memory for a thread's frames");
			return;
		}
		t->stack = p;
		t->cap *= 2;
	}
	lframe_t *f = &t->stack[t->depth++];
	*f = (lframe_t){.id = id, .code = ci, .line = -1, .t = now};
	heap_now(&f->net, &f->alloc);
	if (!starts)
		return;
	code_t *c = &g.codes[ci];
	int64_t mem = f->net - t->base;
	if (!c->calls++ || mem > c->entry_mem)
		c->entry_mem = mem;
	if (g.rss && !c->entry_rss)
		c->entry_rss = read_rss();
}

static void line_event(lthread_t *t, void *id, int lineno)
{
	if (!t->depth || t->stack[t->depth - 1].id != id)
		return; /* a frame that began before the engine did */
	uint64_t now = ml_prof_ticks();
	lframe_t *f = &t->stack[t->depth - 1];
	int64_t net;
	uint64_t alloc;
	heap_now(&net, &alloc);
	finish(t, f, now, net, alloc);
	line_t *l = line_of(&g.codes[f->code], lineno);
	if (!l)
		return;
	l->hits++;
	f->line = lineno;
	f->t = now;
	f->net = net;
	f->alloc = alloc;
}

static void frame_end(lthread_t *t, void *id)
{
	size_t k = t->depth;
	while (k && t->stack[k - 1].id != id)
		k--;
	if (!k)
		return;
	uint64_t now = ml_prof_ticks();
	int64_t net;
	uint64_t alloc;
	heap_now(&net, &alloc);
	while (t->depth >= k)
		finish(t, &t->stack[--t->depth], now, net, alloc);
}

static inline uint32_t code_index(PyObject *code) { return ml_prof_keymap_get(&g.map, 0, (uintptr_t)code); }

/* ---- hooks: sys.monitoring (3.12+) ---- */

#if ML_PROF_MONITORING

static inline lthread_t *active_thread(PyObject *const *args, Py_ssize_t n)
{
	if (!g.enabled || g.failed || n < 2)
		return NULL;
	if (g.memory)
		ml_prof_own_event_int(args[1]);
	return thread_get();
}

static PyObject *begin(PyObject *const *args, Py_ssize_t n, int starts)
{
	lthread_t *t = active_thread(args, n);
	uint32_t ci = t ? code_index(args[0]) : 0;
	if (ci)
		frame_start(t, args[0], ci, starts);
	Py_RETURN_NONE;
}

static PyObject *on_start(PyObject *self, PyObject *const *args, Py_ssize_t n) { return begin(args, n, 1); }
static PyObject *on_resume(PyObject *self, PyObject *const *args, Py_ssize_t n) { return begin(args, n, 0); }

static PyObject *on_line(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	lthread_t *t = active_thread(args, n);
	if (t)
		line_event(t, args[0], (int)PyLong_AsLong(args[1]));
	Py_RETURN_NONE;
}

static PyObject *on_leave(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	lthread_t *t = active_thread(args, n);
	if (t && t->depth)
		frame_end(t, args[0]);
	Py_RETURN_NONE;
}

#define CB(ev, fn) {ev, {"memlens_lines_" ev, (PyCFunction)(void (*)(void))fn, METH_FASTCALL, NULL}}
static ml_prof_mon_cb_t callbacks[] = {
	CB("LINE", on_line),       CB("PY_START", on_start), CB("PY_RESUME", on_resume), CB("PY_RETURN", on_leave),
	CB("PY_YIELD", on_leave),  /* the two below cannot be set per code object: */
	CB("PY_UNWIND", on_leave), CB("PY_THROW", on_resume),
};
#undef CB
#define NCALLBACKS (sizeof callbacks / sizeof callbacks[0])
#define NLOCAL 5

static int hook_install(void)
{
	if ((g.tool = ml_prof_mon_acquire("memlens line profiler", callbacks, NCALLBACKS)) < 0)
		return -1;
	int global = 0;
	g.local_mask = 0;
	for (size_t i = 0; i < NCALLBACKS; i++)
		*(i < NLOCAL ? &g.local_mask : &global) |= ml_prof_mon_event(callbacks[i].event);
	int rc = ml_prof_mon_set_events(g.tool, global);
	for (size_t i = 1; rc == 0 && i < g.ncodes; i++)
		rc = ml_prof_mon_set_local(g.tool, g.codes[i].code, g.local_mask);
	if (rc < 0)
		ml_prof_mon_release(g.tool, callbacks, NCALLBACKS);
	return rc;
}

static void hook_remove(void)
{
	PyObject *et, *ev, *etb;
	PyErr_Fetch(&et, &ev, &etb);
	for (size_t i = 1; i < g.ncodes; i++)
		if (ml_prof_mon_set_local(g.tool, g.codes[i].code, 0) < 0)
			PyErr_Clear();
	PyErr_Restore(et, ev, etb);
	ml_prof_mon_release(g.tool, callbacks, NCALLBACKS);
}

static int hook_code_added(PyObject *code)
{
	return g.enabled ? ml_prof_mon_set_local(g.tool, code, g.local_mask) : 0;
}

/* ---- hooks: PyEval_SetTrace (3.8–3.11) ---- */

#else

static int on_trace(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
	if (!g.enabled) { /* left on a thread by a run that has ended */
		PyEval_SetTrace(NULL, NULL);
		return 0;
	}
	lthread_t *t = g.failed ? NULL : thread_get();
	if (!t)
		return 0;
	switch (what) {
	case PyTrace_CALL: {
		PyCodeObject *code = ml_prof_frame_code(frame);
		uint32_t ci = code_index((PyObject *)code);
		if (ci)
			frame_start(t, frame, ci, ml_prof_frame_starts(frame, code));
		else
			ml_prof_frame_no_lines(frame);
		break;
	}
	case PyTrace_LINE:
		line_event(t, frame, PyFrame_GetLineNumber(frame));
		break;
	case PyTrace_RETURN:
		if (t->depth)
			frame_end(t, frame);
		break;
	}
	return 0;
}

static int hook_install(void)
{
	if (g.everywhere)
		PyEval_SetTrace(on_trace, NULL);
	return 0;
}

static void hook_remove(void)
{
	lthread_t *t = thread_get();
	if (g.everywhere || (t && t->installed))
		PyEval_SetTrace(NULL, NULL);
}

static int hook_code_added(PyObject *code) { return 0; }

#endif

/* ---- Python API ---- */

static void data_free(void)
{
	for (size_t i = 1; i < g.ncodes; i++) {
		Py_DECREF(g.codes[i].code);
		free(g.codes[i].lines);
	}
	free(g.codes);
	g.codes = NULL;
	g.ncodes = g.capcodes = 0;
	ml_prof_keymap_free(&g.map);
	while (g.threads) {
		lthread_t *t = g.threads;
		g.threads = t->next;
#if !ML_PROF_MONITORING
		Py_XDECREF(t->saved_obj);
#endif
		free(t->stack);
		free(t);
	}
	g.generation++;
	g.failed = NULL;
}

static PyObject *lines_add(PyObject *self, PyObject *code)
{
	if (!PyCode_Check(code)) {
		PyErr_SetString(PyExc_TypeError, "lines_add() needs a code object");
		return NULL;
	}
	if (code_index(code))
		Py_RETURN_NONE;
	if (g.ncodes == g.capcodes) {
		size_t cap = g.capcodes ? 2 * g.capcodes : 16;
		code_t *p = realloc(g.codes, cap * sizeof *p);
		if (!p)
			return PyErr_NoMemory();
		g.codes = p;
		g.capcodes = cap;
		if (!g.ncodes)
			g.ncodes = 1;
	}
	uint32_t ci = (uint32_t)g.ncodes;
	if (ml_prof_keymap_put(&g.map, 0, (uintptr_t)code, ci) < 0)
		return PyErr_NoMemory();
	g.codes[ci] = (code_t){.code = Py_NewRef(code), .first = ((PyCodeObject *)code)->co_firstlineno};
	g.ncodes++;
	ml_prof_own_t own = {0};
	if (g.enabled && g.memory)
		ml_prof_own_begin(&own);
	int rc = hook_code_added(code);
	if (g.enabled && g.memory)
		ml_prof_own_end(&own);
	if (rc < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *lines_enable(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"memory", "rss", "everywhere", NULL};
	int memory = 1, rss = 0, everywhere = 0;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|ppp:lines_enable", kwlist, &memory, &rss, &everywhere))
		return NULL;
	if (g.enabled) {
		PyErr_SetString(PyExc_RuntimeError, "the memlens line profiler is already running");
		return NULL;
	}
	char err[256];
	if (memory && ml_prof_heap_acquire(err, sizeof err) < 0) {
		PyErr_Format(PyExc_RuntimeError, "cannot count memory: %s", err);
		return NULL;
	}
	g.memory = memory;
	g.rss = memory && rss;
	g.everywhere = everywhere;
	if (g.rss && g.statm < 0) {
		g.statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
		g.page = sysconf(_SC_PAGESIZE);
	}
	g.generation++;
	g.failed = NULL;
	if (!thread_get() || hook_install() < 0) {
		if (!PyErr_Occurred())
			PyErr_NoMemory();
		if (memory)
			ml_prof_heap_release();
		return NULL;
	}
	g.enabled = 1;
	Py_RETURN_NONE;
}

static PyObject *lines_disable(PyObject *self, PyObject *unused)
{
	if (!g.enabled)
		Py_RETURN_NONE;
	lthread_t *me = thread_get();
	if (me)
		frame_end(me, me->depth ? me->stack[0].id : NULL);
	for (lthread_t *t = g.threads; t; t = t->next)
		t->depth = 0; /* other threads' lines: their counters cannot be read from here */
	hook_remove();
	g.enabled = 0;
	if (g.memory)
		ml_prof_heap_release();
	Py_RETURN_NONE;
}

#if !ML_PROF_MONITORING
static PyObject *lines_enter(PyObject *self, PyObject *unused)
{
	lthread_t *t = g.enabled && !g.failed ? thread_get() : NULL;
	if (t && !t->wraps++ && !g.everywhere) {
		PyThreadState *ts = PyThreadState_Get();
		if (ts->c_tracefunc != on_trace) {
			t->saved_func = ts->c_tracefunc;
			t->saved_obj = Py_XNewRef(ts->c_traceobj);
			t->installed = 1;
			PyEval_SetTrace(on_trace, NULL);
		}
	}
	Py_RETURN_NONE;
}

static PyObject *lines_exit(PyObject *self, PyObject *unused)
{
	lthread_t *t = g.enabled ? thread_get() : NULL;
	if (t && t->wraps && !--t->wraps && t->installed) {
		t->installed = 0;
		PyObject *obj = t->saved_obj;
		t->saved_obj = NULL;
		PyEval_SetTrace(t->saved_func, obj);
		Py_XDECREF(obj);
	}
	Py_RETURN_NONE;
}

/* threading.settrace(lines_thread_hook): the new thread's first event; the C function replaces it. */
static PyObject *lines_thread_hook(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	if (g.enabled && g.everywhere)
		PyEval_SetTrace(on_trace, NULL);
	Py_RETURN_NONE;
}
#endif

static PyObject *opt_int(int valid, long long v) { return valid ? PyLong_FromLongLong(v) : Py_NewRef(Py_None); }

static PyObject *code_tuple(const code_t *c, double spt)
{
	PyObject *rows = PyList_New(0);
	if (!rows)
		return NULL;
	for (size_t i = 0; i < c->nlines; i++) {
		const line_t *l = &c->lines[i];
		if (!l->hits && !l->done)
			continue;
		PyObject *row = Py_BuildValue("(iKdKLNN)", c->first + (int)i, (unsigned long long)l->hits,
					      (double)l->ticks * spt, (unsigned long long)l->alloc, (long long)l->net,
					      opt_int(g.memory && l->done, l->mem), opt_int(l->rss != 0, (long long)l->rss));
		if (!row || PyList_Append(rows, row) < 0) {
			Py_XDECREF(row);
			Py_DECREF(rows);
			return NULL;
		}
		Py_DECREF(row);
	}
	return Py_BuildValue("(OKNNN)", c->code, (unsigned long long)c->calls,
			     opt_int(g.memory && c->calls, c->entry_mem), opt_int(c->entry_rss != 0, (long long)c->entry_rss),
			     rows);
}

static PyObject *lines_data(PyObject *self, PyObject *unused)
{
	double spt = ml_prof_clock_seconds_per_tick();
	PyObject *out = PyList_New(0);
	for (size_t i = 1; out && i < g.ncodes; i++) {
		PyObject *t = code_tuple(&g.codes[i], spt);
		if (!t || PyList_Append(out, t) < 0)
			Py_CLEAR(out);
		Py_XDECREF(t);
	}
	return out;
}

static PyObject *lines_clear(PyObject *self, PyObject *unused)
{
	if (g.enabled) {
		PyErr_SetString(PyExc_RuntimeError, "the memlens line profiler is running: disable it first");
		return NULL;
	}
	data_free();
	Py_RETURN_NONE;
}

static PyObject *lines_failed(PyObject *self, PyObject *unused)
{
	return g.failed ? PyUnicode_FromString(g.failed) : Py_NewRef(Py_None);
}

static PyMethodDef methods[] = {
	{"lines_add", lines_add, METH_O, "lines_add(code)\n\nProfile this code object line by line."},
	{"lines_enable", (PyCFunction)(void (*)(void))lines_enable, METH_VARARGS | METH_KEYWORDS,
	 "lines_enable(memory=True, rss=False, everywhere=False)\n\nStart the line engine."},
	{"lines_disable", lines_disable, METH_NOARGS, "lines_disable()\n\nStop the line engine."},
	{"lines_data", lines_data, METH_NOARGS, "lines_data() -> list\n\nPer code object: calls and line rows."},
	{"lines_clear", lines_clear, METH_NOARGS, "lines_clear()\n\nForget the code objects and their rows."},
	{"lines_failed", lines_failed, METH_NOARGS, "lines_failed() -> str or None\n\nWhy recording stopped early."},
#if !ML_PROF_MONITORING
	{"lines_enter", lines_enter, METH_NOARGS, "Entering a decorated function (before 3.12)."},
	{"lines_exit", lines_exit, METH_NOARGS, "Leaving a decorated function (before 3.12)."},
	{"lines_thread_hook", (PyCFunction)(void (*)(void))lines_thread_hook, METH_FASTCALL,
	 "For threading.settrace: trace new threads (before 3.12)."},
#endif
	{NULL, NULL, 0, NULL},
};

int ml_prof_lines_init(PyObject *m)
{
	if (PyModule_AddFunctions(m, methods) < 0)
		return -1;
	PyObject *wrap = Py_NewRef(ML_PROF_MONITORING ? Py_False : Py_True);
	if (PyModule_AddObject(m, "LINES_WRAP", wrap) < 0) {
		Py_DECREF(wrap);
		return -1;
	}
	return 0;
}
