/* views.c — see views.h. Grouping sorts the non-zero stacks by their group key (string contents, not
 * string ids: the format does not promise that equal strings share an id) and merges neighbours. */
#include "analysis/views.h"

#include <stdlib.h>
#include <string.h>

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- Grouping ---- */

typedef struct {
	const ml_cap_str_t *file, *function; /* NULL where the grouping ignores them */
	uint64_t line;
	uint32_t stack;
	uint32_t key_stack; /* the stack itself for BY_STACK and stack 0, else 0 */
	uint64_t bytes, blocks;
} item_t;

static int str_cmp(const ml_cap_str_t *a, const ml_cap_str_t *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->s, b->s, n);
	if (c)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

static int key_cmp(const item_t *a, const item_t *b)
{
	int c;
	if (a->key_stack != b->key_stack)
		return a->key_stack < b->key_stack ? -1 : 1;
	if ((c = str_cmp(a->file, b->file)) || (c = str_cmp(a->function, b->function)))
		return c;
	return (a->line > b->line) - (a->line < b->line);
}

static int item_key_cmp(const void *pa, const void *pb)
{
	const item_t *a = pa, *b = pb;
	int c = key_cmp(a, b);
	if (c)
		return c;
	return (a->stack > b->stack) - (a->stack < b->stack);
}

static int row_cmp(const void *pa, const void *pb)
{
	const ml_view_row_t *a = pa, *b = pb;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->blocks != b->blocks)
		return a->blocks > b->blocks ? -1 : 1;
	return (a->stack > b->stack) - (a->stack < b->stack);
}

static void value_at(const ml_cap_stack_t *s, ml_view_at_t at, uint64_t *bytes, uint64_t *blocks)
{
	switch (at) {
	case ML_VIEW_AT_PEAK: *bytes = s->peak_bytes; *blocks = s->peak_blocks; break;
	case ML_VIEW_AT_END: *bytes = s->live_bytes; *blocks = s->live_blocks; break;
	default: *bytes = s->alloc_bytes; *blocks = s->alloc_blocks; break;
	}
}

int ml_view_top(const ml_capture_t *cap, ml_view_by_t by, ml_view_at_t at, size_t n, ml_view_top_t *out)
{
	memset(out, 0, sizeof *out);
	item_t *items = malloc(cap->n_nodes * sizeof *items);
	size_t ni = 0;
	if (!items)
		return -1;
	for (size_t s = 0; s < cap->n_nodes; s++) {
		item_t it = {.stack = (uint32_t)s};
		value_at(&cap->stacks[s], at, &it.bytes, &it.blocks);
		if (!it.bytes && !it.blocks)
			continue;
		const ml_cap_node_t *node = ml_capture_node(cap, (uint32_t)s);
		if (s == 0 || by == ML_VIEW_BY_STACK) {
			it.key_stack = (uint32_t)s;
		} else {
			it.file = ml_capture_str(cap, node->file);
			if (by == ML_VIEW_BY_FUNCTION)
				it.function = ml_capture_str(cap, node->function);
			if (by == ML_VIEW_BY_LINE)
				it.line = node->line;
		}
		items[ni++] = it;
	}
	qsort(items, ni, sizeof *items, item_key_cmp);

	/* merged groups are written over the front of a rows array as large as the items */
	ml_view_row_t *rows = malloc((ni ? ni : 1) * sizeof *rows);
	if (!rows) {
		free(items);
		return -1;
	}
	size_t nr = 0;
	uint64_t best = 0;
	for (size_t i = 0; i < ni; i++) {
		if (i == 0 || key_cmp(&items[i - 1], &items[i])) {
			rows[nr++] = (ml_view_row_t){.stack = items[i].stack};
			best = 0;
		}
		ml_view_row_t *r = &rows[nr - 1];
		if (items[i].bytes > best || r->n_stacks == 0) {
			best = items[i].bytes;
			r->stack = items[i].stack;
		}
		r->bytes = sat_add(r->bytes, items[i].bytes);
		r->blocks = sat_add(r->blocks, items[i].blocks);
		r->n_stacks++;
		out->total_bytes = sat_add(out->total_bytes, items[i].bytes);
		out->total_blocks = sat_add(out->total_blocks, items[i].blocks);
	}
	free(items);
	qsort(rows, nr, sizeof *rows, row_cmp);
	out->n_groups = nr;
	out->n_rows = n && n < nr ? n : nr;
	out->rows = rows;
	return 0;
}

void ml_view_top_free(ml_view_top_t *top)
{
	free(top->rows);
	memset(top, 0, sizeof *top);
}

int ml_view_leaks(const ml_capture_t *cap, size_t n, ml_view_top_t *out)
{
	return ml_view_top(cap, ML_VIEW_BY_STACK, ML_VIEW_AT_END, n, out);
}

double ml_view_share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* ---- Summary ---- */

int ml_view_summary(const ml_capture_t *cap, ml_view_summary_t *out)
{
	memset(out, 0, sizeof *out);
	out->duration_ns = cap->duration_ns;
	for (size_t s = 0; s < cap->n_nodes; s++) {
		const ml_cap_stack_t *st = &cap->stacks[s];
		out->alloc_bytes = sat_add(out->alloc_bytes, st->alloc_bytes);
		out->alloc_blocks = sat_add(out->alloc_blocks, st->alloc_blocks);
		out->end_bytes = sat_add(out->end_bytes, st->live_bytes);
		out->end_blocks = sat_add(out->end_blocks, st->live_blocks);
	}
	out->has_peak = cap->has_peak;
	out->peak_bytes = cap->peak_bytes;
	out->peak_blocks = cap->peak_blocks;
	out->peak_t = cap->peak_t;
	for (size_t i = 0; i < cap->n_ticks; i++) {
		if (!out->has_rss || cap->ticks[i].rss > out->rss_peak) {
			out->rss_peak = cap->ticks[i].rss;
			out->rss_peak_t = cap->ticks[i].t;
		}
		out->has_rss = 1;
	}
	if (ml_view_top(cap, ML_VIEW_BY_LINE, ML_VIEW_AT_PEAK, ML_VIEW_SUMMARY_SITES, &out->peak_sites) ||
	    ml_view_top(cap, ML_VIEW_BY_LINE, ML_VIEW_AT_END, ML_VIEW_SUMMARY_SITES, &out->end_sites)) {
		ml_view_summary_free(out);
		return -1;
	}
	return 0;
}

void ml_view_summary_free(ml_view_summary_t *s)
{
	ml_view_top_free(&s->peak_sites);
	ml_view_top_free(&s->end_sites);
}

/* ---- Names ---- */

static const char *const by_names[] = {"line", "function", "file", "stack"};
static const char *const at_names[] = {"peak", "end", "total"};

int ml_view_parse_by(const char *s, ml_view_by_t *out)
{
	for (size_t i = 0; i < sizeof by_names / sizeof by_names[0]; i++)
		if (!strcmp(s, by_names[i])) {
			*out = (ml_view_by_t)i;
			return 0;
		}
	return -1;
}

int ml_view_parse_at(const char *s, ml_view_at_t *out)
{
	for (size_t i = 0; i < sizeof at_names / sizeof at_names[0]; i++)
		if (!strcmp(s, at_names[i])) {
			*out = (ml_view_at_t)i;
			return 0;
		}
	return -1;
}

const char *ml_view_by_name(ml_view_by_t by) { return by_names[by]; }
const char *ml_view_at_name(ml_view_at_t at) { return at_names[at]; }
