/* funcprof.c — the function profiler (see funcprof.h).
 *
 * Per event: one clock read, the caller frame's one-entry cache or one keymap lookup to find the
 * call-tree node, a push or pop on this thread's shadow stack, and with memory on two thread-local
 * reads of the tracker's counters. No allocation on the hot path: a node and, the first time a
 * function is seen, its table entry (and the label of a C function) are made on the slow path, and
 * what that allocates is kept out of the program's counts (heapmark.h).
 *
 * Ownership: everything in `g` and every thread's stack is touched only with the GIL held (profile
 * functions and monitoring callbacks run with it). Each thread finds its stack through a
 * thread-local pointer, valid while its generation is the current run's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prof/calltree.h"
#include "prof/clock.h"
#include "prof/funcprof.h"
#include "prof/heapmark.h"
#include "prof/monitor.h"
#include "prof/pycompat.h"

typedef struct {
	uintptr_t key;  /* code object, or the C function's PyMethodDef */
	PyObject *what; /* the code object (pinned: its address is the key) or the C function's label */
} func_t;

/* One open call on a thread's shadow stack. */
typedef struct {
	uintptr_t key;
	uint32_t node;
	uint32_t last_node; /* cache: the node of the callee this frame called last */
	uintptr_t last_key;
	uint64_t t0;        /* ticks when it started or resumed */
	uint64_t child;     /* ticks in callees since then */
	int64_t net0, hwm_saved;
	uint64_t alloc0;
} frame_t;

typedef struct thread_s {
	frame_t *stack; /* stack[0]: the root, never popped */
	size_t depth, cap;
	struct thread_s *next;
} thread_t;

static struct {
	int enabled, memory, builtins;
	const char *failed; /* why recording stopped early, or NULL */
	uint64_t generation;
	uint64_t t_start, t_stop;
	ml_prof_tree_t tree;
	func_t *funcs; /* funcs[0] unused: node.func is >= 1 */
	size_t nfuncs, capfuncs;
	ml_prof_keymap_t func_map; /* key -> index in funcs (tag 0) */
	thread_t *threads;
#if ML_PROF_MONITORING
	int tool;
#endif
} g;

static __thread thread_t *t_thr;
static __thread uint64_t t_gen;

static PyObject *prof_enable(PyObject *self, PyObject *args, PyObject *kw);
static PyObject *prof_disable(PyObject *self, PyObject *unused);

/* ---- failure: warn once, stop recording, the program runs on ---- */

static void fail(const char *what)
{
	if (g.failed)
		return;
	g.failed = what;
	char msg[256];
	int n = snprintf(msg, sizeof msg, "memlens: profiler: %s; profiling stopped, the program continues\n", what);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
		return;
}

/* ---- threads ---- */

static thread_t *thread_new(void)
{
	thread_t *t = calloc(1, sizeof *t);
	if (t)
		t->stack = calloc(64, sizeof *t->stack);
	if (!t || !t->stack) {
		free(t);
		fail("out of memory for a thread's call stack");
		return NULL;
	}
	t->cap = 64;
	t->depth = 1;
	t->next = g.threads;
	g.threads = t;
	t_thr = t;
	t_gen = g.generation;
	return t;
}

static inline thread_t *thread_get(void)
{
	return t_gen == g.generation && t_thr ? t_thr : thread_new();
}

static void threads_free(void)
{
	while (g.threads) {
		thread_t *t = g.threads;
		g.threads = t->next;
		free(t->stack);
		free(t);
	}
}

/* ---- functions and nodes (slow path) ---- */

/* cProfile's name for a C function, so that pstats files and their viewers read the same:
 * "<built-in method builtins.len>", "<method 'append' of 'list' objects>". */
