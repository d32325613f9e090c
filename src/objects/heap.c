/* heap.c — see heap.h. */
#include "objects/heap.h"

#include "objects/gclist.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int push(ml_obj_ptrs_t *a, PyObject *o)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 1024;
		PyObject **v = realloc(a->v, cap * sizeof *v);
		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = o;
	return 0;
}

static void ptrs_free(ml_obj_ptrs_t *a)
{
	free(a->v);
	memset(a, 0, sizeof *a);
}

void ml_obj_heap_free(ml_obj_heap_t *h)
{
	ml_obj_addrset_free(&h->nodes);
	ml_obj_addrset_free(&h->ignored);
	ptrs_free(&h->selected);
	ptrs_free(&h->deferred);
	ptrs_free(&h->dst);
	ptrs_free(&h->ign_dst);
	ptrs_free(&h->stack);
	free(h->groups);
	free(h->obj);
	free(h->rev_off);
	free(h->rev_src);
	free(h->explained);
	free(h->ignored_refs);
	free(h->fwd_off);
	free(h->fwd_dst);
	h->groups = NULL;
	h->obj = NULL;
	h->rev_off = h->rev_src = h->explained = h->ignored_refs = h->fwd_off = h->fwd_dst = NULL;
	h->n = h->ngroups = h->groups_cap = 0;
}

/* Referents wait in a small ring before they are looked at: their memory is prefetched when they are
 * met and read PENDING visits later, so the cache misses of a walk overlap instead of stalling it. */
#define PENDING 32

typedef struct {
	ml_obj_heap_t *h;
	int failed;
	int uncount_ignored; /* ignored objects are counted with the rest, then taken back */
	unsigned head, n;
	PyObject *pending[PENDING];
} walk_t;

/* A newly met object: count it, keep it if selected or if its size needs Python, and queue it for
 * traversal unless it comes from the gc's list (traversed when the list reaches it). */
static int meet(walk_t *w, PyObject *o, int tracked)
{
	ml_obj_heap_t *h = w->h;
	if (h->census) {
		int selected = 0;
		int64_t size = ml_obj_census_add(h->census, o, tracked, &selected);
		if (size == -2 || (size == -1 && push(&h->deferred, o) < 0) || (selected && push(&h->selected, o) < 0))
			return -1;
	}
	return !tracked && ml_obj_traversable(o) ? push(&h->stack, o) : 0;
}

/* A referent, looked at: tracked objects become nodes when the gc's list reaches them; an untracked
 * one is counted the first time it is met (the node set dedups). */
static int settle(walk_t *w, PyObject *o)
{
	ml_obj_heap_t *h = w->h;
	if (ml_obj_is_tracked(o) || ml_obj_addrset_has(&h->nodes, o))
		return 0;
	if (h->ignored.count && ml_obj_addrset_has(&h->ignored, o))
		return 0;
	return ml_obj_addrset_add(&h->nodes, o) < 0 || meet(w, o, 0) < 0 ? -1 : 0;
}

static int flush(walk_t *w)
{
	while (w->n) {
		PyObject *o = w->pending[w->head];
		w->head = (w->head + 1) % PENDING;
		w->n--;
		if (settle(w, o) < 0)
			return -1;
	}
	return 0;
}

/* tp_traverse's callback. The edge is recorded without reading o (edges to objects that turn out not
 * to be nodes are dropped by the index); with tracked_only nothing else is needed. */
static int visit(PyObject *o, void *arg)
{
	walk_t *w = arg;
	ml_obj_heap_t *h = w->h;
	if (h->want_edges && push(&h->dst, o) < 0)
		goto fail;
	if (h->tracked_only)
		return 0;
	__builtin_prefetch((char *)o - 16); /* the gc header, then the object */
	if (w->n == PENDING) {
		PyObject *old = w->pending[w->head];
		w->head = (w->head + 1) % PENDING;
		w->n--;
		if (settle(w, old) < 0)
			goto fail;
	}
	w->pending[(w->head + w->n++) % PENDING] = o;
	return 0;
fail:
	w->failed = 1;
	return 1; /* stops this object's traversal; the walk then fails */
}

