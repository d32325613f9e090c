/* ptrmap.c — see ptrmap.h. */
#include "core/hash.h"
#include "tracker/ptrmap.h"

#include <stdlib.h>

static inline size_t home(const ml_ptrmap_t *t, uint64_t key)
{
	return (size_t)(((unsigned __int128)ml_hash_mix(key) * t->cap) >> 64);
}

static inline size_t dist(const ml_ptrmap_t *t, size_t slot, uint64_t key)
{
	size_t h = home(t, key);
	return slot >= h ? slot - h : slot + t->cap - h;
}

int ml_ptrmap_init(ml_ptrmap_t *t, size_t initial_cap)
{
	if (initial_cap < 64)
		initial_cap = 64;
	t->slots = calloc(initial_cap, sizeof *t->slots);
	if (!t->slots)
		return -1;
	t->cap = initial_cap;
	t->count = 0;
	t->limit = initial_cap / 10 * 9;
	return 0;
}

void ml_ptrmap_free(ml_ptrmap_t *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->count = t->limit = 0;
}

/* Robin Hood insert of a key known to be absent; the table has room. */
static void insert_new(ml_ptrmap_t *t, uint64_t key, uint64_t val)
{
	size_t i = home(t, key), d = 0;
	for (;;) {
		ml_ptrmap_slot_t *s = &t->slots[i];
		if (!s->key) {
			s->key = key;
			s->val = val;
			return;
		}
		size_t sd = dist(t, i, s->key);
		if (sd < d) { /* the resident is richer: it moves on, we take its place */
			uint64_t k = s->key, v = s->val;
			s->key = key;
			s->val = val;
			key = k;
			val = v;
			d = sd;
		}
		if (++i == t->cap)
			i = 0;
		d++;
	}
}

static int grow(ml_ptrmap_t *t)
{
	ml_ptrmap_t n;
	size_t cap = t->cap + t->cap / 4;
	if (ml_ptrmap_init(&n, cap) < 0)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			insert_new(&n, t->slots[i].key, t->slots[i].val);
	n.count = t->count;
	free(t->slots);
	*t = n;
	return 0;
}

/* Slot holding key, or SIZE_MAX. Stops as soon as the probe is further from home than the resident
 * is from its own: Robin Hood order guarantees the key cannot be beyond. */
static inline size_t find(const ml_ptrmap_t *t, uint64_t key)
{
	size_t i = home(t, key), d = 0;
	for (;;) {
		const ml_ptrmap_slot_t *s = &t->slots[i];
		if (s->key == key)
			return i;
		if (!s->key || dist(t, i, s->key) < d)
			return SIZE_MAX;
		if (++i == t->cap)
			i = 0;
		d++;
	}
}

int ml_ptrmap_put(ml_ptrmap_t *t, uintptr_t ptr, uint64_t size, uint32_t stack, uint64_t *old)
{
	uint64_t val = (size > ML_PTRMAP_MAX_SIZE ? ML_PTRMAP_MAX_SIZE : size) << 24 | (stack & ML_PTRMAP_MAX_STACK);
	size_t i = find(t, ptr);
	if (i != SIZE_MAX) {
		*old = t->slots[i].val;
		t->slots[i].val = val;
		return 1;
	}
	if (t->count + 1 >= t->limit && grow(t) < 0)
		return -1;
	insert_new(t, ptr, val);
	t->count++;
	return 0;
}

int ml_ptrmap_get(const ml_ptrmap_t *t, uintptr_t ptr, uint64_t *val)
{
	size_t i = find(t, ptr);
	if (i == SIZE_MAX)
		return 0;
	*val = t->slots[i].val;
	return 1;
}

int ml_ptrmap_take(ml_ptrmap_t *t, uintptr_t ptr, uint64_t *val)
{
	size_t i = find(t, ptr);
	if (i == SIZE_MAX)
		return 0;
	*val = t->slots[i].val;
	/* backward shift: pull following displaced entries one slot closer to home */
	for (;;) {
		size_t j = i + 1 == t->cap ? 0 : i + 1;
		ml_ptrmap_slot_t *n = &t->slots[j];
		if (!n->key || dist(t, j, n->key) == 0) {
			t->slots[i].key = 0;
			t->slots[i].val = 0;
			break;
		}
		t->slots[i] = *n;
		i = j;
	}
	t->count--;
	return 1;
}
