/* livetable.h — the table of live blocks: address → (size, stack id).
 *
 * This table is the tracker's memory overhead per live block, so it is kept dense: 16-byte slots in
 * one array, Robin Hood open addressing (probe lengths stay short at high load, and a lookup of an
 * address that is not there — a free of a block allocated before tracing started — stops early),
 * backward-shift deletion (no tombstones), a maximum load of 0.9 and growth by 1.25×, so the table
 * holds between 0.72 and 0.9 entries per slot: 17.8–22.2 bytes per live block, whatever the count.
 * The capacity is not a power of two; slots are chosen by multiply-shift range reduction.
 *
 * Sizes are stored in 40 bits (1 TiB; larger requests cannot succeed on a real machine and are
 * clamped), stack ids in 24 bits (ml_live_MAX_STACK).
 *
 * Memory comes from libc calloc, never from the hooked Python allocators. Not thread-safe: the
 * tracker's lock protects it.
 */
#ifndef ML_LIVETABLE_H
#define ML_LIVETABLE_H

#include <stddef.h>
#include <stdint.h>

#define ML_LIVE_MAX_STACK ((1u << 24) - 1)
#define ML_LIVE_MAX_SIZE ((UINT64_C(1) << 40) - 1)

typedef struct {
	uint64_t key; /* block address; 0 marks an empty slot */
	uint64_t val; /* size << 24 | stack */
} ml_live_slot_t;

typedef struct {
	ml_live_slot_t *slots;
	size_t cap;   /* number of slots */
	size_t count; /* live entries */
	size_t limit; /* grow when count reaches this */
} ml_live_t;

int ml_live_init(ml_live_t *t, size_t initial_cap); /* 0, or -1 when out of memory */
void ml_live_free(ml_live_t *t);

/* Inserts or replaces ptr. Returns 1 if ptr was already present (its old value in *old), 0 if new,
 * -1 if the table could not grow (nothing inserted). */
int ml_live_put(ml_live_t *t, uintptr_t ptr, uint64_t size, uint32_t stack, uint64_t *old);

/* Removes ptr; returns 1 with its value in *val, or 0 if it was not there. */
int ml_live_take(ml_live_t *t, uintptr_t ptr, uint64_t *val);

static inline uint64_t ml_live_size(uint64_t val) { return val >> 24; }
static inline uint32_t ml_live_stack(uint64_t val) { return (uint32_t)(val & ML_LIVE_MAX_STACK); }

/* Bytes the table itself uses. */
static inline size_t ml_live_bytes(const ml_live_t *t) { return t->cap * sizeof(ml_live_slot_t); }

#endif