static int visit_ignored(PyObject *o, void *arg)
{
	walk_t *w = arg;
	if (push(&w->h->ign_dst, o) < 0) {
		w->failed = 1;
		return 1;
	}
	return 0;
}

static int end_group(ml_obj_heap_t *h, PyObject *src, int synthetic)
{
	if (!h->want_edges)
		return 0;
	size_t start = h->ngroups ? h->groups[h->ngroups - 1].end : 0;
	if (h->dst.n == start)
		return 0;
	if (h->dst.n >= ML_OBJ_SYNTHETIC)
		return -1; /* more edges than the index's 31-bit ranks can hold */
	if (h->ngroups == h->groups_cap) {
		size_t cap = h->groups_cap ? 2 * h->groups_cap : 1024;
		ml_obj_group_t *g = realloc(h->groups, cap * sizeof *g);
		if (!g)
			return -1;
		h->groups = g;
		h->groups_cap = cap;
	}
	h->groups[h->ngroups++] = (ml_obj_group_t){src, (uint32_t)h->dst.n, (uint32_t)synthetic};
	return 0;
}

static int traverse(walk_t *w, PyObject *o)
{
	Py_TYPE(o)->tp_traverse(o, visit, w);
	return w->failed || end_group(w->h, o, 0) < 0 ? -1 : 0;
}

/* Traverses the queued untracked containers and settles the pending referents, until neither is left.
 * With final 0, referents may stay pending (the pipeline carries on into the next object). */
static int drain(walk_t *w, int final)
{
	ml_obj_heap_t *h = w->h;
	for (;;) {
		while (h->stack.n)
			if (traverse(w, h->stack.v[--h->stack.n]) < 0)
				return -1;
		if (!final || !w->n)
			return 0;
		if (flush(w) < 0)
			return -1;
	}
}

/* One object of the gc's list: a node, counted, traversed with what it reaches that the gc does not
 * track. */
static int each_tracked(PyObject *o, void *arg)
{
	walk_t *w = arg;
	ml_obj_heap_t *h = w->h;
	if (h->ignored.count && !w->uncount_ignored && ml_obj_addrset_has(&h->ignored, o))
		return 0;
	if (h->gc_only) {
		if (meet(w, o, 1) < 0)
			goto nomem;
		return 0;
	}
	int added = ml_obj_addrset_add(&h->nodes, o);
	if (added < 0 || (added && meet(w, o, 1) < 0) || traverse(w, o) < 0 || drain(w, 0) < 0)
		goto nomem;
	return 0;
nomem:
	PyErr_SetString(PyExc_MemoryError, "memlens: out of memory walking the heap");
	return -1;
}

/* An object the caller names (a target, a running frame): a node even if nothing visible refers to
 * it. Tracked ones are traversed when the gc's list reaches them. */
static int add_named(walk_t *w, PyObject *o)
{
	if (ml_obj_is_tracked(o))
		return 0;
	int added = ml_obj_addrset_add(&w->h->nodes, o);
	return added < 0 || (added && meet(w, o, 0) < 0) ? -1 : 0;
}

/* Freezes the node set and allocates the per-node arrays (rank -> object, referrer offsets, counts;
 * referent offsets with forward). 0, or -1 with an exception set. */
static int number_nodes(ml_obj_heap_t *h, int forward)
{
	ml_obj_addrset_freeze(&h->nodes);
	size_t n = h->n = h->nodes.count;
	if (n >= ML_OBJ_SYNTHETIC) {
		PyErr_SetString(PyExc_MemoryError, "memlens: more than 2^31 objects");
		return -1;
	}
	h->obj = malloc((n + 1) * sizeof *h->obj);
	h->rev_off = calloc(n + 2, sizeof *h->rev_off);
	h->explained = calloc(n + 1, sizeof *h->explained);
	h->ignored_refs = calloc(n + 1, sizeof *h->ignored_refs);
	if (forward)
		h->fwd_off = calloc(n + 2, sizeof *h->fwd_off);
	if (!h->obj || !h->rev_off || !h->explained || !h->ignored_refs || (forward && !h->fwd_off)) {
		PyErr_SetString(PyExc_MemoryError, "memlens: out of memory indexing the heap");
		return -1;
	}
	ml_obj_addrset_members(&h->nodes, (void **)h->obj);
	return 0;
}

