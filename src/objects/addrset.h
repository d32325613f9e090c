/* addrset.h — a set of object addresses: one bit per 8 bytes of address space, kept per 64 KiB chunk,
 * with ranks.
 *
 * The object walks of this layer ask "seen this object yet?" and "what is its node number?" millions
 * of times per query. A hash set of pointers costs 16–24 bytes per object and a cache miss per probe.
 * Objects of one pymalloc pool sit next to each other, so a bitmap over the address space is compact
 * (1/64 of the heap: a 300 MiB heap needs ~5 MiB of bitmaps) and lookups keep hitting the same few
 * chunks (one per pool being walked: instances, their strings, their ints), which a small
 * direct-mapped cache finds without hashing. Objects are at least 16 bytes and 8-aligned
 * (static objects in the interpreter's data segment too), so no two share a bit.
 *
 * After ml_obj_addrset_freeze, each member's rank (0..n-1, in address order) is a per-word prefix
 * count plus one popcount: the node number the reference-graph arrays are indexed by.
 *
 * Memory from libc, never from the Python allocators (the tracker may be hooking them). A set belongs
 * to one query, under the GIL; nothing here is shared.
 */
#ifndef ML_OBJ_ADDRSET_H
#define ML_OBJ_ADDRSET_H

#include <stddef.h>
#include <stdint.h>

#define ML_OBJ_CHUNK_SHIFT 16
#define ML_OBJ_CHUNK_WORDS ((1u << ML_OBJ_CHUNK_SHIFT) / 8 / 64)
#define ML_OBJ_RECENT 4096 /* 64 KiB of cache: a 256 MiB stretch of heap without hashing */

typedef struct {
	uintptr_t key; /* address >> ML_OBJ_CHUNK_SHIFT */
	uint32_t base; /* rank of the chunk's first member (after freeze) */
	uint32_t prefix[ML_OBJ_CHUNK_WORDS]; /* members in the words before (after freeze) */
	uint64_t bits[ML_OBJ_CHUNK_WORDS];
} ml_obj_chunk_t;

typedef struct {
	ml_obj_chunk_t **slots; /* open addressing on key, linear probing; cap is a power of two */
	size_t cap;
	ml_obj_chunk_t **chunks; /* every chunk, in address order once frozen */
	size_t nchunks, chunks_cap;
	/* direct-mapped on key: the chunks in use, found without hashing; also remembers keys that have
	 * no chunk (a walk asks about many objects in chunks of untracked objects) */
	uintptr_t recent_key[ML_OBJ_RECENT];
	ml_obj_chunk_t *recent[ML_OBJ_RECENT];
	size_t count;
	int frozen;
} ml_obj_addrset_t;

/* An empty set is all zeroes (its cache fills on first use). */
void ml_obj_addrset_free(ml_obj_addrset_t *s);


/* ---- lookups: inline, the walks make millions ---- */

#define ML_OBJ_BIT_SHIFT 3 /* one bit per 8 bytes */

static inline uintptr_t ml_obj_addrset_key(const void *p) { return (uintptr_t)p >> ML_OBJ_CHUNK_SHIFT; }

static inline size_t ml_obj_addrset_bit(const void *p)
{
	return ((uintptr_t)p & ((1u << ML_OBJ_CHUNK_SHIFT) - 1)) >> ML_OBJ_BIT_SHIFT;
}

/* Without -mpopcnt, __builtin_popcountll is a libgcc call; this is ~12 instructions, inline. */
static inline uint32_t ml_obj_popcount64(uint64_t x)
{
	x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
	x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
	x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (uint32_t)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* The hashed lookup behind the cache (remembers the answer, a chunk or none, in the cache). */
ml_obj_chunk_t *ml_obj_addrset_lookup(ml_obj_addrset_t *s, uintptr_t key);

/* The chunk of key, or NULL. */
static inline ml_obj_chunk_t *ml_obj_addrset_chunk(ml_obj_addrset_t *s, uintptr_t key)
{
	size_t slot = key & (ML_OBJ_RECENT - 1);
	if (s->recent_key[slot] == key + 1) /* keys are stored + 1: an all-zero set caches nothing */
		return s->recent[slot];
	return ml_obj_addrset_lookup(s, key);
}

/* The chunk of key, created empty if it has none; NULL when out of memory. */
ml_obj_chunk_t *ml_obj_addrset_insert_chunk(ml_obj_addrset_t *s, uintptr_t key);

/* 1 if p was added, 0 if it was there already, -1 when out of memory. Not after freeze. Inline: the
 * walks add millions, nearly all in a chunk the cache holds. */
static inline int ml_obj_addrset_add(ml_obj_addrset_t *s, const void *p)
{
	uintptr_t key = ml_obj_addrset_key(p);
	ml_obj_chunk_t *c = ml_obj_addrset_chunk(s, key);
	if (!c && !(c = ml_obj_addrset_insert_chunk(s, key)))
		return -1;
	size_t b = ml_obj_addrset_bit(p);
	uint64_t m = UINT64_C(1) << (b & 63);
	if (c->bits[b >> 6] & m)
		return 0;
	c->bits[b >> 6] |= m;
	s->count++;
	return 1;
}

/* 1 if p is a member. */
static inline int ml_obj_addrset_has(ml_obj_addrset_t *s, const void *p)
{
	ml_obj_chunk_t *c = ml_obj_addrset_chunk(s, ml_obj_addrset_key(p));
	if (!c)
		return 0;
	size_t b = ml_obj_addrset_bit(p);
	return (int)((c->bits[b >> 6] >> (b & 63)) & 1);
}

/* Rank of p (after freeze), or UINT32_MAX if p is not a member. */
static inline uint32_t ml_obj_addrset_rank(ml_obj_addrset_t *s, const void *p)
{
	ml_obj_chunk_t *c = ml_obj_addrset_chunk(s, ml_obj_addrset_key(p));
	if (!c)
		return UINT32_MAX;
	size_t b = ml_obj_addrset_bit(p), w = b >> 6;
	uint64_t word = c->bits[w];
	if (!((word >> (b & 63)) & 1))
		return UINT32_MAX;
	return c->base + c->prefix[w] + ml_obj_popcount64(word & ((UINT64_C(1) << (b & 63)) - 1));
}

/* Orders the chunks by address and computes the ranks. */
void ml_obj_addrset_freeze(ml_obj_addrset_t *s);

/* Writes the members in rank order into out (count entries). */
void ml_obj_addrset_members(const ml_obj_addrset_t *s, void **out);

#endif
