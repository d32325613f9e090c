/* livetable.c — see livetable.h. */
#include "core/hash.h"
#include "tracker/livetable.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_SHIFT 16
#define UNIT_SHIFT 4 /* CPython's allocators return 16-byte aligned blocks on 64-bit systems */
#define LEAF_MIN 8u
#define SIZE_BITS 27
#define MAX_LEAF_SIZE ((UINT64_C(1) << SIZE_BITS) - 1)

/* entry: (offset unit + 1) << 51 | size << 24 | stack; 0 = empty */
struct ml_leaf {
	uint32_t mask;
	uint32_t count;
	uint64_t e[];
};

static inline uint32_t e_off(uint64_t e) { return (uint32_t)(e >> 51) - 1; }
static inline uint64_t e_size(uint64_t e) { return (e >> 24) & MAX_LEAF_SIZE; }
static inline uint32_t e_stack(uint64_t e) { return (uint32_t)(e & ML_LIVE_MAX_STACK); }
static inline uint64_t e_make(uint32_t off, uint64_t size, uint32_t stack)
{
	return (uint64_t)(off + 1) << 51 | size << 24 | stack;
}

/* Fibonacci hashing of the offset: blocks of one size class have offsets in arithmetic progression,
 * which a plain mask would fold onto a fraction of the slots. */
static inline uint32_t home(const ml_leaf_t *l, uint32_t off)
{
	return ((off + 1) * 0x9E3779B1u >> 16) & l->mask;
}

static ml_leaf_t *leaf_new(ml_live_t *t, uint32_t cap)
{
	ml_leaf_t *l = calloc(1, sizeof *l + cap * sizeof l->e[0]);
	if (l) {
		l->mask = cap - 1;
		t->bytes += sizeof *l + cap * sizeof l->e[0];
	}
	return l;
}

static void leaf_release(ml_live_t *t, ml_leaf_t *l)
{
	if (t->bytes > t->max_bytes)
		t->max_bytes = t->bytes;
	t->bytes -= sizeof *l + (l->mask + 1) * sizeof l->e[0];
	free(l);
}

/* Slot of offset `off` in the leaf, or of the empty slot where it would go. */
static inline uint32_t leaf_find(const ml_leaf_t *l, uint32_t off)
{
	uint32_t i = home(l, off);
	while (l->e[i] && e_off(l->e[i]) != off)
		i = (i + 1) & l->mask;
	return i;
}

static void leaf_remove_at(ml_leaf_t *l, uint32_t i)
{
	/* backward shift: move later entries of the run into the hole when that is nearer their home */
	for (uint32_t j = (i + 1) & l->mask; l->e[j]; j = (j + 1) & l->mask) {
		uint32_t k = home(l, e_off(l->e[j]));
		if (((j - k) & l->mask) >= ((j - i) & l->mask)) {
			l->e[i] = l->e[j];
			i = j;
		}
	}
	l->e[i] = 0;
	l->count--;
}

/* ---- the chunk map ---- */

static inline size_t chunk_slot(const ml_live_t *t, uint64_t key)
{
	size_t i = ml_hash_mix(key) & t->chunk_mask;
	while (t->chunks[i].key && t->chunks[i].key != key)
		i = (i + 1) & t->chunk_mask;
	return i;
}

static int chunks_grow(ml_live_t *t)
{
	size_t cap = (t->chunk_mask + 1) * 2;
	ml_chunk_slot_t *n = calloc(cap, sizeof *n), *old = t->chunks;
	if (!n)
		return -1;
	size_t oldcap = t->chunk_mask + 1;
	t->chunks = n;
	t->chunk_mask = cap - 1;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			t->chunks[chunk_slot(t, old[i].key)] = old[i];
	free(old);
	t->bytes += (cap - oldcap) * sizeof *n;
	return 0;
}

static inline void remember(ml_live_t *t, uint64_t key, ml_leaf_t *l)
{
	ml_chunk_slot_t *r = &t->recent[key & 15];
	r->key = key;
	r->leaf = l;
}

/* The leaf of a chunk, or NULL. Leaves are never freed while their chunk is in the map, so a
 * remembered leaf stays valid until replaced (grow, shrink), which updates the cache. */
static inline ml_leaf_t *leaf_of(ml_live_t *t, uint64_t key)
{
	const ml_chunk_slot_t *r = &t->recent[key & 15];
	if (r->key == key)
		return r->leaf;
	ml_leaf_t *l = t->chunks[chunk_slot(t, key)].leaf;
	if (l)
		remember(t, key, l);
	return l;
}

/* Doubles a leaf, rehashing its entries; the chunk map and the cache point to the new one. */
static ml_leaf_t *leaf_grow(ml_live_t *t, uint64_t key, ml_leaf_t *l)
{
	ml_leaf_t *n = leaf_new(t, (l->mask + 1) * 2);
	if (!n)
		return NULL;
	for (uint32_t i = 0; i <= l->mask; i++)
		if (l->e[i])
			n->e[leaf_find(n, e_off(l->e[i]))] = l->e[i];
	n->count = l->count;
	t->chunks[chunk_slot(t, key)].leaf = n;
	remember(t, key, n);
	leaf_release(t, l);
	return n;
}

/* ---- public ---- */

int ml_live_init(ml_live_t *t)
{
	memset(t, 0, sizeof *t);
	size_t cap = 1024;
	t->chunks = calloc(cap, sizeof *t->chunks);
	if (!t->chunks || ml_ptrmap_init(&t->big, 64) < 0) {
		free(t->chunks);
		t->chunks = NULL;
		return -1;
	}
	t->chunk_mask = cap - 1;
	t->bytes = cap * sizeof *t->chunks;
	return 0;
}

