/* topk.c — see topk.h. */
#include "topk.h"

#include <stdlib.h>
#include <string.h>

size_t lg_topk_bytes(size_t k)
{
	size_t islots = 1;
	while (islots < 2 * k)
		islots <<= 1;
	return k * (sizeof(lg_topk_item_t) + sizeof(uint32_t)) + islots * sizeof(uint32_t);
}

int lg_topk_init(lg_topk_t *t, size_t k)
{
	size_t islots = 1;
	while (islots < 2 * k)
		islots <<= 1;
	*t = (lg_topk_t){ .k = k, .imask = islots - 1 };
	t->heap = calloc(k, sizeof *t->heap);
	t->index = calloc(islots, sizeof *t->index);
	t->islot = calloc(k, sizeof *t->islot);
	if (!t->heap || !t->index || !t->islot) {
		lg_topk_free(t);
		return -1;
	}
	return 0;
}

void lg_topk_free(lg_topk_t *t)
{
	free(t->heap);
	free(t->index);
	free(t->islot);
	t->heap = NULL;
	t->index = NULL;
	t->islot = NULL;
	t->n = 0;
}

/* Index slot holding key a, or the empty slot where it would go. */
static size_t slot_of(const lg_topk_t *t, const lg_addr_t *a)
{
	size_t j = (size_t)lg_addr_hash(a) & t->imask;
	while (t->index[j] && memcmp(&t->heap[t->index[j] - 1].key, a, sizeof *a) != 0)
		j = (j + 1) & t->imask;
	return j;
}

/* Records that heap position pos holds the key whose index slot is j. */
static void place(lg_topk_t *t, size_t pos, size_t j)
{
	t->index[j] = (uint32_t)pos + 1;
	t->islot[pos] = (uint32_t)j;
}

static void index_set(lg_topk_t *t, size_t pos)
{
	place(t, pos, slot_of(t, &t->heap[pos].key));
}

/* Backward-shift deletion keeps linear probing chains intact without tombstones. */
static void index_del(lg_topk_t *t, size_t pos)
{
	size_t i = t->islot[pos];
	t->index[i] = 0;
	for (size_t j = (i + 1) & t->imask; t->index[j]; j = (j + 1) & t->imask) {
		size_t hp = t->index[j] - 1;
		size_t home = (size_t)lg_addr_hash(&t->heap[hp].key) & t->imask;
		/* move j back to i if its home is not in (i, j] cyclically */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			place(t, hp, i);
			t->index[j] = 0;
			i = j;
		}
	}
}

static void swap(lg_topk_t *t, size_t a, size_t b)
{
	lg_topk_item_t tmp = t->heap[a];
	t->heap[a] = t->heap[b];
	t->heap[b] = tmp;
	uint32_t sa = t->islot[a], sb = t->islot[b];
	place(t, a, sb);
	place(t, b, sa);
}

static void sift_down(lg_topk_t *t, size_t pos)
{
	for (;;) {
		size_t l = 2 * pos + 1, r = l + 1, m = pos;
		if (l < t->n && t->heap[l].count < t->heap[m].count)
			m = l;
		if (r < t->n && t->heap[r].count < t->heap[m].count)
			m = r;
		if (m == pos)
			break;
		swap(t, pos, m);
		pos = m;
	}
}

static void sift_up(lg_topk_t *t, size_t pos)
{
	while (pos > 0) {
		size_t p = (pos - 1) / 2;
		if (t->heap[p].count <= t->heap[pos].count)
			break;
		swap(t, p, pos);
		pos = p;
	}
}

void lg_topk_add_item(lg_topk_t *t, const lg_topk_item_t *it)
{
	size_t j = slot_of(t, &it->key);
	if (t->index[j]) {
		size_t pos = t->index[j] - 1;
		t->heap[pos].count += it->count;
		t->heap[pos].err += it->err;
		sift_down(t, pos);
		return;
	}
	if (t->n < t->k) {
		t->heap[t->n] = *it;
		place(t, t->n, j);
		sift_up(t, t->n++);
		return;
	}
	/* Full: the new client replaces the minimum and inherits its count as possible overcount. */
	uint64_t min = t->heap[0].count;
	index_del(t, 0);
	t->heap[0] = (lg_topk_item_t){ it->key, min + it->count, min + it->err };
	index_set(t, 0);
	sift_down(t, 0);
}

void lg_topk_add(lg_topk_t *t, const lg_addr_t *a, uint64_t n)
{
	lg_topk_item_t it = { *a, n, 0 };
	lg_topk_add_item(t, &it);
}

uint64_t lg_topk_floor(const lg_topk_t *t)
{
	return t->n == t->k && t->n ? t->heap[0].count : 0;
}

static int by_count_desc(const void *a, const void *b)
{
	const lg_topk_item_t *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : memcmp(&x->key, &y->key, sizeof x->key);
}

int lg_topk_merge(lg_topk_t *dst, const lg_topk_t *src)
{
	uint64_t dmin = lg_topk_floor(dst), smin = lg_topk_floor(src);
	size_t cap = dst->n + src->n;
	lg_topk_item_t *all = malloc((cap ? cap : 1) * sizeof *all);
	if (!all)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < dst->n; i++) {
		all[n] = dst->heap[i];
		size_t j = slot_of(src, &all[n].key);
		if (src->index[j]) {
			all[n].count += src->heap[src->index[j] - 1].count;
			all[n].err += src->heap[src->index[j] - 1].err;
		} else {
			all[n].count += smin;
			all[n].err += smin;
		}
		n++;
	}
	for (size_t i = 0; i < src->n; i++) {
		if (dst->index[slot_of(dst, &src->heap[i].key)])
			continue;
		all[n] = src->heap[i];
		all[n].count += dmin;
		all[n].err += dmin;
		n++;
	}
	qsort(all, n, sizeof *all, by_count_desc);
	if (n > dst->k)
		n = dst->k;
	memset(dst->index, 0, (dst->imask + 1) * sizeof *dst->index);
	dst->n = 0;
	for (size_t i = 0; i < n; i++) {
		dst->heap[dst->n] = all[i];
		index_set(dst, dst->n);
		dst->n++;
		sift_up(dst, dst->n - 1);
	}
	free(all);
	return 0;
}
