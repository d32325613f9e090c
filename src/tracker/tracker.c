/* tracker.c — allocator hooks, per-thread stack capture, start/stop. See tracker.h.
 *
 * Cost per allocation, in order: the reentrancy flag, the real allocation, a walk of the thread's
 * frame chain copying (code, offset) pairs, a comparison with the previous stack of the same thread
 * (outermost first), trie lookups only for the frames that differ — typically the innermost one or
 * two — and, under the lock, one live-table insert and one counter update. A free is one live-table
 * removal and one counter update; it never looks at the stack.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "tracker/tracker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/capfmt.h"
#include "tracker/frames.h"
#include "tracker/state.h"
#include "tracker/writer.h"

ml_state_t ml_g = {.lock = ML_SPIN_INIT};

/* ---- per-thread state ----
 * t_guard is set while this thread is inside a hook: allocations made by the real allocator (pymalloc
 * falls back to the raw domain for large blocks) or by the interpreter calls the tracker makes
 * (interning a new function name) pass straight through instead of being recorded twice or
 * recursing. Initial-exec TLS: one fs-relative load, no __tls_get_addr call on the hot path. */
typedef struct {
	ml_frame_t *cur;       /* this event's frames, innermost first */
	size_t cap;
	ml_frame_t *prev;      /* previous event's frames, outermost first */
	uint32_t *prev_raw;    /* raw trie node of prev[0..k] */
	size_t prev_depth, prev_cap;
	uint64_t generation;
} thread_cache_t;

static __thread int t_guard __attribute__((tls_model("initial-exec")));
static __thread thread_cache_t *t_cache __attribute__((tls_model("initial-exec")));
/* This thread's traced bytes: net = allocated - freed (of blocks the tracker knows), and allocated. */
static __thread int64_t t_net __attribute__((tls_model("initial-exec")));
static __thread uint64_t t_alloc __attribute__((tls_model("initial-exec")));
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_destroy(void *p)
{
	thread_cache_t *c = p;
	free(c->cur);
	free(c->prev);
	free(c->prev_raw);
	free(c);
}

static void cache_key_init(void) { pthread_key_create(&cache_key, cache_destroy); }

static thread_cache_t *thread_cache(void)
{
	if (t_cache)
		return t_cache;
	pthread_once(&cache_once, cache_key_init);
	thread_cache_t *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->cap = 64;
	c->cur = malloc(c->cap * sizeof *c->cur);
	if (!c->cur) {
		free(c);
		return NULL;
	}
	pthread_setspecific(cache_key, c);
	t_cache = c;
	return c;
}

/* Fills c->cur with the current stack; returns the depth. Grows the buffer for deep stacks
 * (re-walking once per doubling), up to max_depth when one is set. */
static size_t collect(thread_cache_t *c)
{
	for (;;) {
		size_t max = ml_g.max_depth && ml_g.max_depth < c->cap ? ml_g.max_depth : c->cap;
		int more;
		size_t n = ml_frames_collect(c->cur, max, &more);
		if (!more || max == ml_g.max_depth)
			return n;
		ml_frame_t *p = realloc(c->cur, c->cap * 2 * sizeof *p);
		if (!p)
			return n; /* keep the innermost frames we have */
		c->cur = p;
		c->cap *= 2;
	}
}

/* ---- interning (lock held, GIL held) ---- */

static uint32_t intern_pystr(PyObject *s)
{
	if (!s || !PyUnicode_Check(s))
		return ml_trie_string(&ml_g.trie, "?", 1);
	if (PyUnicode_IS_COMPACT_ASCII(s))
		return ml_trie_string(&ml_g.trie, (const char *)PyUnicode_DATA(s), (size_t)PyUnicode_GET_LENGTH(s));
	/* Non-ASCII: the UTF-8 conversion may fail (lone surrogates) and must not disturb an exception
	 * the program is in the middle of handling. */
	PyObject *et, *ev, *etb;
	PyErr_Fetch(&et, &ev, &etb);
	Py_ssize_t n;
	const char *u = PyUnicode_AsUTF8AndSize(s, &n);
	uint32_t id = u ? ml_trie_string(&ml_g.trie, u, (size_t)n) : ml_trie_string(&ml_g.trie, "?", 1);
	PyErr_Clear();
	PyErr_Restore(et, ev, etb);
	return id;
}

