/* keymap.h — a map from (tag, key) to a non-zero 32-bit index: the profilers' lookups.
 *
 * The function profiler finds a call-tree node by (parent node, function key) on every call it has
 * not cached, and a function by its key (a code object or a C function's PyMethodDef) when a node is
 * created; the line engine finds a profiled code object's line table by its key. Keys are addresses
 * that stay valid while profiling (code objects are pinned by their owner), so they are compared,
 * never dereferenced. Nothing is ever removed: tables are freed whole.
 *
 * Open addressing, linear probing, 16-byte slots, load at most 1/2; grows by doubling. A lookup is
 * one mix and usually one cache line (~5-10 ns). Allocates with libc only (never the traced
 * allocator). Not thread-safe: each owner says which lock guards it (the profilers: the GIL).
 */
#ifndef ML_PROF_KEYMAP_H
#define ML_PROF_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

typedef struct {
	uintptr_t key;
	uint32_t tag;
	uint32_t val; /* 0: empty slot */
} ml_prof_slot_t;

typedef struct {
	ml_prof_slot_t *slots;
	size_t mask; /* capacity - 1; capacity is a power of two (0 slots before the first put) */
	size_t used;
} ml_prof_keymap_t;

static inline size_t ml_prof_keymap_hash(uint32_t tag, uintptr_t key)
{
	return (size_t)ml_hash_mix((uint64_t)key ^ ((uint64_t)tag << 40) ^ (uint64_t)tag);
}

/* The value stored for (tag, key), or 0. */
static inline uint32_t ml_prof_keymap_get(const ml_prof_keymap_t *m, uint32_t tag, uintptr_t key)
{
	if (!m->slots)
		return 0;
	for (size_t i = ml_prof_keymap_hash(tag, key) & m->mask;; i = (i + 1) & m->mask) {
		const ml_prof_slot_t *s = &m->slots[i];
		if (!s->val)
			return 0;
		if (s->key == key && s->tag == tag)
			return s->val;
	}
}

/* Stores val (non-zero) for a (tag, key) not yet present. 0, or -1 out of memory (map unchanged). */
int ml_prof_keymap_put(ml_prof_keymap_t *m, uint32_t tag, uintptr_t key, uint32_t val);

void ml_prof_keymap_free(ml_prof_keymap_t *m);

#endif