/* ---- the tracked-only walk: nodes first, then the edges as ranks ---- */

typedef struct {
	ml_obj_heap_t *h;
	uint32_t src; /* rank of the object being traversed, ML_OBJ_SYNTHETIC for a frame's locals */
	uint32_t *pairs; /* (src, dst) ranks */
	size_t npairs, cap;
	int failed;
} ranked_t;

/* Pass one: the gc's objects become nodes. */
static int add_tracked(PyObject *o, void *arg)
{
	ml_obj_heap_t *h = ((ranked_t *)arg)->h;
	if (h->ignored.count && ml_obj_addrset_has(&h->ignored, o))
		return 0;
	if (ml_obj_addrset_add(&h->nodes, o) < 0) {
		PyErr_NoMemory();
		return -1;
	}
	return 0;
}

static int visit_ranked(PyObject *o, void *arg)
{
	ranked_t *w = arg;
	ml_obj_heap_t *h = w->h;
	uint32_t r = ml_obj_addrset_rank(&h->nodes, o);
	if (r == ML_OBJ_NONE)
		return 0;
	if (w->npairs == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 1u << 16;
		uint32_t *p = cap < ML_OBJ_SYNTHETIC ? realloc(w->pairs, cap * 2 * sizeof *p) : NULL;
		if (!p) { /* w->pairs is still valid, freed by the caller */
			w->failed = 1;
			return 1;
		}
		w->pairs = p;
		w->cap = cap;
	}
	w->pairs[2 * w->npairs] = w->src;
	w->pairs[2 * w->npairs + 1] = r;
	w->npairs++;
	h->rev_off[r + 2]++;
	if (!(w->src & ML_OBJ_SYNTHETIC))
		h->explained[r]++;
	return 0;
}

static int traverse_ranked(PyObject *o, void *arg)
{
	ranked_t *w = arg;
	uint32_t src = ml_obj_addrset_rank(&w->h->nodes, o);
	if (src == ML_OBJ_NONE || !ml_obj_traversable(o)) /* ignored, or untracked and opaque */
		return 0;
	w->src = src;
	Py_TYPE(o)->tp_traverse(o, visit_ranked, w);
	if (w->failed) {
		PyErr_NoMemory();
		return -1;
	}
	return 0;
}

static int count_ignored_ref(PyObject *o, void *arg)
{
	ml_obj_heap_t *h = arg;
	uint32_t r = ml_obj_addrset_rank(&h->nodes, o);
	if (r != ML_OBJ_NONE) {
		h->explained[r]++;
		h->ignored_refs[r]++;
	}
	return 0;
}