static uint32_t func_of(PyCodeObject *code)
{
	uint32_t f = ml_trie_func_find(&ml_g.trie, code);
	if (f)
		return f;
#if PY_VERSION_HEX >= 0x030B0000
	PyObject *name = code->co_qualname;
#else
	PyObject *name = code->co_name;
#endif
	uint32_t func = intern_pystr(name), file = intern_pystr(code->co_filename);
	if (!func || !file)
		return 0;
	f = ml_trie_func_add(&ml_g.trie, code, func, file);
	if (f)
		Py_INCREF(code); /* pinned while traced: its address keys the trie and must not be reused */
	return f;
}

static uint32_t new_raw(uint32_t parent, const ml_frame_t *fr)
{
	uint32_t f = func_of((PyCodeObject *)fr->code);
	if (!f)
		return 0;
	const ml_func_t *fn = &ml_g.trie.funcs[f];
	uint32_t eparent = parent ? ml_trie_raw_emitted(&ml_g.trie, parent) : 0;
	uint32_t node = ml_trie_node(&ml_g.trie, eparent, fn->func, fn->file, (uint32_t)ml_frames_line(fr));
	if (!node || ml_stats_reserve(&ml_g.stats, node) < 0)
		return 0;
	return ml_trie_raw_add(&ml_g.trie, parent, fr->code, fr->offset, node);
}

static int grow_prev(thread_cache_t *c, size_t n)
{
	if (n <= c->prev_cap)
		return 0;
	size_t cap = c->prev_cap ? c->prev_cap : 64;
	while (cap < n)
		cap *= 2;
	ml_frame_t *p = realloc(c->prev, cap * sizeof *p);
	if (!p)
		return -1;
	c->prev = p;
	uint32_t *r = realloc(c->prev_raw, cap * sizeof *r);
	if (!r)
		return -1;
	c->prev_raw = r;
	c->prev_cap = cap;
	return 0;
}

/* Stack id of the frames in c->cur[0..depth). Reuses the part shared, from the outermost frame on,
 * with this thread's previous stack: same (code, offset) at every level means the same trie path. */
static int intern_stack(thread_cache_t *c, size_t depth, uint32_t *stack)
{
	size_t common = 0;
	if (c->generation != ml_g.generation) {
		c->generation = ml_g.generation;
		c->prev_depth = 0;
	}
	while (common < depth && common < c->prev_depth && c->cur[depth - 1 - common].code == c->prev[common].code &&
	       c->cur[depth - 1 - common].offset == c->prev[common].offset)
		common++;
	if (grow_prev(c, depth) < 0)
		return -1;
	uint32_t raw = common ? c->prev_raw[common - 1] : 0;
	for (size_t k = common; k < depth; k++) {
		const ml_frame_t *fr = &c->cur[depth - 1 - k];
		uint32_t r = ml_trie_raw_find(&ml_g.trie, raw, fr->code, fr->offset);
		if (!r && !(r = new_raw(raw, fr))) {
			c->prev_depth = k;
			return -1;
		}
		c->prev[k] = *fr;
		c->prev_raw[k] = r;
		raw = r;
	}
	c->prev_depth = depth;
	*stack = raw ? ml_trie_raw_emitted(&ml_g.trie, raw) : 0;
	return 0;
}

/* ---- recording ---- */

void ml_tracker_fail_locked(const char *what)
{
	if (!ml_g.active)
		return;
	ml_g.active = 0;
	ml_g.stopped_early = 1;
	char msg[512];
	int n = snprintf(msg, sizeof msg, "memlens: %s; tracing stopped, the program continues\n", what);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
		return; /* nowhere left to report to */
}