static PyObject *c_label(PyObject *callable)
{
	if (!PyCFunction_Check(callable))
		return PyObject_Repr(callable); /* a method descriptor (3.12+) */
	PyCFunctionObject *fn = (PyCFunctionObject *)callable;
	PyObject *self = fn->m_self, *mod = fn->m_module;
	if (self && !PyModule_Check(self)) {
		PyObject *name = PyUnicode_FromString(fn->m_ml->ml_name);
		PyObject *descr = name ? _PyType_Lookup(Py_TYPE(self), name) : NULL; /* borrowed */
		Py_XDECREF(name);
		if (descr)
			return PyObject_Repr(descr);
		PyErr_Clear();
	}
	if (mod && PyModule_Check(mod))
		mod = PyModule_GetNameObject(mod);
	else
		Py_XINCREF(mod);
	PyObject *r;
	if (mod && PyUnicode_Check(mod))
		r = PyUnicode_FromFormat("<built-in method %U.%s>", mod, fn->m_ml->ml_name);
	else
		r = PyUnicode_FromFormat("<built-in method %s>", fn->m_ml->ml_name);
	Py_XDECREF(mod);
	return r;
}

static uint32_t func_add(uintptr_t key, PyObject *obj, int is_code)
{
	if (g.nfuncs == g.capfuncs) {
		size_t cap = g.capfuncs ? 2 * g.capfuncs : 256;
		func_t *p = realloc(g.funcs, cap * sizeof *p);
		if (!p)
			return 0;
		g.funcs = p;
		g.capfuncs = cap;
		if (!g.nfuncs)
			g.nfuncs = 1;
	}
	PyObject *what;
	if (is_code) {
		what = Py_NewRef(obj);
	} else {
		PyObject *et, *ev, *etb;
		PyErr_Fetch(&et, &ev, &etb); /* a C_RAISE event comes with the exception set */
		what = c_label(obj);
		if (!what) {
			PyErr_Clear();
			what = PyUnicode_FromString("<built-in method ?>");
		}
		PyErr_Restore(et, ev, etb);
		if (!what)
			return 0;
	}
	uint32_t id = (uint32_t)g.nfuncs;
	if (ml_prof_keymap_put(&g.func_map, 0, key, id) < 0) {
		Py_DECREF(what);
		return 0;
	}
	g.funcs[id] = (func_t){key, what};
	g.nfuncs++;
	return id;
}

static uint32_t node_new(uint32_t parent, uintptr_t key, PyObject *obj, int is_code)
{
	ml_prof_own_t own = {0};
	if (g.memory)
		ml_prof_own_begin(&own);
	uint32_t func = ml_prof_keymap_get(&g.func_map, 0, key);
	if (!func)
		func = func_add(key, obj, is_code);
	uint32_t node = func ? ml_prof_tree_add(&g.tree, parent, key, func) : 0;
	if (g.memory)
		ml_prof_own_end(&own);
	if (!node)
		fail(g.tree.n >= ML_PROF_TREE_MAX ? "too many distinct call paths" : "out of memory for the call tree");
	return node;
}

/* ---- the hot path ---- */

static void enter(thread_t *t, uintptr_t key, PyObject *obj, int is_code, int starts)
{
	uint64_t now = ml_prof_ticks();
	if (t->depth == t->cap) {
		frame_t *p = realloc(t->stack, 2 * t->cap * sizeof *p);
		if (!p) {
			fail("out of memory for a thread's call stack");
			return;
		}
		t->stack = p;
		t->cap *= 2;
	}
	frame_t *caller = &t->stack[t->depth - 1];
	uint32_t node;
	if (caller->last_key == key) {
		node = caller->last_node;
	} else {
		node = ml_prof_tree_find(&g.tree, caller->node, key);
		if (!node) {
			node = node_new(caller->node, key, obj, is_code);
			if (!node)
				return;
			/* making a label allocates, a collection may run finalizers, and their (balanced)
			 * events may have moved the stack */
			caller = &t->stack[t->depth - 1];
		}
		caller->last_key = key;
		caller->last_node = node;
	}
	frame_t *f = &t->stack[t->depth++];
	f->key = key;
	f->node = node;
	f->last_key = 0;
	f->t0 = now;
	f->child = 0;
	g.tree.nodes[node].calls += (uint64_t)starts;
	if (g.memory) {
		ml_prof_heap_now(&f->net0, &f->alloc0);
		f->hwm_saved = ml_prof_heap_hwm();
		ml_prof_heap_set_hwm(f->net0);
	}
}

/* Pops the innermost call. `mine`: the calling thread's own stack (only then are its byte counters
 * the right ones to read). */
