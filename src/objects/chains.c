/* chains.c — see chains.h. */
#include "objects/chains.h"

#include <stdlib.h>
#include <string.h>

int ml_obj_bfs_init(ml_obj_bfs_t *b, size_t n)
{
	b->seen = calloc(n + 1, sizeof *b->seen);
	b->next = malloc((n + 1) * sizeof *b->next);
	b->queue = malloc((n + 1) * sizeof *b->queue);
	b->epoch = 0;
	if (b->seen && b->next && b->queue)
		return 0;
	ml_obj_bfs_free(b);
	return -1;
}

void ml_obj_bfs_free(ml_obj_bfs_t *b)
{
	free(b->seen);
	free(b->next);
	free(b->queue);
	memset(b, 0, sizeof *b);
}

/* 1 for a module, 2 for a running frame, 0 for anything else: lower wins at equal depth. */
static int root_rank(ml_obj_heap_t *h, uint32_t r, ml_obj_addrset_t *frame_roots)
{
	PyObject *o = h->obj[r];
	if (PyModule_Check(o))
		return 1;
	return frame_roots->count && ml_obj_addrset_has(frame_roots, o) ? 2 : 0;
}

/* path = from, next[from], next[next[from]] ... target */
static int walk_path(const ml_obj_bfs_t *b, uint32_t from, uint32_t target, uint32_t first, ml_obj_chain_t *out)
{
	size_t len = 1 + (first != ML_OBJ_NONE);
	for (uint32_t r = from; r != target; r = b->next[r])
		len++;
	out->path = malloc(len * sizeof *out->path);
	if (!out->path)
		return -1;
	size_t i = 0;
	if (first != ML_OBJ_NONE)
		out->path[i++] = first;
	for (uint32_t r = from;; r = b->next[r]) {
		out->path[i++] = r;
		if (r == target)
			break;
	}
	out->len = len;
	return 0;
}

int ml_obj_chain_find(ml_obj_heap_t *h, ml_obj_bfs_t *b, uint32_t target, ml_obj_addrset_t *frame_roots,
		      size_t max_depth, ml_obj_chain_t *out)
{
	memset(out, 0, sizeof *out);
	uint32_t e = ++b->epoch;
	if (e == 0) { /* stamps wrapped: start again */
		memset(b->seen, 0, (h->n + 1) * sizeof *b->seen);
		e = b->epoch = 1;
	}
	b->seen[target] = e;
	b->next[target] = ML_OBJ_NONE;
	if (root_rank(h, target, frame_roots)) {
		out->kind = root_rank(h, target, frame_roots) == 1 ? ML_OBJ_ROOT_MODULE : ML_OBJ_ROOT_FRAME;
		return walk_path(b, target, target, ML_OBJ_NONE, out);
	}
	size_t head = 0, qn = 0, level_end = 1, depth = 0;
	uint32_t best = ML_OBJ_NONE, cycle_at = ML_OBJ_NONE;
	int best_rank = 0, truncated = 0;
	b->queue[qn++] = target;
	while (head < qn) {
		if (head == level_end) { /* the level is done: stop at the best root found in it */
			if (best != ML_OBJ_NONE)
				break;
			depth++;
			level_end = qn;
			if (max_depth && depth >= max_depth) {
				truncated = 1;
				break;
			}
		}
		uint32_t u = b->queue[head++];
		for (uint32_t i = h->rev_off[u]; i < h->rev_off[u + 1]; i++) {
			uint32_t v = h->rev_src[i] & ~ML_OBJ_SYNTHETIC;
			if (v == target && cycle_at == ML_OBJ_NONE)
				cycle_at = u;
			if (b->seen[v] == e)
				continue;
			b->seen[v] = e;
			b->next[v] = u;
			int rank = root_rank(h, v, frame_roots);
			if (rank) {
				if (best == ML_OBJ_NONE || rank < best_rank) {
					best = v;
					best_rank = rank;
				}
			} else {
				b->queue[qn++] = v;
			}
		}
	}
	if (best != ML_OBJ_NONE) {
		out->kind = best_rank == 1 ? ML_OBJ_ROOT_MODULE : ML_OBJ_ROOT_FRAME;
		return walk_path(b, best, target, ML_OBJ_NONE, out);
	}
	if (truncated) {
		out->kind = ML_OBJ_ROOT_UNKNOWN;
		return walk_path(b, target, target, ML_OBJ_NONE, out);
	}
	/* no root: the whole closure of referrers is in the queue */
	uint32_t held = ML_OBJ_NONE;
	int64_t most = 0;
	for (size_t i = 0; i < qn; i++) {
		int64_t un = ml_obj_heap_unexplained(h, b->queue[i]);
		if (un > most) {
			most = un;
			held = b->queue[i];
		}
	}
	if (held != ML_OBJ_NONE) {
		out->kind = ML_OBJ_ROOT_EXTERNAL;
		return walk_path(b, held, target, ML_OBJ_NONE, out);
	}
	out->kind = ML_OBJ_ROOT_CYCLE;
	if (cycle_at != ML_OBJ_NONE) {
		out->cycle = 1;
		return walk_path(b, cycle_at, target, target, out);
	}
	return walk_path(b, b->queue[qn - 1], target, ML_OBJ_NONE, out);
}

