/* flame.c — builds and prunes flame trees (report/flame.h). */
#include <stdlib.h>
#include <string.h>

#include "report/flame.h"

static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

typedef struct {
	uint64_t w, tot[2], blk[2];
	uint32_t first, count; /* kept children, in kids[first .. first+count) */
	uint32_t n_small;      /* children folded into a merged node */
	uint64_t small_w, small_tot[2], small_blk[2];
	int kept;
} acc_t;

static const acc_t *sort_acc;

static int by_weight_desc(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	if (sort_acc[a].w != sort_acc[b].w)
		return sort_acc[a].w > sort_acc[b].w ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int u64_desc(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return a > b ? -1 : a < b;
}

int ml_flame_prune(const ml_flame_in_t *in, size_t n, double min_share, size_t max_nodes, ml_flame_t *out)
{
	memset(out, 0, sizeof *out);
	if (!n)
		return 0;
	acc_t *a = calloc(n, sizeof *a);
	uint32_t *kids = malloc(n * sizeof *kids), *stack = malloc((n + 1) * sizeof *stack);
	uint32_t *outpos = malloc(n * sizeof *outpos);
	if (!a || !kids || !stack || !outpos)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			a[i].tot[k] = in[i].self[k];
			a[i].blk[k] = in[i].self_blocks[k];
		}
		a[i].w = in[i].self[0] > in[i].self[1] ? in[i].self[0] : in[i].self[1];
	}
	for (size_t i = n - 1; i > 0; i--) {
		acc_t *p = &a[in[i].parent];
		p->w = sat_add(p->w, a[i].w);
		for (int k = 0; k < 2; k++) {
			p->tot[k] = sat_add(p->tot[k], a[i].tot[k]);
			p->blk[k] = sat_add(p->blk[k], a[i].blk[k]);
		}
	}

	/* Keep the frames above the share, then at most half of max_nodes of them (merged nodes can
	 * double the count). A weight is never above its parent's, so both cuts keep whole ancestries. */
	uint64_t min_w = (uint64_t)((double)a[0].w * min_share);
	if (min_w < 1)
		min_w = 1;
	size_t budget = max_nodes / 2 > 1 ? max_nodes / 2 : 1, n_kept = 0;
	for (size_t i = 1; i < n; i++)
		n_kept += a[i].w >= min_w;
	if (n_kept > budget) {
		uint64_t *ws = malloc(n_kept * sizeof *ws);
		if (!ws)
			goto fail;
		size_t j = 0;
		for (size_t i = 1; i < n; i++)
			if (a[i].w >= min_w)
				ws[j++] = a[i].w;
		qsort(ws, n_kept, sizeof *ws, u64_desc);
		min_w = ws[budget] + 1 > min_w ? ws[budget] + 1 : min_w;
		free(ws);
	}
	a[0].kept = 1;
	for (size_t i = 1; i < n; i++)
		a[i].kept = a[i].w >= min_w && a[in[i].parent].kept;

	/* Children lists (counting sort by parent), folded children summed per parent. */
	for (size_t i = 1; i < n; i++) {
		acc_t *p = &a[in[i].parent];
		if (a[i].kept) {
			p->count++;
		} else if (p->kept && a[i].w) {
			p->n_small++;
			p->small_w = sat_add(p->small_w, a[i].w);
			for (int k = 0; k < 2; k++) {
				p->small_tot[k] = sat_add(p->small_tot[k], a[i].tot[k]);
				p->small_blk[k] = sat_add(p->small_blk[k], a[i].blk[k]);
			}
			out->n_merged++;
		}
	}
	size_t n_out = 0;
	uint32_t off = 0;
	for (size_t i = 0; i < n; i++) {
		if (!a[i].kept)
			continue;
		a[i].first = off;
		off += a[i].count;
		a[i].count = 0;
		n_out += 1 + (a[i].n_small > 0);
	}
	for (size_t i = 1; i < n; i++)
		if (a[i].kept) {
			acc_t *p = &a[in[i].parent];
			kids[p->first + p->count++] = (uint32_t)i;
		}
	sort_acc = a;
	for (size_t i = 0; i < n; i++)
		if (a[i].kept && a[i].count > 1)
			qsort(kids + a[i].first, a[i].count, sizeof *kids, by_weight_desc);

	out->nodes = calloc(n_out, sizeof *out->nodes);
	if (!out->nodes)
		goto fail;
	size_t sp = 0, o = 0;
	stack[sp++] = 0;
	while (sp) {
		uint32_t i = stack[--sp];
		ml_flame_node_t *f = &out->nodes[o];
		outpos[i] = (uint32_t)o++;
		f->parent = i ? outpos[in[i].parent] : 0;
		f->depth = i ? out->nodes[f->parent].depth + 1 : 0;
		f->function = in[i].function;
		f->file = in[i].file;
		f->line = in[i].line;
		f->weight = a[i].w;
		memcpy(f->total, a[i].tot, sizeof f->total);
		memcpy(f->blocks, a[i].blk, sizeof f->blocks);
		if (a[i].n_small) {
			/* Emitted right after all of i's kept subtrees: push it first (LIFO). Encoded as
			 * n + i so the pop below can tell it from a node index. */
			stack[sp++] = (uint32_t)(n + i);
		}
		for (uint32_t c = a[i].count; c-- > 0;)
			stack[sp++] = kids[a[i].first + c];
		while (sp && stack[sp - 1] >= n) {
			uint32_t p = (uint32_t)(stack[--sp] - n);
			ml_flame_node_t *m = &out->nodes[o++];
			m->parent = outpos[p];
			m->depth = out->nodes[m->parent].depth + 1;
			m->weight = a[p].small_w;
			memcpy(m->total, a[p].small_tot, sizeof m->total);
			memcpy(m->blocks, a[p].small_blk, sizeof m->blocks);
			m->n_merged = a[p].n_small;
		}
	}
	out->n_nodes = o;
	free(a);
	free(kids);
	free(stack);
	free(outpos);
	return 0;
