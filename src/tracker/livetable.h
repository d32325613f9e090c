/* livetable.h — the table of live blocks: address → (size, stack id).
 *
 * It is both the tracker's memory overhead per live block and the hottest structure on the allocation
 * path (one insert per allocation, one removal per free), so it is shaped by how Python allocates:
 * pymalloc hands out neighbouring blocks of the same arena, one after another.
 *
 * Two levels. The address space is cut into 64 KiB chunks; a small hash map finds the *leaf* of a
 * chunk, and the leaf is an open-addressing table (linear probing, power-of-two size, load ≤ 3/4,
 * backward-shift deletion) of 8-byte entries packing the block's offset in the chunk (in 16-byte
 * units), its size (27 bits) and its stack id (24 bits). Consecutive allocations land in the same
 * leaf, which stays in cache, so most operations touch one
 * small array; the leaves of the last few chunks used are found without hashing. A leaf grows alone (no
 * global rehash); emptied, it shrinks back to 8 entries.
 * Measured on 4M pymalloc-like addresses: ~20 ns per insert instead of ~450 ns for one Robin Hood
 * table over all blocks, and 8 / load ≈ 11–21 bytes per live block.
 *
 * Blocks that do not fit the packing — addresses not aligned to 16 bytes, sizes of 128 MiB or more —
 * go to a general map (ptrmap.h). Stack ids are 24 bits (ML_LIVE_MAX_STACK).
 *
 * Memory from libc. Not thread-safe: the tracker's lock protects it.
 */
#ifndef ML_LIVETABLE_H
#define ML_LIVETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "tracker/ptrmap.h"

#define ML_LIVE_MAX_STACK ML_PTRMAP_MAX_STACK

typedef struct ml_leaf ml_leaf_t;

typedef struct {
	uint64_t key; /* chunk number (address >> 16); 0 = empty */
	ml_leaf_t *leaf;
} ml_chunk_slot_t;

typedef struct {
	ml_chunk_slot_t *chunks; /* power-of-two size, load ≤ 1/2 */
	size_t chunk_mask, nchunks;
	ml_chunk_slot_t recent[16]; /* direct-mapped by chunk number: the leaves in use right now */
	ml_ptrmap_t big; /* blocks the leaves cannot hold */
	size_t count;    /* live blocks */
	size_t bytes;    /* memory used by leaves and the chunk map (big map excluded, see ml_live_bytes) */
	size_t max_bytes; /* the most ml_live_bytes() has been */
} ml_live_t;

int ml_live_init(ml_live_t *t); /* 0, or -1 when out of memory */
void ml_live_free(ml_live_t *t);

/* Inserts or replaces ptr. Returns 1 if ptr was already present (its size and stack in *old_size,
 * *old_stack), 0 if new, -1 when out of memory (nothing inserted). */
int ml_live_put(ml_live_t *t, uintptr_t ptr, uint64_t size, uint32_t stack, uint64_t *old_size, uint32_t *old_stack);

/* Removes ptr; returns 1 with its size and stack, or 0 if it was not there. */
int ml_live_take(ml_live_t *t, uintptr_t ptr, uint64_t *size, uint32_t *stack);

/* Looks ptr up without removing it: 1 with its size and stack, or 0. */
int ml_live_get(ml_live_t *t, uintptr_t ptr, uint64_t *size, uint32_t *stack);

/* Calls fn once per live block, in no particular order. The table must not change meanwhile. O(table
 * size): ~1 ns per slot. */
void ml_live_foreach(const ml_live_t *t, void (*fn)(void *ctx, uint64_t size, uint32_t stack), void *ctx);

/* Bytes the table uses now, and at most so far. */
static inline size_t ml_live_bytes(const ml_live_t *t) { return t->bytes + ml_ptrmap_bytes(&t->big); }
static inline size_t ml_live_max_bytes(const ml_live_t *t)
{
	return t->max_bytes > ml_live_bytes(t) ? t->max_bytes : ml_live_bytes(t);
}

#endif
