/* ptrmap.h — a general map from address to (size, stack): the live table's fallback.
 *
 * Holds the blocks the chunked live table (livetable.h) cannot: addresses not aligned to 16 bytes and
 * blocks of 128 MiB or more. Such blocks are rare, so this map favours density over speed: 16-byte
 * slots, Robin Hood open addressing (lookups of absent keys stop early), backward-shift deletion,
 * load between 0.72 and 0.9 (growth by 1.25×). Capacity is not a power of two; slots come from
 * multiply-shift range reduction.
 *
 * Sizes are stored in 40 bits (larger requests cannot succeed on a real machine and are clamped),
 * stack ids in 24 bits. Memory from libc calloc. Not thread-safe: the tracker's lock protects it.
 */
#ifndef ML_PTRMAP_H
#define ML_PTRMAP_H

#include <stddef.h>
#include <stdint.h>

#define ML_PTRMAP_MAX_STACK ((1u << 24) - 1)
#define ML_PTRMAP_MAX_SIZE ((UINT64_C(1) << 40) - 1)

typedef struct {
	uint64_t key; /* block address; 0 marks an empty slot */
	uint64_t val; /* size << 24 | stack */
} ml_ptrmap_slot_t;

typedef struct {
	ml_ptrmap_slot_t *slots;
	size_t cap;   /* number of slots */
	size_t count; /* live entries */
	size_t limit; /* grow when count reaches this */
} ml_ptrmap_t;

int ml_ptrmap_init(ml_ptrmap_t *t, size_t initial_cap); /* 0, or -1 when out of memory */
void ml_ptrmap_free(ml_ptrmap_t *t);

/* Inserts or replaces ptr. Returns 1 if ptr was already present (its old value in *old), 0 if new,
 * -1 if the table could not grow (nothing inserted). */
int ml_ptrmap_put(ml_ptrmap_t *t, uintptr_t ptr, uint64_t size, uint32_t stack, uint64_t *old);

/* Removes ptr; returns 1 with its value in *val, or 0 if it was not there. */
int ml_ptrmap_take(ml_ptrmap_t *t, uintptr_t ptr, uint64_t *val);
/* Looks ptr up without removing it: 1 with its value in *val, or 0. */
int ml_ptrmap_get(const ml_ptrmap_t *t, uintptr_t ptr, uint64_t *val);

static inline uint64_t ml_ptrmap_size(uint64_t val) { return val >> 24; }
static inline uint32_t ml_ptrmap_stack(uint64_t val) { return (uint32_t)(val & ML_PTRMAP_MAX_STACK); }

/* Bytes the table itself uses. */
static inline size_t ml_ptrmap_bytes(const ml_ptrmap_t *t) { return t->cap * sizeof(ml_ptrmap_slot_t); }

#endif