fail:
	free(a);
	free(kids);
	free(stack);
	free(outpos);
	ml_flame_free(out);
	return -1;
}

static const ml_cap_str_t no_frame = {"[no Python frame]", 17};

int ml_flame_build(const ml_capture_t *cap, ml_view_at_t at, double min_share, size_t max_nodes, ml_flame_t *out)
{
	size_t n = cap->n_nodes + 1;
	ml_flame_in_t *in = calloc(n, sizeof *in);
	if (!in) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	for (size_t i = 0; i < cap->n_nodes; i++) {
		const ml_cap_node_t *nd = &cap->nodes[i];
		const ml_cap_stack_t *s = &cap->stacks[i];
		size_t dst = i ? i : n - 1; /* stack 0's counters go to the extra "[no Python frame]" node */
		in[i].parent = nd->parent;
		if (i) {
			in[i].function = ml_capture_str(cap, nd->function);
			in[i].file = ml_capture_str(cap, nd->file);
			in[i].line = nd->line;
		}
		in[dst].self[0] = at == ML_VIEW_AT_PEAK ? s->peak_bytes : at == ML_VIEW_AT_END ? s->live_bytes : s->alloc_bytes;
		in[dst].self_blocks[0] = at == ML_VIEW_AT_PEAK  ? s->peak_blocks
					 : at == ML_VIEW_AT_END ? s->live_blocks
								: s->alloc_blocks;
	}
	in[n - 1].parent = 0;
	in[n - 1].function = &no_frame;
	int rc = ml_flame_prune(in, n, min_share, max_nodes, out);
	free(in);
	return rc;
}

void ml_flame_free(ml_flame_t *f)
{
	free(f->nodes);
	memset(f, 0, sizeof *f);
}
