/* addrset.c — see addrset.h. */
#include "objects/addrset.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"


void ml_obj_addrset_free(ml_obj_addrset_t *s)
{
	for (size_t i = 0; i < s->nchunks; i++)
		free(s->chunks[i]);
	free(s->chunks);
	free(s->slots);
	memset(s, 0, sizeof *s);
}

ml_obj_chunk_t *ml_obj_addrset_lookup(ml_obj_addrset_t *s, uintptr_t key)
{
	ml_obj_chunk_t *c = NULL;
	if (s->cap)
		for (size_t i = ml_hash_mix(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
			c = s->slots[i];
			if (!c || c->key == key)
				break;
		}
	s->recent_key[key & (ML_OBJ_RECENT - 1)] = key + 1;
	return s->recent[key & (ML_OBJ_RECENT - 1)] = c;
}

static void place(ml_obj_chunk_t **slots, size_t cap, ml_obj_chunk_t *c)
{
	size_t i = ml_hash_mix(c->key) & (cap - 1);
	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = c;
}

/* The slot table stays at most half full; it holds chunk pointers only, so growing it is cheap. */
ml_obj_chunk_t *ml_obj_addrset_insert_chunk(ml_obj_addrset_t *s, uintptr_t key)
{
	if (2 * (s->nchunks + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		ml_obj_chunk_t **slots = calloc(cap, sizeof *slots);
		if (!slots)
			return NULL;
		for (size_t i = 0; i < s->nchunks; i++)
			place(slots, cap, s->chunks[i]);
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	if (s->nchunks == s->chunks_cap) {
		size_t cap = s->chunks_cap ? 2 * s->chunks_cap : 64;
		ml_obj_chunk_t **chunks = realloc(s->chunks, cap * sizeof *chunks);
		if (!chunks)
			return NULL;
		s->chunks = chunks;
		s->chunks_cap = cap;
	}
	ml_obj_chunk_t *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->key = key;
	s->chunks[s->nchunks++] = c;
	place(s->slots, s->cap, c);
	s->recent_key[key & (ML_OBJ_RECENT - 1)] = key + 1; /* replaces a cached "no chunk" */
	return s->recent[key & (ML_OBJ_RECENT - 1)] = c;
}

static int by_key(const void *a, const void *b)
{
	uintptr_t x = (*(ml_obj_chunk_t *const *)a)->key, y = (*(ml_obj_chunk_t *const *)b)->key;
	return x < y ? -1 : x > y;
}

void ml_obj_addrset_freeze(ml_obj_addrset_t *s)
{
	if (s->nchunks) /* qsort's array may not be NULL, even empty */
		qsort(s->chunks, s->nchunks, sizeof *s->chunks, by_key);
	uint32_t rank = 0;
	for (size_t i = 0; i < s->nchunks; i++) {
		ml_obj_chunk_t *c = s->chunks[i];
		c->base = rank;
		uint32_t n = 0;
		for (size_t w = 0; w < ML_OBJ_CHUNK_WORDS; w++) {
			c->prefix[w] = n;
			n += ml_obj_popcount64(c->bits[w]);
		}
		rank += n;
	}
	s->frozen = 1;
}

void ml_obj_addrset_members(const ml_obj_addrset_t *s, void **out)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nchunks; i++) {
		const ml_obj_chunk_t *c = s->chunks[i];
		uintptr_t base = c->key << ML_OBJ_CHUNK_SHIFT;
		for (size_t w = 0; w < ML_OBJ_CHUNK_WORDS; w++)
			for (uint64_t word = c->bits[w]; word; word &= word - 1)
				out[n++] = (void *)(base + ((w * 64 + (size_t)__builtin_ctzll(word)) << ML_OBJ_BIT_SHIFT));
	}
}
