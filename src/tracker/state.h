/* state.h — the tracker's shared state, private to src/tracker/.
 *
 * One instance per process (ml_g). `lock` protects the tables; the hooks take it for each recorded
 * event (the GIL alone is not enough: raw-domain allocations can come from threads without it, and
 * the writer thread reads the tables without the GIL).
 */
#ifndef ML_STATE_H
#define ML_STATE_H

#include <stdint.h>

#include "tracker/livetable.h"
#include "tracker/spinlock.h"
#include "tracker/stackstats.h"
#include "tracker/stacktrie.h"

typedef struct {
	ml_spin_t lock;
	ml_live_t live;   /* under lock */
	ml_trie_t trie;   /* under lock */
	ml_stats_t stats; /* under lock */
	/* Hooks record while set. Written under the lock; read without it first as a cheap filter,
	 * then again under the lock before recording. */
	volatile int active;
	int stopped_early; /* under lock: tracing stopped on an error before the program ended */
	uint64_t generation; /* bumped at every start: per-thread stack caches from before are stale */
	size_t max_depth;
	volatile int no_stacks; /* counting only: blocks are recorded with stack 0 */
	int pid; /* the process that is tracing (and owns the capture, if any) */
	int has_capture; /* writing a capture file (else tracing in memory only, for the in-process API) */
} ml_state_t;

extern ml_state_t ml_g;

/* Stops recording after an error: warns once on stderr with `what`, keeps the program running.
 * Caller holds the lock. */
void ml_tracker_fail_locked(const char *what);

#endif
