/* agg.c — see agg.h. */
#include "agg.h"

#include <stdlib.h>
#include <string.h>

void lg_agg_init(lg_agg_t *g, size_t budget)
{
	memset(g, 0, sizeof *g);
	lg_table_init(&g->table, budget);
}

void lg_agg_free(lg_agg_t *g)
{
	lg_table_free(&g->table);
	free(g->hll);
	lg_topk_free(&g->topk);
	g->hll = NULL;
}

int lg_agg_to_sketch(lg_agg_t *g)
{
	if (g->sketch)
		return 0;
	g->hll = malloc(sizeof *g->hll);
	if (!g->hll || lg_topk_init(&g->topk, LG_TOPK_K)) {
		g->oom = 1;
		return -1;
	}
	lg_hll_init(g->hll);
	lg_addr_t a;
	uint64_t c;
	for (size_t i = 0; lg_table_next(&g->table, &i, &a, &c);) {
		lg_hll_add(g->hll, lg_addr_hash(&a));
		lg_topk_add(&g->topk, &a, c);
	}
	lg_table_free(&g->table);
	g->sketch = 1;
	return 0;
}

void lg_agg_add(lg_agg_t *g, const lg_addr_t *a, uint64_t n)
{
	if (!g->sketch) {
		if (lg_table_add(&g->table, a, n) == LG_TABLE_OK)
			return;
		if (lg_agg_to_sketch(g))
			return;
	}
	if (g->oom)
		return;
	lg_hll_add(g->hll, lg_addr_hash(a));
	lg_topk_add(&g->topk, a, n);
}

void lg_agg_skip(lg_agg_t *g, lg_line_t reason, const char *line, size_t len)
{
	g->lines[reason]++;
	if (reason == LG_LINE_COMMENT || g->nexamples == LG_EXAMPLES)
		return;
	/* Examples are shown on a terminal: keep printable ASCII, escape the rest. */
	char *o = g->example[g->nexamples];
	size_t k = 0;
	for (size_t i = 0; i < len && k + 5 < LG_EXAMPLE_LEN; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			o[k++] = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";
			o[k++] = '\\';
			o[k++] = 'x';
			o[k++] = hex[c >> 4];
			o[k++] = hex[c & 15];
		}
	}
	if (len && k + 5 >= LG_EXAMPLE_LEN)
		memcpy(o + k, "...", 3), k += 3;
	o[k] = 0;
	g->example_reason[g->nexamples++] = reason;
}

/* Requests are counted in batches, and each client's home slot is prefetched as its line is parsed:
 * by the time a batch is counted (32 lines later, ~1.5 us) the cache misses of the long tail have
 * been served while parsing instead of stalling the count (measured: prefetching the whole batch
 * just before counting hid less; together -15% CPU on a 1M-client log). */
#define BATCH 32

static void flush4(lg_agg_t *g, const uint32_t *v4, int n)
{
	for (int i = 0; i < n; i++) {
		if (!g->sketch && lg_table_add4(&g->table, v4[i], 1) == LG_TABLE_OK)
			continue;
		lg_addr_t a;
		lg_addr_from_v4(&a, v4[i]);
		lg_agg_add(g, &a, 1);
	}
}

static void flush16(lg_agg_t *g, const lg_addr_t *a, int n)
{
	for (int i = 0; i < n; i++)
		lg_agg_add(g, &a[i], 1);
}

void lg_agg_feed(lg_agg_t *g, const lg_parse_cfg_t *cfg, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	uint32_t b4[BATCH] = { 0 };
	lg_addr_t b16[BATCH];
	int n4 = 0, n16 = 0;
	while (p < end) {
		const char *e;
		uint32_t v4;
		lg_line_t r = lg_parse_next(cfg, p, end, &e, &b16[n16]);
		if (r != LG_LINE_OK) {
			lg_agg_skip(g, r, p, (size_t)(e - p));
		} else {
			g->pv++;
			if (lg_addr_is_v4(&b16[n16], &v4)) {
				lg_table_prefetch4(&g->table, v4);
				b4[n4++] = v4;
				if (n4 == BATCH) {
					flush4(g, b4, n4);
					n4 = 0;
				}
			} else {
				lg_table_prefetch16(&g->table, &b16[n16]);
				if (++n16 == BATCH) {
					flush16(g, b16, n16);
					n16 = 0;
				}
			}
		}
		p = e + 1;
	}
	flush4(g, b4, n4);
	flush16(g, b16, n16);
	g->lines[LG_LINE_OK] = g->pv;
}