static int walk_ranked(ml_obj_heap_t *h, const ml_obj_walk_in_t *in, const ml_obj_ptrs_t *ignored)
{
	ranked_t w = {.h = h};
	uint64_t t0 = now_ns();
	if (ml_obj_gclist_each(add_tracked, &w) < 0)
		return -1;
	for (size_t i = 0; i < in->nextra; i++)
		if (ml_obj_addrset_add(&h->nodes, in->extra[i]) < 0)
			goto nomem;
	for (size_t f = 0; f < in->nframes; f++) /* running frames: not tracked before 3.11 */
		if (ml_obj_addrset_add(&h->nodes, in->frames[f].frame) < 0)
			goto nomem;
	if (number_nodes(h, 0) < 0)
		goto fail;
	size_t n = h->n;
	if (ml_obj_gclist_each(traverse_ranked, &w) < 0) /* pass two: the edges */
		goto fail;
	for (size_t f = 0; f < in->nframes; f++) {
		const ml_obj_frame_locals_t *fl = &in->frames[f];
		if (!ml_obj_is_tracked(fl->frame) && traverse_ranked(fl->frame, &w) < 0)
			goto fail;
		w.src = ml_obj_addrset_rank(&h->nodes, fl->frame) | ML_OBJ_SYNTHETIC;
		for (size_t i = 0; i < fl->nlocals; i++)
			if (visit_ranked(fl->locals[i], &w))
				goto nomem;
	}
	for (size_t i = 0; i < ignored->n; i++)
		if (ml_obj_traversable(ignored->v[i]))
			Py_TYPE(ignored->v[i])->tp_traverse(ignored->v[i], count_ignored_ref, h);
	for (size_t i = 0; i < in->nignored_refs; i++)
		count_ignored_ref(in->ignored_refs[i], h);
	h->walk_ns = now_ns() - t0;

	t0 = now_ns();
	for (size_t r = 2; r < n + 2; r++)
		h->rev_off[r] += h->rev_off[r - 1];
	if (!(h->rev_src = malloc((w.npairs + 1) * sizeof *h->rev_src)))
		goto nomem;
	for (size_t i = 0; i < w.npairs; i++)
		h->rev_src[h->rev_off[w.pairs[2 * i + 1] + 1]++] = w.pairs[2 * i];
	free(w.pairs);
	h->indexed = 1;
	h->index_ns = now_ns() - t0;
	return 0;
nomem:
	PyErr_SetString(PyExc_MemoryError, "memlens: out of memory walking the heap");
fail:
	free(w.pairs);
	return -1;
}

int ml_obj_heap_walk(ml_obj_heap_t *h, const ml_obj_walk_in_t *in)
{
	walk_t w = {.h = h};
	ml_obj_ptrs_t ignored = {0}; /* each ignored object once */
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < in->nignore; i++) {
		int added = ml_obj_addrset_add(&h->ignored, in->ignore[i]);
		if (added < 0 || (added && push(&ignored, in->ignore[i]) < 0))
			goto nomem;
	}
	if (h->tracked_only && h->want_edges) {
		int rc = walk_ranked(h, in, &ignored);
		ptrs_free(&ignored);
		return rc;
	}
	for (size_t i = 0; i < in->nextra; i++)
		if (add_named(&w, in->extra[i]) < 0)
			goto nomem;
	/* running frames' locals: edges from the frame (itself traversed in the gc's list) */
	for (size_t f = 0; f < in->nframes; f++) {
		const ml_obj_frame_locals_t *fl = &in->frames[f];
		if (add_named(&w, fl->frame) < 0)
			goto nomem;
		for (size_t i = 0; i < fl->nlocals; i++)
			if (visit(fl->locals[i], &w))
				goto nomem;
		if (end_group(h, fl->frame, 1) < 0)
			goto nomem;
	}
	if (drain(&w, 1) < 0)
		goto nomem;
	/* a census of the gc's objects, nothing selected: the query's own few are counted with the rest
	 * and taken back after, instead of looked up in the ignored set for each of millions */
	w.uncount_ignored = h->gc_only && h->census && !h->census->select_name && !h->census->select_types;
	if (ml_obj_gclist_each(each_tracked, &w) < 0) {
		ptrs_free(&ignored);
		return -1;
	}
	for (size_t i = 0; w.uncount_ignored && i < ignored.n; i++)
		if (ml_obj_is_tracked(ignored.v[i]) && ml_obj_census_remove(h->census, ignored.v[i], 1) < 0)
			for (size_t k = 0; k < h->deferred.n; k++) /* its size was to be asked later */
				if (h->deferred.v[k] == ignored.v[i]) {
					h->deferred.v[k] = h->deferred.v[--h->deferred.n];
					break;
				}
	if (drain(&w, 1) < 0)
		goto nomem;
	if (h->want_edges) {
		for (size_t i = 0; i < ignored.n; i++)
			if (ml_obj_traversable(ignored.v[i])) {
				Py_TYPE(ignored.v[i])->tp_traverse(ignored.v[i], visit_ignored, &w);
				if (w.failed)
					goto nomem;
			}
		for (size_t i = 0; i < in->nignored_refs; i++)
			if (push(&h->ign_dst, in->ignored_refs[i]) < 0)
				goto nomem;
	}
	if (h->census)
		ml_obj_census_finish(h->census);
	ptrs_free(&ignored);
	ptrs_free(&h->stack);
	h->walk_ns = now_ns() - t0;
	return 0;