static void close_top(thread_t *t, uint64_t now, int mine)
{
	frame_t *f = &t->stack[--t->depth];
	ml_prof_node_t *n = &g.tree.nodes[f->node];
	uint64_t elapsed = now - f->t0;
	n->ticks += elapsed;
	n->child_ticks += f->child;
	t->stack[t->depth - 1].child += elapsed;
	if (g.memory && mine) {
		int64_t net;
		uint64_t alloc;
		ml_prof_heap_now(&net, &alloc);
		n->alloc += alloc - f->alloc0;
		n->net += net - f->net0;
		int64_t hwm = ml_prof_heap_hwm();
		if (hwm - f->net0 > n->peak)
			n->peak = hwm - f->net0;
		if (f->hwm_saved > hwm)
			ml_prof_heap_set_hwm(f->hwm_saved);
	}
}

static void leave(thread_t *t, uintptr_t key)
{
	uint64_t now = ml_prof_ticks();
	size_t k = t->depth - 1;
	/* Normally the top. Otherwise a frame above it missed its return (cannot happen with balanced
	 * events) or this return is of a call that began before profiling did: then k reaches 0. */
	while (k && t->stack[k].key != key)
		k--;
	if (!k)
		return;
	while (t->depth > k)
		close_top(t, now, 1);
}

/* C functions: the PyMethodDef is the key (shared by every bound copy); none of our own. */
static inline uintptr_t c_key(PyObject *callable)
{
	const PyMethodDef *ml;
	if (PyCFunction_Check(callable))
		ml = ((PyCFunctionObject *)callable)->m_ml;
#if ML_PROF_MONITORING
	else if (Py_IS_TYPE(callable, &PyMethodDescr_Type))
		ml = ((PyMethodDescrObject *)callable)->d_method;
#endif
	else
		return 0;
	/* the profiler's own switches, called by the code that drives it */
	if (ml->ml_meth == (PyCFunction)(void (*)(void))prof_enable || ml->ml_meth == prof_disable)
		return 0;
	return (uintptr_t)ml;
}

/* ---- hooks: sys.monitoring (3.12+) ---- */

#if ML_PROF_MONITORING

/* The thread's stack while recording, or NULL. Every event's second argument is an int (offset). */
static inline thread_t *active_thread(PyObject *const *args, Py_ssize_t n)
{
	if (!g.enabled || g.failed || n < 2)
		return NULL;
	if (g.memory)
		ml_prof_own_event_int(args[1]);
	return thread_get();
}

static PyObject *begin(PyObject *const *args, Py_ssize_t n, int starts)
{
	thread_t *t = active_thread(args, n);
	if (t)
		enter(t, (uintptr_t)args[0], args[0], 1, starts);
	Py_RETURN_NONE;
}

static PyObject *on_start(PyObject *self, PyObject *const *args, Py_ssize_t n) { return begin(args, n, 1); }
static PyObject *on_resume(PyObject *self, PyObject *const *args, Py_ssize_t n) { return begin(args, n, 0); }

static PyObject *on_leave(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	thread_t *t = active_thread(args, n);
	if (t)
		leave(t, (uintptr_t)args[0]);
	Py_RETURN_NONE;
}

/* CALL (code, offset, callable, arg0): only C functions; Python callees get PY_START. */
static PyObject *on_call(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	thread_t *t = active_thread(args, n);
	uintptr_t key = t && n >= 3 ? c_key(args[2]) : 0;
	if (key)
		enter(t, key, args[2], 0, 1);
	Py_RETURN_NONE;
}

static PyObject *on_c_leave(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
	thread_t *t = active_thread(args, n);
	uintptr_t key = t && n >= 3 ? c_key(args[2]) : 0;
	if (key)
		leave(t, key);
	Py_RETURN_NONE;
}

#define CB(ev, fn) {ev, {"memlens_prof_" ev, (PyCFunction)(void (*)(void))fn, METH_FASTCALL, NULL}}
static ml_prof_mon_cb_t callbacks[] = {
	CB("PY_START", on_start),   CB("PY_RESUME", on_resume), CB("PY_THROW", on_resume),
	CB("PY_RETURN", on_leave),  CB("PY_YIELD", on_leave),   CB("PY_UNWIND", on_leave),
	CB("CALL", on_call),        CB("C_RETURN", on_c_leave), CB("C_RAISE", on_c_leave),
};
#undef CB
#define NCALLBACKS (sizeof callbacks / sizeof callbacks[0])