/* Records a new block. `with_stack`: the calling thread holds the GIL and its frames may be read. */
static void record_alloc(void *ptr, size_t size, int with_stack)
{
	thread_cache_t *c = with_stack ? thread_cache() : NULL;
	size_t depth = c ? collect(c) : 0;
	ml_spin_lock(&ml_g.lock);
	if (!ml_g.active)
		goto out;
	uint32_t stack = 0;
	if (depth && intern_stack(c, depth, &stack) < 0) {
		ml_tracker_fail_locked("out of memory for the stack table");
		goto out;
	}
	uint64_t old_size;
	uint32_t old_stack;
	int r = ml_live_put(&ml_g.live, (uintptr_t)ptr, size, stack, &old_size, &old_stack);
	if (r < 0) {
		ml_tracker_fail_locked("out of memory for the live-block table");
		goto out;
	}
	if (r == 1) /* address reused without a free we saw (freed by a foreign allocator) */
		ml_stats_free_block(&ml_g.stats, old_stack, old_size);
	t_net += (int64_t)size;
	t_alloc += size;
	int peak = ml_stats_alloc(&ml_g.stats, stack, size);
	if (peak == 1)
		ml_g.stats.peak_t = ml_writer_now_coarse();
	else if (peak < 0)
		ml_tracker_fail_locked("out of memory for the stack counters");
out:
	ml_spin_unlock(&ml_g.lock);
}

/* Forgets a block before the real free: once freed, its address may be handed out again at once to a
 * thread that does not hold the GIL, and that block must not be the one removed here. Returns 1 if
 * the block was tracked, with its size and stack. */
static int record_free(void *ptr, uint64_t *size, uint32_t *stack)
{
	int found = 0;
	ml_spin_lock(&ml_g.lock);
	if (ml_g.active && ml_live_take(&ml_g.live, (uintptr_t)ptr, size, stack)) {
		ml_stats_free_block(&ml_g.stats, *stack, *size);
		t_net -= (int64_t)*size;
		found = 1;
	}
	ml_spin_unlock(&ml_g.lock);
	return found;
}

/* Puts back a block whose realloc failed (the old block is still valid). */
static void restore_block(void *ptr, uint64_t size, uint32_t stack)
{
	ml_spin_lock(&ml_g.lock);
	uint64_t old_size;
	uint32_t old_stack;
	if (ml_g.active && ml_live_put(&ml_g.live, (uintptr_t)ptr, size, stack, &old_size, &old_stack) == 0) {
		ml_stats_unfree(&ml_g.stats, stack, size);
		t_net += (int64_t)size;
	}
	ml_spin_unlock(&ml_g.lock);
}

/* ---- the hooks ---- */

typedef struct {
	PyMemAllocatorEx orig;
	PyMemAllocatorDomain domain;
} hook_t;

static hook_t hooks[3];
static int hooks_installed;

static inline int may_read_stack(const hook_t *h)
{
	/* mem and object domains require the GIL; raw-domain callers may not hold it */
	return h->domain != PYMEM_DOMAIN_RAW || PyGILState_Check();
}

static void *hook_malloc(void *ctx, size_t size)
{
	hook_t *h = ctx;
	if (t_guard)
		return h->orig.malloc(h->orig.ctx, size);
	t_guard = 1;
	void *p = h->orig.malloc(h->orig.ctx, size);
	if (p && ml_g.active)
		record_alloc(p, size, !ml_g.no_stacks && may_read_stack(h));
	t_guard = 0;
	return p;
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
	hook_t *h = ctx;
	if (t_guard)
		return h->orig.calloc(h->orig.ctx, nelem, elsize);
	t_guard = 1;
	void *p = h->orig.calloc(h->orig.ctx, nelem, elsize);
	if (p && ml_g.active)
		record_alloc(p, nelem * elsize, !ml_g.no_stacks && may_read_stack(h)); /* no overflow: it succeeded */
	t_guard = 0;
	return p;
}