int ml_obj_backrefs(ml_obj_heap_t *h, ml_obj_bfs_t *b, uint32_t target, ml_obj_addrset_t *frame_roots,
		    size_t max_depth, size_t too_many, size_t max_nodes, uint32_t **nodes, size_t *nnodes,
		    uint32_t **edges, size_t *nedges, int *truncated)
{
	size_t ecap = 64, ne = 0, qn = 0, head = 0, level_end = 1, depth = 0;
	uint32_t *ed = malloc(ecap * 2 * sizeof *ed);
	if (!ed)
		return -1;
	uint32_t e = ++b->epoch;
	if (e == 0) {
		memset(b->seen, 0, (h->n + 1) * sizeof *b->seen);
		e = b->epoch = 1;
	}
	*truncated = 0;
	/* the queue doubles as the node list; seen[] holds index + 1 under this epoch through next[] */
	b->seen[target] = e;
	b->next[target] = 0;
	b->queue[qn++] = target;
	while (head < qn) {
		if (head == level_end) {
			if (++depth >= max_depth)
				break;
			level_end = qn;
		}
		uint32_t u = b->queue[head++];
		if (u != target && root_rank(h, u, frame_roots))
			continue;
		size_t drawn = 0;
		for (uint32_t i = h->rev_off[u]; i < h->rev_off[u + 1]; i++) {
			uint32_t v = h->rev_src[i] & ~ML_OBJ_SYNTHETIC;
			if (b->seen[v] != e) {
				if (drawn >= too_many || qn >= max_nodes) {
					*truncated = 1;
					continue;
				}
				b->seen[v] = e;
				b->next[v] = (uint32_t)qn;
				b->queue[qn++] = v;
			}
			drawn++;
			if (ne == ecap) {
				uint32_t *more = realloc(ed, ecap * 4 * sizeof *ed);
				if (!more) {
					free(ed);
					return -1;
				}
				ed = more;
				ecap *= 2;
			}
			ed[2 * ne] = b->next[v];
			ed[2 * ne + 1] = b->next[u];
			ne++;
		}
	}
	if (head < qn)
		for (size_t i = head; i < qn && !*truncated; i++)
			if (h->rev_off[b->queue[i] + 1] > h->rev_off[b->queue[i]] && !root_rank(h, b->queue[i], frame_roots))
				*truncated = 1;
	*nodes = malloc((qn + 1) * sizeof **nodes);
	if (!*nodes) {
		free(ed);
		return -1;
	}
	memcpy(*nodes, b->queue, qn * sizeof **nodes);
	*nnodes = qn;
	*edges = ed;
	*nedges = ne;
	return 0;
}
