/* stackstats.h — per-stack counters, the traced heap total, and the exact breakdown at the peak.
 *
 * Every allocation and free updates one stack's counters and the global totals in O(1). The peak
 * breakdown (bytes alive per stack at the moment the heap was highest) is kept exactly, also in O(1)
 * per event, without copying anything when a new peak is reached:
 *   - `peak_epoch` counts new peaks. A stack remembers the epoch in which it last changed;
 *   - before a stack changes, if its epoch is older than the current one, its live value is still the
 *     value it had at the latest peak: save it into peak_bytes/peak_blocks, then stamp the epoch;
 *   - so a stack's value at the peak is peak_* if it changed since the peak, live_* otherwise.
 * Growing workloads start a new epoch on every allocation; that costs one compare and two stores.
 *
 * Two worklists make flushes proportional to what changed, not to the number of stacks:
 *   - `dirty`: stacks whose counters changed since the last STACKS record;
 *   - `peak_dirty`: stacks whose value may differ from the one last written in a PEAK record.
 *     A stack leaves it once written, unless it changed after the peak (then its current value no
 *     longer equals the written one, and a later peak may need it again).
 *
 * Memory from libc. Not thread-safe: the tracker's lock protects it.
 */
#ifndef ML_STACKSTATS_H
#define ML_STACKSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct {
	uint64_t live_bytes, live_blocks;
	uint64_t alloc_bytes, alloc_blocks;
	uint64_t peak_bytes, peak_blocks; /* value at the latest peak; valid when epoch == peak_epoch */
	uint64_t epoch;
	uint8_t dirty, peak_dirty;
} ml_stat_t;

typedef struct {
	ml_stat_t *s; /* indexed by stack id (emitted node id) */
	size_t cap;

	uint64_t heap_bytes, heap_blocks; /* alive now */
	uint64_t alloc_bytes, alloc_blocks; /* ever allocated */
	uint64_t peak_bytes, peak_blocks;
	uint64_t user_peak; /* highest heap_bytes since the API's reset_peak(); never above peak_bytes */
	uint64_t peak_epoch;
	uint64_t peak_t; /* when the peak was reached, ns since start (set by the caller) */
	uint64_t written_peak; /* peak_bytes as of the last PEAK record */

	uint32_t *dirty, *peak_dirty;
	size_t ndirty, npeak_dirty, capdirty, cappeak_dirty;
	int failed; /* out of memory: counters no longer exact */
} ml_stats_t;

int ml_stats_init(ml_stats_t *st);
void ml_stats_free(ml_stats_t *st);

/* Makes `stack` a valid index. Called when the stack trie creates a node, so that the per-event
 * functions below need no bounds check. Returns 0, or -1 when out of memory. */
int ml_stats_reserve(ml_stats_t *st, uint32_t stack);

/* Puts a stack on the worklists it is not on yet (out of line: once per stack per flush). */
int ml_stats_mark(ml_stats_t *st, ml_stat_t *s, uint32_t stack);

/* Called before a stack's live values change. */
static inline int ml_stats_touch(ml_stats_t *st, ml_stat_t *s, uint32_t stack)
{
	if (s->epoch != st->peak_epoch) {
		s->peak_bytes = s->live_bytes;
		s->peak_blocks = s->live_blocks;
		s->epoch = st->peak_epoch;
	}
	return s->dirty && s->peak_dirty ? 0 : ml_stats_mark(st, s, stack);
}

/* Records an allocation of `size` bytes at `stack` (reserved). Returns 1 if it set a new peak (the
 * caller then stamps st->peak_t), 0 otherwise, -1 when out of memory. */
static inline int ml_stats_alloc(ml_stats_t *st, uint32_t stack, uint64_t size)
{
	ml_stat_t *s = &st->s[stack];
	if (ml_stats_touch(st, s, stack) < 0) {
		st->failed = 1;
		return -1;
	}
	s->live_bytes += size;
	s->live_blocks++;
	s->alloc_bytes += size;
	s->alloc_blocks++;
	st->heap_bytes += size;
	st->heap_blocks++;
	st->alloc_bytes += size;
	st->alloc_blocks++;
	if (st->heap_bytes > st->user_peak) {
		st->user_peak = st->heap_bytes;
		if (st->heap_bytes > st->peak_bytes) {
			st->peak_bytes = st->heap_bytes;
			st->peak_blocks = st->heap_blocks;
			st->peak_epoch++; /* every stack's current value is now its value at the peak */
			return 1;
		}
	}
	return 0;
}

/* Records the free of a block of `size` bytes allocated at `stack`. */
static inline void ml_stats_free_block(ml_stats_t *st, uint32_t stack, uint64_t size)
{
	ml_stat_t *s = &st->s[stack];
	if (ml_stats_touch(st, s, stack) < 0) {
		st->failed = 1;
		return;
	}
	s->live_bytes -= size;
	s->live_blocks--;
	st->heap_bytes -= size;
	st->heap_blocks--;
}

/* Undoes ml_stats_free_block for a block that stayed alive after all (a realloc that failed). The
 * heap returns to a level it had just before, so this can never set a new peak, and the block is not
 * counted as allocated a second time. */
static inline void ml_stats_unfree(ml_stats_t *st, uint32_t stack, uint64_t size)
{
	ml_stat_t *s = &st->s[stack];
	if (ml_stats_touch(st, s, stack) < 0) {
		st->failed = 1;
		return;
	}
	s->live_bytes += size;
	s->live_blocks++;
	st->heap_bytes += size;
	st->heap_blocks++;
}

/* Forgets every live block (the API's clear_traces): live counters to zero, through the worklists so
 * the capture sees the drop. The run's peak and allocation totals stay. Returns 0, or -1 when out of
 * memory. */
int ml_stats_clear_live(ml_stats_t *st);

/* Bytes/blocks of a stack at the latest peak. */
void ml_stats_at_peak(const ml_stats_t *st, uint32_t stack, uint64_t *bytes, uint64_t *blocks);

/* Appends a STACKS record with every dirty stack, and a PEAK record if the peak rose since the last
 * one; clears the worklists accordingly. */
void ml_stats_encode(ml_stats_t *st, ml_buf_t *out);

#endif
