/* heapmark.c — the high-water wrapper over the allocator hooks, and the tracker's lifetime for the
 * profilers (see heapmark.h). */
#include <Python.h>

#include "prof/heapmark.h"

__thread int64_t ml_prof_hwm_raw __attribute__((tls_model("initial-exec")));
__thread int64_t ml_prof_own_net __attribute__((tls_model("initial-exec")));
__thread uint64_t ml_prof_own_alloc __attribute__((tls_model("initial-exec")));
#if ML_PROF_MONITORING
__thread int64_t ml_prof_own_pending __attribute__((tls_model("initial-exec")));
#endif

/* Owned by whoever holds the GIL. */
static int holders;          /* acquire calls not yet released */
static int started_tracker;  /* this layer started the tracker and stops it */
static int installed;        /* the wrapper is in place (for good: see install) */
static volatile int marking; /* read by the wrapper on any thread: holders > 0 */

typedef struct {
	PyMemAllocatorEx below; /* the tracker's hooks (or whatever was installed before) */
} wrap_t;

static wrap_t wraps[3];

static inline void raise_mark(void)
{
	if (!marking)
		return;
	int64_t net;
	uint64_t alloc;
	ml_tracker_thread_bytes(&net, &alloc);
	if (net > ml_prof_hwm_raw)
		ml_prof_hwm_raw = net;
}

static void *wrap_malloc(void *ctx, size_t size)
{
	wrap_t *w = ctx;
	void *p = w->below.malloc(w->below.ctx, size);
	raise_mark();
	return p;
}

static void *wrap_calloc(void *ctx, size_t nelem, size_t elsize)
{
	wrap_t *w = ctx;
	void *p = w->below.calloc(w->below.ctx, nelem, elsize);
	raise_mark();
	return p;
}

static void *wrap_realloc(void *ctx, void *ptr, size_t size)
{
	wrap_t *w = ctx;
	void *p = w->below.realloc(w->below.ctx, ptr, size);
	raise_mark();
	return p;
}

static void wrap_free(void *ctx, void *ptr)
{
	wrap_t *w = ctx;
	w->below.free(w->below.ctx, ptr);
}

int ml_prof_heap_acquire(char *err, size_t errlen)
{
	static const PyMemAllocatorDomain domains[3] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
	if (holders++)
		return 0;
	if (!ml_tracker_is_tracing()) {
		ml_tracker_opts_t o = {.path = NULL, .no_stacks = 1};
		if (ml_tracker_start(&o, err, errlen) < 0) {
			holders = 0;
			return -1;
		}
		started_tracker = 1;
	}
	/* Installed once, with the GIL held, and never removed, like the tracker's own hooks: someone
	 * (tracemalloc) may have installed hooks over ours since, and taking ours out from under theirs
	 * would break their chain. Idle, it costs one predictable branch per allocation. A raw-domain
	 * call already inside the old hook finishes there; both end in the same allocator. */
	if (!installed) {
		for (int i = 0; i < 3; i++) {
			PyMem_GetAllocator(domains[i], &wraps[i].below);
			PyMemAllocatorEx a = {&wraps[i], wrap_malloc, wrap_calloc, wrap_realloc, wrap_free};
			PyMem_SetAllocator(domains[i], &a);
		}
		installed = 1;
	}
	marking = 1;
	int64_t net;
	uint64_t alloc;
	ml_tracker_thread_bytes(&net, &alloc);
	ml_prof_hwm_raw = net;
	return 0;
}

void ml_prof_heap_release(void)
{
	if (!holders || --holders)
		return;
	marking = 0;
	if (started_tracker) {
		started_tracker = 0;
		ml_tracker_stop();
	}
}
