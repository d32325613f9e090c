/* diff.c — per-site differences and the merged trie of two captures (analysis/diff.h). */
#include <stdlib.h>
#include <string.h>

#include "analysis/diff.h"

static const ml_cap_str_t no_frame = {"[no Python frame]", 17};

static uint64_t hash_str(uint64_t h, const ml_cap_str_t *s)
{
	h ^= s ? s->len + 1 : 0;
	h *= 0x100000001b3ull;
	for (size_t i = 0; s && i < s->len; i++) {
		h ^= (unsigned char)s->s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int str_eq(const ml_cap_str_t *a, const ml_cap_str_t *b)
{
	if (!a || !b)
		return a == b;
	return a->len == b->len && !memcmp(a->s, b->s, a->len);
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

/* ---- An open-addressing index from a key's hash to an entry number; the caller compares keys ---- */

typedef struct {
	uint64_t *hash;
	uint32_t *idx; /* UINT32_MAX = empty */
	size_t size;
} index_t;

static int index_init(index_t *x, size_t n)
{
	x->size = 16;
	while (x->size < 2 * n)
		x->size *= 2;
	x->hash = malloc(x->size * sizeof *x->hash);
	x->idx = malloc(x->size * sizeof *x->idx);
	if (!x->hash || !x->idx)
		return -1;
	memset(x->idx, 0xff, x->size * sizeof *x->idx);
	return 0;
}

static void index_free(index_t *x)
{
	free(x->hash);
	free(x->idx);
}

/* ---- Sites ---- */

typedef struct {
	const ml_capture_t *cap[2];
	ml_view_by_t by;
	ml_diff_row_t *rows;
	size_t n;
} sites_t;

static uint64_t abs_delta(const uint64_t v[2]) { return v[0] > v[1] ? v[0] - v[1] : v[1] - v[0]; }

static int by_change(const void *pa, const void *pb)
{
	const ml_diff_row_t *a = pa, *b = pb;
	uint64_t x, y;
	if ((x = abs_delta(a->peak)) != (y = abs_delta(b->peak)))
		return x > y ? -1 : 1;
	if ((x = abs_delta(a->end)) != (y = abs_delta(b->end)))
		return x > y ? -1 : 1;
	if ((x = abs_delta(a->alloc)) != (y = abs_delta(b->alloc)))
		return x > y ? -1 : 1;
	if ((x = a->peak[1]) != (y = b->peak[1]))
		return x > y ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

int ml_diff_sites(const ml_capture_t *before, const ml_capture_t *after, ml_view_by_t by, ml_diff_t *out)
{
	const ml_capture_t *caps[2] = {before, after};
	index_t x = {0};
	memset(out, 0, sizeof *out);
	size_t cap_rows = before->n_nodes + after->n_nodes;
	uint64_t *named = calloc(cap_rows, sizeof *named); /* bytes of the stack that named each row */
	out->rows = calloc(cap_rows, sizeof *out->rows);
	if (!out->rows || !named || index_init(&x, cap_rows)) {
		free(out->rows);
		free(named);
		out->rows = NULL;
		index_free(&x);
		return -1;
	}
	for (int c = 0; c < 2; c++) {
		const ml_capture_t *cap = caps[c];
		for (size_t i = 0; i < cap->n_nodes; i++) {
			const ml_cap_stack_t *s = &cap->stacks[i];
			if (!(s->peak_bytes | s->live_bytes | s->alloc_bytes))
				continue;
			const ml_cap_node_t *nd = &cap->nodes[i];
			const ml_cap_str_t *file = i ? ml_capture_str(cap, nd->file) : NULL;
			const ml_cap_str_t *fn = i ? ml_capture_str(cap, nd->function) : &no_frame;
			uint64_t line = i && by == ML_VIEW_BY_LINE ? nd->line : 0;
			uint64_t h = hash_str(hash_str(0xcbf29ce484222325ull ^ line, file), by == ML_VIEW_BY_LINE ? NULL : fn);
			size_t slot = (size_t)(h ^ (h >> 32)) & (x.size - 1);
			ml_diff_row_t *r;
			for (;; slot = (slot + 1) & (x.size - 1)) {
				if (x.idx[slot] == UINT32_MAX) {
					x.idx[slot] = (uint32_t)out->n_rows;
					x.hash[slot] = h;
					r = &out->rows[out->n_rows++];
					r->file = file;
					r->function = fn;
					r->line = line;
					break;
				}
				r = &out->rows[x.idx[slot]];
				if (x.hash[slot] == h && r->line == line && str_eq(r->file, file) &&
				    (by == ML_VIEW_BY_LINE || str_eq(r->function, fn)))
					break;
			}
			/* by line, the row is named after its largest stack's function */
			uint64_t weight = s->peak_bytes > s->live_bytes ? s->peak_bytes : s->live_bytes;
			if (weight > named[r - out->rows]) {
				named[r - out->rows] = weight;
				r->function = fn;
			}
			r->peak[c] = sat_add(r->peak[c], s->peak_bytes);
			r->end[c] = sat_add(r->end[c], s->live_bytes);
			r->alloc[c] = sat_add(r->alloc[c], s->alloc_bytes);
			out->peak[c] = sat_add(out->peak[c], s->peak_bytes);
			out->end[c] = sat_add(out->end[c], s->live_bytes);
			out->alloc[c] = sat_add(out->alloc[c], s->alloc_bytes);
		}
	}
	index_free(&x);
	free(named);
	qsort(out->rows, out->n_rows, sizeof *out->rows, by_change);
	while (out->n_changed < out->n_rows && (abs_delta(out->rows[out->n_changed].peak) ||
						abs_delta(out->rows[out->n_changed].end)))
		out->n_changed++;
	return 0;
}

void ml_diff_free(ml_diff_t *d)
{
	free(d->rows);
	memset(d, 0, sizeof *d);
}

/* ---- Merged trie ---- */

int ml_diff_tree(const ml_capture_t *before, const ml_capture_t *after, ml_view_at_t at, ml_diff_node_t **nodes,
		 size_t *n_nodes)
{
	const ml_capture_t *caps[2] = {before, after};
	size_t max = before->n_nodes + after->n_nodes + 1;
	ml_diff_node_t *t = calloc(max, sizeof *t);
	uint32_t *map = malloc((before->n_nodes > after->n_nodes ? before->n_nodes : after->n_nodes) * sizeof *map);
	index_t x = {0};
	size_t n = 1;
	if (!t || !map || index_init(&x, max)) {
		free(t);
		free(map);
		index_free(&x);
		return -1;
	}
	for (int c = 0; c < 2; c++) {
		const ml_capture_t *cap = caps[c];
		map[0] = 0;
		for (size_t i = 0; i <= cap->n_nodes; i++) {
			/* i == n_nodes stands for stack 0, after every node so that its parent (the root) exists */
			size_t src = i == cap->n_nodes ? 0 : i;
			if (i == 0)
				continue;
			const ml_cap_node_t *nd = &cap->nodes[src];
			const ml_cap_str_t *fn = src ? ml_capture_str(cap, nd->function) : &no_frame;
			const ml_cap_str_t *file = src ? ml_capture_str(cap, nd->file) : NULL;
			uint32_t parent = src ? map[nd->parent] : 0;
			uint64_t h = hash_str(hash_str(0xcbf29ce484222325ull ^ parent, fn), file);
			size_t slot = (size_t)(h ^ (h >> 32)) & (x.size - 1);
			uint32_t id;
			for (;; slot = (slot + 1) & (x.size - 1)) {
				if (x.idx[slot] == UINT32_MAX) {
					id = (uint32_t)n++;
					x.idx[slot] = id;
					x.hash[slot] = h;
					t[id] = (ml_diff_node_t){.parent = parent, .function = fn, .file = file,
								 .line = src ? nd->line : 0};
					break;
				}
				id = x.idx[slot];
				if (x.hash[slot] == h && t[id].parent == parent && str_eq(t[id].function, fn) &&
				    str_eq(t[id].file, file))
					break;
			}
			if (src)
				map[src] = id;
			const ml_cap_stack_t *s = &cap->stacks[src];
			t[id].self[c] = sat_add(t[id].self[c], at == ML_VIEW_AT_PEAK  ? s->peak_bytes
							       : at == ML_VIEW_AT_END ? s->live_bytes
										: s->alloc_bytes);
			t[id].self_blocks[c] = sat_add(t[id].self_blocks[c], at == ML_VIEW_AT_PEAK  ? s->peak_blocks
									     : at == ML_VIEW_AT_END ? s->live_blocks
												      : s->alloc_blocks);
		}
	}
	index_free(&x);
	free(map);
	*nodes = t;
	*n_nodes = n;
	return 0;
}