static void *hook_realloc(void *ctx, void *ptr, size_t size)
{
	hook_t *h = ctx;
	if (t_guard)
		return h->orig.realloc(h->orig.ctx, ptr, size);
	t_guard = 1;
	uint64_t old_size = 0;
	uint32_t old_stack = 0;
	int tracked = ptr && ml_g.active && record_free(ptr, &old_size, &old_stack);
	void *p = h->orig.realloc(h->orig.ctx, ptr, size);
	if (!p) {
		if (tracked)
			restore_block(ptr, old_size, old_stack);
	} else if (ml_g.active) {
		/* like tracemalloc: the resized block belongs to the stack that resized it */
		record_alloc(p, size, !ml_g.no_stacks && may_read_stack(h));
	}
	t_guard = 0;
	return p;
}

static void hook_free(void *ctx, void *ptr)
{
	hook_t *h = ctx;
	if (t_guard || !ptr) {
		h->orig.free(h->orig.ctx, ptr);
		return;
	}
	t_guard = 1;
	uint64_t size;
	uint32_t stack;
	if (ml_g.active)
		record_free(ptr, &size, &stack);
	h->orig.free(h->orig.ctx, ptr);
	t_guard = 0;
}

static void install_hooks(void)
{
	static const PyMemAllocatorDomain domains[3] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
	for (int i = 0; i < 3; i++) {
		hooks[i].domain = domains[i];
		PyMem_GetAllocator(domains[i], &hooks[i].orig);
		PyMemAllocatorEx a = {&hooks[i], hook_malloc, hook_calloc, hook_realloc, hook_free};
		PyMem_SetAllocator(domains[i], &a);
	}
	hooks_installed = 1;
}

/* ---- fork: the child keeps running, untraced; the capture belongs to the parent ---- */

static void fork_prepare(void) { ml_spin_lock(&ml_g.lock); }
static void fork_parent(void) { ml_spin_unlock(&ml_g.lock); }
static void fork_child(void)
{
	ml_spin_reset(&ml_g.lock);
	if (ml_g.active || ml_g.pid) {
		ml_g.active = 0;
		ml_writer_forget();
	}
}

/* ---- start / stop ---- */

static void release_tables(void)
{
	for (size_t i = 1; i < ml_g.trie.nfuncs; i++)
		Py_DECREF((PyObject *)ml_g.trie.funcs[i].code);
	ml_live_free(&ml_g.live);
	ml_trie_free(&ml_g.trie);
	ml_stats_free(&ml_g.stats);
}