nomem:
	ptrs_free(&ignored);
	PyErr_SetString(PyExc_MemoryError, "memlens: out of memory walking the heap");
	return -1;
}

int ml_obj_heap_index(ml_obj_heap_t *h, int forward)
{
	if (h->indexed)
		return 0;
	uint64_t t0 = now_ns();
	if (number_nodes(h, forward) < 0)
		return -1;
	size_t n = h->n, ne = h->dst.n;

	/* the destinations become ranks in place: rank i is written over the first half of pointer i/2,
	 * already read (no second 4-byte-per-edge array) */
	uint32_t *dst_rank = (uint32_t *)(void *)h->dst.v;
	size_t kept = 0;
	for (size_t i = 0; i < ne; i++) {
		uint32_t r = ml_obj_addrset_rank(&h->nodes, h->dst.v[i]);
		memcpy((char *)h->dst.v + 4 * i, &r, sizeof r); /* memcpy: the bytes change type here */
		if (r != ML_OBJ_NONE) {
			h->rev_off[r + 2]++;
			kept++;
		}
	}
	h->rev_src = malloc((kept + 1) * sizeof *h->rev_src);
	if (forward)
		h->fwd_dst = malloc((kept + 1) * sizeof *h->fwd_dst);
	if (!h->rev_src || (forward && !h->fwd_dst))
		goto nomem;
	uint32_t start = 0;
	for (size_t g = 0; g < h->ngroups; g++) {
		const ml_obj_group_t *gr = &h->groups[g];
		if (!gr->synthetic) {
			uint32_t k = 0;
			for (uint32_t i = start; i < gr->end; i++)
				if (dst_rank[i] != ML_OBJ_NONE) {
					h->explained[dst_rank[i]]++;
					k++;
				}
			if (forward)
				h->fwd_off[ml_obj_addrset_rank(&h->nodes, gr->src) + 2] += k;
		}
		start = gr->end;
	}
	for (size_t i = 0; i < h->ign_dst.n; i++) {
		uint32_t r = ml_obj_addrset_rank(&h->nodes, h->ign_dst.v[i]);
		if (r != ML_OBJ_NONE) {
			h->explained[r]++;
			h->ignored_refs[r]++;
		}
	}
	for (size_t r = 2; r < n + 2; r++) {
		h->rev_off[r] += h->rev_off[r - 1];
		if (forward)
			h->fwd_off[r] += h->fwd_off[r - 1];
	}
	/* offsets shifted by one: filling advances off[r + 1] from the start of r to its end */
	start = 0;
	for (size_t g = 0; g < h->ngroups; g++) {
		const ml_obj_group_t *gr = &h->groups[g];
		uint32_t src = ml_obj_addrset_rank(&h->nodes, gr->src);
		uint32_t tag = gr->synthetic ? ML_OBJ_SYNTHETIC : 0;
		for (uint32_t i = start; i < gr->end; i++) {
			if (dst_rank[i] == ML_OBJ_NONE)
				continue;
			h->rev_src[h->rev_off[dst_rank[i] + 1]++] = src | tag;
			if (forward && !gr->synthetic)
				h->fwd_dst[h->fwd_off[src + 1]++] = dst_rank[i];
		}
		start = gr->end;
	}
	/* the edges as recorded are no longer needed */
	ptrs_free(&h->dst);
	ptrs_free(&h->ign_dst);
	free(h->groups);
	h->groups = NULL;
	h->ngroups = h->groups_cap = 0;
	h->index_ns = now_ns() - t0;
	return 0;
nomem:
	PyErr_SetString(PyExc_MemoryError, "memlens: out of memory indexing the heap");
	return -1;
}