void ml_live_free(ml_live_t *t)
{
	if (t->chunks)
		for (size_t i = 0; i <= t->chunk_mask; i++)
			free(t->chunks[i].leaf);
	free(t->chunks);
	ml_ptrmap_free(&t->big);
	memset(t, 0, sizeof *t);
}

static inline int fits_leaf(uintptr_t ptr, uint64_t size)
{
	return !(ptr & ((1u << UNIT_SHIFT) - 1)) && size <= MAX_LEAF_SIZE;
}

/* Removes ptr from the big map if there; the two levels never both hold an address. */
static int take_big(ml_live_t *t, uintptr_t ptr, uint64_t *size, uint32_t *stack)
{
	uint64_t v;
	if (!t->big.count || !ml_ptrmap_take(&t->big, ptr, &v))
		return 0;
	*size = ml_ptrmap_size(v);
	*stack = ml_ptrmap_stack(v);
	t->count--;
	return 1;
}

/* An emptied leaf is kept, shrunk to the minimum size: programs free and refill the same chunks all
 * the time, and a dead chunk then costs LEAF_MIN entries (0.1% of its 64 KiB). */
static void leaf_emptied(ml_live_t *t, uint64_t key, ml_leaf_t *l)
{
	if (l->mask + 1 == LEAF_MIN)
		return;
	ml_leaf_t *n = leaf_new(t, LEAF_MIN);
	if (!n)
		return; /* keep the big empty leaf: still correct */
	t->chunks[chunk_slot(t, key)].leaf = n;
	remember(t, key, n);
	leaf_release(t, l);
}

static inline uint32_t offset_of(uintptr_t ptr)
{
	return (uint32_t)(ptr >> UNIT_SHIFT) & ((1u << (CHUNK_SHIFT - UNIT_SHIFT)) - 1);
}

int ml_live_take(ml_live_t *t, uintptr_t ptr, uint64_t *size, uint32_t *stack)
{
	uint64_t key = ptr >> CHUNK_SHIFT;
	ml_leaf_t *l = (ptr & ((1u << UNIT_SHIFT) - 1)) ? NULL : leaf_of(t, key);
	if (l) {
		uint32_t i = leaf_find(l, offset_of(ptr));
		if (l->e[i]) {
			*size = e_size(l->e[i]);
			*stack = e_stack(l->e[i]);
			leaf_remove_at(l, i);
			t->count--;
			if (!l->count)
				leaf_emptied(t, key, l);
			return 1;
		}
	}
	return take_big(t, ptr, size, stack);
}

int ml_live_put(ml_live_t *t, uintptr_t ptr, uint64_t size, uint32_t stack, uint64_t *old_size, uint32_t *old_stack)
{
	if (!fits_leaf(ptr, size)) {
		int replaced = ml_live_take(t, ptr, old_size, old_stack);
		uint64_t v;
		if (ml_ptrmap_put(&t->big, ptr, size, stack, &v) < 0)
			return -1;
		t->count++;
		return replaced;
	}
	int replaced = take_big(t, ptr, old_size, old_stack);
	uint64_t key = ptr >> CHUNK_SHIFT;
	uint32_t off = offset_of(ptr);
	ml_leaf_t *l = leaf_of(t, key);
	if (!l) {
		if ((t->nchunks + 1) * 2 > t->chunk_mask + 1 && chunks_grow(t) < 0)
			return -1;
		if (!(l = leaf_new(t, LEAF_MIN)))
			return -1;
		size_t i = chunk_slot(t, key);
		t->chunks[i].key = key;
		t->chunks[i].leaf = l;
		t->nchunks++;
		remember(t, key, l);
	}
	uint32_t i = leaf_find(l, off);
	if (l->e[i]) { /* the address was live already: a free we did not see */
		*old_size = e_size(l->e[i]);
		*old_stack = e_stack(l->e[i]);
		l->e[i] = e_make(off, size, stack);
		return 1;
	}
	if ((l->count + 1) * 4 > (l->mask + 1) * 3) {
		if (!(l = leaf_grow(t, key, l)))
			return -1;
		i = leaf_find(l, off);
	}
	l->e[i] = e_make(off, size, stack);
	l->count++;
	t->count++;
	return replaced;
}

int ml_live_get(ml_live_t *t, uintptr_t ptr, uint64_t *size, uint32_t *stack)
{
	ml_leaf_t *l = (ptr & ((1u << UNIT_SHIFT) - 1)) ? NULL : leaf_of(t, ptr >> CHUNK_SHIFT);
	if (l) {
		uint32_t i = leaf_find(l, offset_of(ptr));
		if (l->e[i]) {
			*size = e_size(l->e[i]);
			*stack = e_stack(l->e[i]);
			return 1;
		}
	}
	uint64_t v;
	if (!ml_ptrmap_get(&t->big, ptr, &v))
		return 0;
	*size = ml_ptrmap_size(v);
	*stack = ml_ptrmap_stack(v);
	return 1;
}

void ml_live_foreach(const ml_live_t *t, void (*fn)(void *ctx, uint64_t size, uint32_t stack), void *ctx)
{
	for (size_t c = 0; t->chunks && c <= t->chunk_mask; c++) {
		const ml_leaf_t *l = t->chunks[c].leaf;
		for (uint32_t i = 0; l && i <= l->mask; i++)
			if (l->e[i])
				fn(ctx, e_size(l->e[i]), e_stack(l->e[i]));
	}
	for (size_t i = 0; i < t->big.cap; i++)
		if (t->big.slots[i].key)
			fn(ctx, ml_ptrmap_size(t->big.slots[i].val), ml_ptrmap_stack(t->big.slots[i].val));
}