static int hook_install(void)
{
	if ((g.tool = ml_prof_mon_acquire("memlens profiler", callbacks, NCALLBACKS)) < 0)
		return -1;
	int mask = 0;
	for (size_t i = 0; i < NCALLBACKS; i++)
		if (g.builtins || i < 6)
			mask |= ml_prof_mon_event(callbacks[i].event);
	if (ml_prof_mon_set_events(g.tool, mask) < 0) {
		ml_prof_mon_release(g.tool, callbacks, NCALLBACKS);
		return -1;
	}
	return 0;
}

static void hook_remove(void) { ml_prof_mon_release(g.tool, callbacks, NCALLBACKS); }

/* ---- hooks: PyEval_SetProfile (3.8–3.11) ---- */

#else

static int on_event(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
	if (!g.enabled) { /* a thread profiled by a run that has ended */
		PyEval_SetProfile(NULL, NULL);
		return 0;
	}
	thread_t *t = g.failed ? NULL : thread_get();
	if (!t)
		return 0;
	PyCodeObject *code;
	uintptr_t key;
	switch (what) {
	case PyTrace_CALL:
		code = ml_prof_frame_code(frame);
		enter(t, (uintptr_t)code, (PyObject *)code, 1, ml_prof_frame_starts(frame, code));
		break;
	case PyTrace_RETURN:
		leave(t, (uintptr_t)ml_prof_frame_code(frame));
		break;
	case PyTrace_C_CALL:
		if (g.builtins && (key = c_key(arg)))
			enter(t, key, arg, 0, 1);
		break;
	case PyTrace_C_RETURN:
	case PyTrace_C_EXCEPTION:
		if (g.builtins && (key = c_key(arg)))
			leave(t, key);
		break;
	}
	return 0;
}

static int hook_install(void)
{
	PyEval_SetProfile(on_event, NULL);
	return 0;
}

static void hook_remove(void) { PyEval_SetProfile(NULL, NULL); }

#endif

/* ---- Python API ---- */

static void data_free(void)
{
	for (size_t i = 1; i < g.nfuncs; i++)
		Py_DECREF(g.funcs[i].what);
	free(g.funcs);
	g.funcs = NULL;
	g.nfuncs = g.capfuncs = 0;
	ml_prof_keymap_free(&g.func_map);
	ml_prof_tree_free(&g.tree);
	threads_free();
	g.failed = NULL;
}

static PyObject *prof_enable(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"memory", "builtins", NULL};
	int memory = 1, builtins = 1;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|pp:prof_enable", kwlist, &memory, &builtins))
		return NULL;
	if (g.enabled) {
		PyErr_SetString(PyExc_RuntimeError, "the memlens profiler is already running");
		return NULL;
	}
	data_free();
	if (ml_prof_tree_init(&g.tree) < 0)
		return PyErr_NoMemory();
	char err[256];
	if (memory && ml_prof_heap_acquire(err, sizeof err) < 0) {
		PyErr_Format(PyExc_RuntimeError, "cannot count memory: %s", err);
		return NULL;
	}
	g.memory = memory;
	g.builtins = builtins;
	g.generation++;
	if (!thread_get() || hook_install() < 0) {
		if (!PyErr_Occurred())
			PyErr_NoMemory();
		if (memory)
			ml_prof_heap_release();
		data_free();
		return NULL;
	}
	g.enabled = 1;
	g.t_start = ml_prof_ticks();
	Py_RETURN_NONE;
}

static PyObject *prof_disable(PyObject *self, PyObject *unused)
{
	if (!g.enabled)
		Py_RETURN_NONE;
	uint64_t now = ml_prof_ticks();
	thread_t *me = thread_get();
	for (thread_t *t = g.threads; t; t = t->next)
		while (t->depth > 1)
			close_top(t, now, t == me);
	g.enabled = 0;
	g.t_stop = now;
	hook_remove();
	if (g.memory)
		ml_prof_heap_release();
	Py_RETURN_NONE;
}

/* threading.setprofile(prof_thread_hook): the new thread's first event lands here, through the
 * interpreter's Python-level profile trampoline; the C profile function replaces it at once. */
