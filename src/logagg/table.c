/* table.c — see table.h. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "core/hugemem.h"

#define MIN_SLOTS 1024

#define hash4 lg_table_hash4

static inline int addr_eq(const lg_addr_t *a, const lg_addr_t *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a->b, 8);
	memcpy(&a1, a->b + 8, 8);
	memcpy(&b0, b->b, 8);
	memcpy(&b1, b->b + 8, 8);
	return a0 == b0 && a1 == b1;
}

/* A zeroed slot array. Large ones are 2 MiB-aligned and asked to be backed by 2 MiB pages: every
 * lookup is a random access, and with 4 KiB pages a 16 MB table misses the TLB on most of them.
 * They are zeroed here, by writing, because calloc's untouched pages would be mapped to the shared
 * zero page on the first probe and copied on the first insert, each copy a TLB shootdown on the
 * other cores (measured: 8% of a two-thread run). */
static void *slots_alloc(size_t bytes)
{
	if (bytes < ML_HUGE_PAGE)
		return calloc(1, bytes);
	void *p = ml_huge_alloc(bytes);
	return p ? memset(p, 0, bytes) : NULL;
}

void lg_table_init(lg_table_t *t, size_t budget)
{
	*t = (lg_table_t){ .budget = budget };
}

void lg_table_free(lg_table_t *t)
{
	free(t->s4);
	free(t->s16);
	lg_table_init(t, t->budget);
}

size_t lg_table_bytes(const lg_table_t *t)
{
	return (t->s4 ? (t->mask4 + 1) * sizeof(lg_slot4_t) : 0) +
	       (t->s16 ? (t->mask16 + 1) * sizeof(lg_slot16_t) : 0);
}

size_t lg_table_count(const lg_table_t *t)
{
	return t->used4 - t->moved4 + t->used16;
}

/* Doubles (or creates) one of the arrays, if the budget allows; 0 on success. */
static int grow4(lg_table_t *t)
{
	size_t n = t->s4 ? (t->mask4 + 1) * 2 : MIN_SLOTS;
	size_t others = lg_table_bytes(t) - (t->s4 ? (t->mask4 + 1) * sizeof(lg_slot4_t) : 0);
	if (others + n * sizeof(lg_slot4_t) > t->budget)
		return -1;
	lg_slot4_t *s = slots_alloc(n * sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; t->s4 && i <= t->mask4; i++) {
		if (!t->s4[i].count)
			continue;
		size_t j = hash4(t->s4[i].key, n - 1);
		while (s[j].count)
			j = (j + 1) & (n - 1);
		s[j] = t->s4[i];
	}
	free(t->s4);
	t->s4 = s;
	t->mask4 = n - 1;
	return 0;
}

static int grow16(lg_table_t *t)
{
	size_t n = t->s16 ? (t->mask16 + 1) * 2 : MIN_SLOTS;
	size_t others = lg_table_bytes(t) - (t->s16 ? (t->mask16 + 1) * sizeof(lg_slot16_t) : 0);
	if (others + n * sizeof(lg_slot16_t) > t->budget)
		return -1;
	lg_slot16_t *s = slots_alloc(n * sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; t->s16 && i <= t->mask16; i++) {
		if (!t->s16[i].count)
			continue;
		size_t j = (size_t)lg_addr_hash(&t->s16[i].key) & (n - 1);
		while (s[j].count)
			j = (j + 1) & (n - 1);
		s[j] = t->s16[i];
	}
	free(t->s16);
	t->s16 = s;
	t->mask16 = n - 1;
	return 0;
}

static int add16(lg_table_t *t, const lg_addr_t *a, uint64_t n)
{
	if (!t->s16 && grow16(t))
		return LG_TABLE_FULL;
	size_t j = (size_t)lg_addr_hash(a) & t->mask16;
	for (;; j = (j + 1) & t->mask16) {
		lg_slot16_t *s = &t->s16[j];
		if (!s->count)
			break;
		if (addr_eq(&s->key, a)) {
			s->count += n;
			return LG_TABLE_OK;
		}
	}
	if ((t->used16 + 1) * 10 > (t->mask16 + 1) * 7) {
		if (grow16(t))
			return LG_TABLE_FULL;
		j = (size_t)lg_addr_hash(a) & t->mask16;
		while (t->s16[j].count)
			j = (j + 1) & t->mask16;
	}
	t->s16[j] = (lg_slot16_t){ *a, n };
	t->used16++;
	return LG_TABLE_OK;
}

int lg_table_add4(lg_table_t *t, uint32_t v4, uint64_t n)
{
	if (!t->s4 && grow4(t))
		return LG_TABLE_FULL;
	size_t j = hash4(v4, t->mask4);
	for (;; j = (j + 1) & t->mask4) {
		lg_slot4_t *s = &t->s4[j];
		if (!s->count)
			break;
		if (s->key == v4) {
			if (s->count != UINT32_MAX && (uint64_t)s->count + n < UINT32_MAX) {
				s->count += (uint32_t)n;
				return LG_TABLE_OK;
			}
			lg_addr_t a;
			lg_addr_from_v4(&a, v4);
			uint64_t carry = s->count == UINT32_MAX ? 0 : s->count;
			if (add16(t, &a, n + carry))
				return LG_TABLE_FULL;
			if (s->count != UINT32_MAX) {
				s->count = UINT32_MAX;
				t->moved4++;
			}
			return LG_TABLE_OK;
		}
	}
	if (n >= UINT32_MAX) {
		lg_addr_t a;
		lg_addr_from_v4(&a, v4);
		return add16(t, &a, n);
	}
	if ((t->used4 + 1) * 20 > (t->mask4 + 1) * 17) {
		if (grow4(t))
			return LG_TABLE_FULL;
		j = hash4(v4, t->mask4);
		while (t->s4[j].count)
			j = (j + 1) & t->mask4;
	}
	t->s4[j] = (lg_slot4_t){ v4, (uint32_t)n };
	t->used4++;
	return LG_TABLE_OK;
}

int lg_table_add(lg_table_t *t, const lg_addr_t *a, uint64_t n)
{
	uint32_t v4;
	if (lg_addr_is_v4(a, &v4))
		return lg_table_add4(t, v4, n);
	return add16(t, a, n);
}

int lg_table_next(const lg_table_t *t, size_t *i, lg_addr_t *a, uint64_t *count)
{
	size_t n4 = t->s4 ? t->mask4 + 1 : 0, n16 = t->s16 ? t->mask16 + 1 : 0;
	for (; *i < n4; (*i)++) {
		const lg_slot4_t *s = &t->s4[*i];
		if (s->count && s->count != UINT32_MAX) {
			lg_addr_from_v4(a, s->key);
			*count = s->count;
			(*i)++;
			return 1;
		}
	}
	for (; *i < n4 + n16; (*i)++) {
		const lg_slot16_t *s = &t->s16[*i - n4];
		if (s->count) {
			*a = s->key;
			*count = s->count;
			(*i)++;
			return 1;
		}
	}
	return 0;
}