uint64_t lg_agg_malformed(const lg_agg_t *g)
{
	uint64_t n = 0;
	for (int r = LG_LINE_EMPTY; r < LG_LINE_NREASONS; r++)
		n += g->lines[r];
	return n;
}

double lg_agg_uv(const lg_agg_t *g)
{
	return g->sketch ? lg_hll_estimate(g->hll) : (double)lg_table_count(&g->table);
}

size_t lg_agg_bytes(const lg_agg_t *g)
{
	return g->sketch ? sizeof(lg_hll_t) + lg_topk_bytes(LG_TOPK_K) : lg_table_bytes(&g->table);
}

void lg_agg_move(lg_agg_t *dst, lg_agg_t *src)
{
	size_t budget = dst->table.budget;
	lg_agg_free(dst);
	*dst = *src;
	dst->table.budget = budget;
	lg_agg_init(src, src->table.budget);
}

int lg_agg_merge(lg_agg_t *dst, const lg_agg_t *src)
{
	dst->pv += src->pv;
	for (int r = 0; r < LG_LINE_NREASONS; r++)
		dst->lines[r] += src->lines[r];
	for (int i = 0; i < src->nexamples && dst->nexamples < LG_EXAMPLES; i++) {
		memcpy(dst->example[dst->nexamples], src->example[i], LG_EXAMPLE_LEN);
		dst->example_reason[dst->nexamples++] = src->example_reason[i];
	}
	if (src->sketch && lg_agg_to_sketch(dst))
		return -1;
	if (!src->sketch) {
		lg_addr_t a;
		uint64_t c;
		for (size_t i = 0; lg_table_next(&src->table, &i, &a, &c);)
			lg_agg_add(dst, &a, c);
		return dst->oom ? -1 : 0;
	}
	lg_hll_merge(dst->hll, src->hll);
	return lg_topk_merge(&dst->topk, &src->topk);
}

static int client_cmp(const void *a, const void *b)
{
	const lg_client_t *x = a, *y = b;
	if (x->pv != y->pv)
		return x->pv < y->pv ? 1 : -1;
	return memcmp(&x->addr, &y->addr, sizeof x->addr);
}

/* Keeps the n best of a stream in a min-heap (worst at the root): O(total log n) instead of sorting
 * every client when only the top ten are wanted. */
static void heap_offer(lg_client_t *h, size_t *k, size_t n, const lg_client_t *c)
{
	size_t i;
	if (*k < n) {
		i = (*k)++;
		while (i > 0 && client_cmp(&h[(i - 1) / 2], c) < 0) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = *c;
		return;
	}
	if (n == 0 || client_cmp(c, &h[0]) >= 0)
		return;
	i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const lg_client_t *worst = c;
		if (l < n && client_cmp(&h[l], worst) > 0)
			m = l, worst = &h[l];
		if (r < n && client_cmp(&h[r], worst) > 0)
			m = r;
		if (m == i)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = *c;
}

lg_client_t *lg_agg_top(const lg_agg_t *g, size_t n, size_t *out_n)
{
	size_t total = g->sketch ? g->topk.n : lg_table_count(&g->table);
	if (n > total)
		n = total;
	lg_client_t *v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	if (g->sketch) {
		for (size_t i = 0; i < g->topk.n; i++) {
			lg_client_t c = { g->topk.heap[i].key, g->topk.heap[i].count, g->topk.heap[i].err };
			heap_offer(v, &k, n, &c);
		}
	} else {
		lg_client_t c = { .err = 0 };
		for (size_t i = 0; lg_table_next(&g->table, &i, &c.addr, &c.pv);)
			heap_offer(v, &k, n, &c);
	}
	qsort(v, k, sizeof *v, client_cmp);
	*out_n = k;
	return v;
}