static PyObject *prof_thread_hook(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
#if !ML_PROF_MONITORING
	if (!g.enabled)
		Py_RETURN_NONE;
	hook_install();
	thread_t *t = g.failed ? NULL : thread_get();
	if (t && n >= 2 && PyFrame_Check(args[0]) && PyUnicode_Check(args[1]) &&
	    PyUnicode_CompareWithASCIIString(args[1], "call") == 0) {
		PyFrameObject *frame = (PyFrameObject *)args[0];
		PyCodeObject *code = ml_prof_frame_code(frame);
		enter(t, (uintptr_t)code, (PyObject *)code, 1, ml_prof_frame_starts(frame, code));
	}
#endif
	Py_RETURN_NONE;
}

static PyObject *func_tuple(const func_t *f)
{
	if (!PyCode_Check(f->what))
		return Py_BuildValue("(siOO)", "~", 0, f->what, Py_None);
	PyCodeObject *co = (PyCodeObject *)f->what;
#if PY_VERSION_HEX >= 0x030B0000
	PyObject *qual = co->co_qualname;
#else
	PyObject *qual = Py_None;
#endif
	return Py_BuildValue("(OiOO)", co->co_filename, co->co_firstlineno, co->co_name, qual);
}

static PyObject *prof_data(PyObject *self, PyObject *unused)
{
	if (g.enabled) {
		PyErr_SetString(PyExc_RuntimeError, "the memlens profiler is running: disable it first");
		return NULL;
	}
	double spt = ml_prof_clock_seconds_per_tick();
	PyObject *funcs = PyList_New((Py_ssize_t)(g.nfuncs ? g.nfuncs : 1));
	PyObject *nodes = PyList_New((Py_ssize_t)g.tree.n);
	if (!funcs || !nodes)
		goto fail;
	PyList_SET_ITEM(funcs, 0, Py_NewRef(Py_None));
	for (size_t i = 1; i < g.nfuncs; i++) {
		PyObject *t = func_tuple(&g.funcs[i]);
		if (!t)
			goto fail;
		PyList_SET_ITEM(funcs, (Py_ssize_t)i, t);
	}
	for (size_t i = 0; i < g.tree.n; i++) {
		const ml_prof_node_t *n = &g.tree.nodes[i];
		PyObject *t = Py_BuildValue("(IIKddKLL)", n->parent, n->func, (unsigned long long)n->calls,
					    (double)n->ticks * spt, (double)(n->ticks - n->child_ticks) * spt,
					    (unsigned long long)n->alloc, (long long)n->net, (long long)n->peak);
		if (!t)
			goto fail;
		PyList_SET_ITEM(nodes, (Py_ssize_t)i, t);
	}
	PyObject *r = Py_BuildValue("{sNsNsdsOsOsz}", "funcs", funcs, "nodes", nodes, "seconds",
				    (double)(g.t_stop - g.t_start) * spt, "memory", g.memory ? Py_True : Py_False,
				    "builtins", g.builtins ? Py_True : Py_False, "failed", g.failed);
	return r;
fail:
	Py_XDECREF(funcs);
	Py_XDECREF(nodes);
	return NULL;
}

static PyMethodDef methods[] = {
	{"prof_enable", (PyCFunction)(void (*)(void))prof_enable, METH_VARARGS | METH_KEYWORDS,
	 "prof_enable(memory=True, builtins=True)\n\nStart the function profiler in this process."},
	{"prof_disable", prof_disable, METH_NOARGS, "prof_disable()\n\nStop the function profiler."},
	{"prof_data", prof_data, METH_NOARGS, "prof_data() -> dict\n\nThe call tree of the last run."},
	{"prof_thread_hook", (PyCFunction)(void (*)(void))prof_thread_hook, METH_FASTCALL,
	 "For threading.setprofile: profile new threads (before 3.12)."},
	{NULL, NULL, 0, NULL},
};

int ml_prof_funcprof_init(PyObject *m)
{
	return PyModule_AddFunctions(m, methods) < 0 ||
			       PyModule_AddStringConstant(m, "PROF_HOOK", ML_PROF_MONITORING ? "sys.monitoring" : "setprofile") < 0
		       ? -1
		       : 0;
}