int ml_tracker_start(const ml_tracker_opts_t *o, char *err, size_t errlen)
{
	static int atfork_done;
	if (ml_g.active || ml_g.pid) {
		snprintf(err, errlen, "memlens is already tracing this process");
		return -1;
	}
	ml_buf_t meta = {0};
	if (ml_live_init(&ml_g.live) < 0 || ml_trie_init(&ml_g.trie) < 0 || ml_stats_init(&ml_g.stats) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ml_g.max_depth = o->max_depth;
	ml_g.no_stacks = o->no_stacks;
	ml_g.generation++;
	ml_g.stopped_early = 0;

	char pid[32], depth[32];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	snprintf(depth, sizeof depth, "%zu", o->max_depth);
	const char *own[] = {"pid", pid, "max_depth", depth, "mode", "exact"};
	ml_buf_put_varint(&meta, o->nmeta + 3);
	for (size_t i = 0; i < 6; i += 2) {
		ml_buf_put_str(&meta, own[i], strlen(own[i]));
		ml_buf_put_str(&meta, own[i + 1], strlen(own[i + 1]));
	}
	for (size_t i = 0; i < 2 * o->nmeta; i++)
		ml_buf_put_str(&meta, o->meta[i], o->meta_len[i]);
	if (ml_buf_failed(&meta)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (ml_writer_open(o->path, &meta, err, errlen) < 0)
		goto fail;
	ml_g.has_capture = o->path != NULL;
	ml_buf_free(&meta);

	if (!atfork_done) {
		pthread_atfork(fork_prepare, fork_parent, fork_child);
		atfork_done = 1;
	}
	if (!hooks_installed)
		install_hooks();
	ml_g.pid = (int)getpid();
	ml_spin_lock(&ml_g.lock);
	ml_g.active = 1;
	ml_spin_unlock(&ml_g.lock);
	if (ml_writer_start() < 0) {
		snprintf(err, errlen, "cannot start the writer thread: %s", strerror(errno));
		ml_tracker_stop();
		return -1;
	}
	return 0;
fail:
	ml_buf_free(&meta);
	release_tables();
	return -1;
}

void ml_tracker_stop(void)
{
	if (!ml_g.pid || ml_g.pid != (int)getpid())
		return;
	ml_spin_lock(&ml_g.lock);
	ml_g.active = 0;
	ml_spin_unlock(&ml_g.lock);
	ml_writer_finish();
	ml_spin_lock(&ml_g.lock);
	release_tables();
	ml_g.pid = 0;
	ml_spin_unlock(&ml_g.lock);
}

int ml_tracker_is_tracing(void) { return ml_g.active; }

void ml_tracker_want_stacks(void) { ml_g.no_stacks = 0; }

int ml_tracker_has_capture(void) { return ml_g.active && ml_g.has_capture; }

void ml_tracker_thread_bytes(int64_t *net, uint64_t *allocated)
{
	*net = t_net;
	*allocated = t_alloc;
}

/* ---- the in-process API ---- */

void ml_tracker_traced(uint64_t *current, uint64_t *peak)
{
	ml_spin_lock(&ml_g.lock);
	*current = ml_g.active ? ml_g.stats.heap_bytes : 0;
	*peak = ml_g.active ? ml_g.stats.user_peak : 0;
	ml_spin_unlock(&ml_g.lock);
}

void ml_tracker_reset_peak(void)
{
	ml_spin_lock(&ml_g.lock);
	ml_g.stats.user_peak = ml_g.stats.heap_bytes;
	ml_spin_unlock(&ml_g.lock);
}

int ml_tracker_clear(void)
{
	int rc = 0;
	ml_spin_lock(&ml_g.lock);
	if (ml_g.active) {
		ml_live_free(&ml_g.live);
		if (ml_live_init(&ml_g.live) < 0 || ml_stats_clear_live(&ml_g.stats) < 0) {
			ml_tracker_fail_locked("out of memory while clearing the traces");
			rc = -1;
		}
	}
	ml_spin_unlock(&ml_g.lock);
	return rc;
}

size_t ml_tracker_memory(void)
{
	ml_spin_lock(&ml_g.lock);
	const ml_trie_t *t = &ml_g.trie;
	size_t n = 0;
	if (ml_g.pid) {
		n = ml_live_bytes(&ml_g.live) + ml_g.stats.cap * sizeof(ml_stat_t) +
		    (ml_g.stats.capdirty + ml_g.stats.cappeak_dirty) * sizeof(uint32_t) +
		    t->capraw * sizeof *t->raw + t->capnodes * sizeof *t->nodes + t->capfuncs * sizeof *t->funcs +
		    t->capchars + t->capstrs * sizeof *t->str_off +
		    (t->raw_idx.mask + t->node_idx.mask + t->func_idx.mask + t->str_idx.mask + 4) * sizeof(uint32_t);
	}
	ml_spin_unlock(&ml_g.lock);
	return n;
}

int ml_tracker_mark(const char *label, size_t len)
{
	if (!ml_g.active || !ml_g.has_capture)
		return 0;
	return ml_writer_mark(label, len);
}
