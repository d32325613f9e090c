/* heapmark.h — the calling thread's traced bytes as the profilers count them, with a high-water mark.
 *
 * The tracker (tracker.h) keeps two thread-local counters: net (allocated minus freed) and allocated.
 * A profiler takes their difference across a call or a line. Two things it cannot get from them:
 *
 *   - the most a call held at once: a list built and dropped inside a leaf function leaves net
 *     unchanged between the call and the return. While a profiler asks for memory, a thin wrapper
 *     is installed over the tracker's allocator hooks (all three domains) that raises this thread's
 *     high-water mark after each allocation: one indirect call and two thread-local reads (~3 ns);
 *   - the profilers' own allocations (the label of a C function, made once when it is first seen):
 *     ml_prof_own_begin/end bracket them, and every reading subtracts what they allocated.
 *
 * ml_prof_heap_acquire starts the tracker in memory when it is not already tracing, counting only
 * (no capture file, no stacks: a third less work per allocation than keeping the innermost frame), and ml_prof_heap_release stops it only if this
 * layer started it; a trace the user or `memlens run` started is left running. Acquire and release
 * nest (the function and line profilers may both hold it). GIL held for both.
 *
 * Limits: counts are per thread; a block freed by another thread than the one that allocated it
 * lowers the freeing thread's net. Frees of blocks allocated before tracing began are not seen.
 */
#ifndef ML_PROF_HEAPMARK_H
#define ML_PROF_HEAPMARK_H

#include <stddef.h>
#include <stdint.h>

#include <Python.h>

#include "tracker/tracker.h"

/* This thread's high-water mark of the tracker's raw net count (owned by the thread). */
extern __thread int64_t ml_prof_hwm_raw __attribute__((tls_model("initial-exec")));
/* What the profilers themselves allocated on this thread (subtracted from every reading). */
extern __thread int64_t ml_prof_own_net __attribute__((tls_model("initial-exec")));
extern __thread uint64_t ml_prof_own_alloc __attribute__((tls_model("initial-exec")));

/* 0, or -1 with a message in err (the tracker could not start; nothing changed). */
int ml_prof_heap_acquire(char *err, size_t errlen);
void ml_prof_heap_release(void);

/* Net and allocated bytes of this thread, less the profilers' own. */
static inline void ml_prof_heap_now(int64_t *net, uint64_t *alloc)
{
	ml_tracker_thread_bytes(net, alloc);
	*net -= ml_prof_own_net;
	*alloc -= ml_prof_own_alloc;
}

/* The high-water mark in the units of ml_prof_heap_now, and setting it (a call starts its own). */
static inline int64_t ml_prof_heap_hwm(void) { return ml_prof_hwm_raw - ml_prof_own_net; }
static inline void ml_prof_heap_set_hwm(int64_t v) { ml_prof_hwm_raw = v + ml_prof_own_net; }

typedef struct {
	int64_t net, hwm;
	uint64_t alloc;
} ml_prof_own_t;

/* Bracket the profilers' own allocations (slow paths only). */
static inline void ml_prof_own_begin(ml_prof_own_t *o)
{
	ml_tracker_thread_bytes(&o->net, &o->alloc);
	o->hwm = ml_prof_hwm_raw;
}

static inline void ml_prof_own_end(const ml_prof_own_t *o)
{
	int64_t net;
	uint64_t alloc;
	ml_tracker_thread_bytes(&net, &alloc);
	ml_prof_own_net += net - o->net;
	ml_prof_own_alloc += alloc - o->alloc;
	ml_prof_hwm_raw = o->hwm + (net - o->net);
}

#include "prof/pycompat.h"

#if ML_PROF_MONITORING
/* The last event's int argument on this thread (see ml_prof_own_event_int). */
extern __thread int64_t ml_prof_own_pending __attribute__((tls_model("initial-exec")));

/* sys.monitoring passes offsets and line numbers as ints: above 256 each one is a fresh object
 * (sizeof(PyLongObject) for values below 2^30), allocated just before the callback and freed just
 * after it. A callback that reads the counters calls this first so that those ints count as the
 * profilers' own. Limit: with both profilers counting memory at once, each counts them. */
static inline void ml_prof_own_event_int(PyObject *v)
{
	long x = PyLong_AsLong(v);
	int64_t size = x >= -5 && x <= 256 ? 0 : (int64_t)sizeof(PyLongObject);
	if (x == -1 && PyErr_Occurred()) {
		PyErr_Clear();
		size = 0;
	}
	ml_prof_own_net += size - ml_prof_own_pending;
	ml_prof_own_alloc += (uint64_t)size;
	ml_prof_own_pending = size;
}
#endif

#endif
