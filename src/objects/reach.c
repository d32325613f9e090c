/* reach.c — see reach.h. */
#include "objects/reach.h"

#include <stdlib.h>
#include <string.h>

#include "core/hugemem.h"

#define NO_PARENT UINT32_MAX

/* The queue is the search's whole memory of what it met: object i was met through parent[i]. */
typedef struct {
	PyObject **obj;
	uint32_t *parent;
	size_t n, cap;
	uint32_t cur;   /* the queue index being expanded: the parent of whatever is met now */
	PyObject *last; /* the last referent looked at (an instance's type, met once per instance) */
	int blind;      /* cur is a list, dict, tuple or set: its referents join the queue unread */
	ml_obj_addrset_t seen;
	/* the targets, deduplicated and sorted by address, each with the queue index where it was met */
	ml_obj_addrset_t targets;
	PyObject *one; /* the target, when there is one: a compare instead of a set lookup */
	PyObject **tv;
	uint32_t *met_at;
	size_t nt, left;
	int failed;
} reach_t;

/* The queue's arrays grow to millions of entries, freshly mapped by each query: 4 KiB page faults were
 * a tenth of a search (4,000 per query on a heap of 1 M gc objects), hence hugemem.h. */
static int grow(reach_t *r)
{
	size_t cap = r->cap ? 2 * r->cap : 4096;
	if (cap >= NO_PARENT)
		return -1;
	PyObject **obj = ml_huge_grow(r->obj, r->n * sizeof *obj, cap * sizeof *obj);
	if (!obj)
		return -1;
	r->obj = obj;
	uint32_t *parent = ml_huge_grow(r->parent, r->n * sizeof *parent, cap * sizeof *parent);
	if (!parent)
		return -1;
	r->parent = parent;
	r->cap = cap;
	return 0;
}

static inline int enqueue(reach_t *r, PyObject *o, uint32_t parent)
{
	if (r->n == r->cap && grow(r) < 0)
		return -1;
	r->obj[r->n] = o;
	r->parent[r->n] = parent;
	r->n++;
	return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (PyObject *const *)a, y = (uintptr_t) * (PyObject *const *)b;
	return (x > y) - (x < y);
}

/* Index of o among the sorted targets, or nt. */
static size_t target_index(const reach_t *r, PyObject *o)
{
	size_t lo = 0, hi = r->nt;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)r->tv[mid] < (uintptr_t)o)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nt && r->tv[lo] == o ? lo : r->nt;
}

/* Queue entry q, just met: if it is a target, this is its first meeting, through a shortest chain. */
static void met(reach_t *r, size_t q)
{
	PyObject *o = r->obj[q];
	size_t i = target_index(r, o);
	if (i < r->nt && r->met_at[i] == NO_PARENT) {
		r->met_at[i] = (uint32_t)q;
		r->left--;
	}
}

static inline int is_target(reach_t *r, PyObject *o)
{
	return r->one ? o == r->one : ml_obj_addrset_has(&r->targets, o);
}

/* o joins the queue through parent, unless met before. 1 (stop) once every target is met, or when out
 * of memory (failed set). */
static inline int join(reach_t *r, PyObject *o, uint32_t parent)
{
	int added = ml_obj_addrset_add(&r->seen, o);
	if (added == 0)
		return 0;
	if (added < 0 || enqueue(r, o, parent) < 0) {
		r->failed = 1;
		return 1;
	}
	if (is_target(r, o))
		met(r, r->n - 1);
	return r->left == 0;
}

/* A gc-capable referent: it joins the queue if the gc tracks it. */
static __attribute__((noinline)) int meet(reach_t *r, PyObject *o)
{
	r->last = o;
	return ml_obj_is_tracked(o) ? join(r, o, r->cur) : 0;
}

/* tp_traverse's callback, kept small: most referents are str and int, rejected on their type, and an
 * instance's type is met once per instance. A container's items join unread (see the search loop). */
static int visit(PyObject *o, void *arg)
{
	reach_t *r = arg;
	if (o == r->last)
		return 0;
	if (r->blind) {
		r->last = o;
		return join(r, o, r->cur);
	}
	return PyType_IS_GC(Py_TYPE(o)) ? meet(r, o) : 0;
}

/* A root: a module of sys.modules, or a running frame. 0, or -1 when out of memory. */
static int add_root(reach_t *r, PyObject *o)
{
	join(r, o, NO_PARENT);
	return r->failed ? -1 : 0;
}

static int set_targets(reach_t *r, PyObject *const *targets, size_t ntargets)
{
	r->tv = malloc((ntargets + 1) * sizeof *r->tv);
	r->met_at = malloc((ntargets + 1) * sizeof *r->met_at);
	if (!r->tv || !r->met_at)
		return -1;
	memcpy(r->tv, targets, ntargets * sizeof *r->tv);
	qsort(r->tv, ntargets, sizeof *r->tv, cmp_ptr);
	for (size_t i = 0; i < ntargets; i++) {
		if (i && r->tv[i] == r->tv[r->nt - 1])
			continue;
		r->tv[r->nt] = r->tv[i];
		r->met_at[r->nt++] = NO_PARENT;
		if (ml_obj_addrset_add(&r->targets, r->tv[i]) < 0)
			return -1;
	}
	r->left = r->nt;
	r->one = r->nt == 1 ? r->tv[0] : NULL;
	return 0;
}

/* The chain of queue entry q, root first. */
static int chain_of(const reach_t *r, uint32_t q, size_t nmodules, ml_obj_reach_chain_t *out)
{
	size_t len = 0;
	uint32_t root = q;
	for (uint32_t i = q; i != NO_PARENT; i = r->parent[i]) {
		len++;
		root = i;
	}
	if (!(out->path = malloc(len * sizeof *out->path)))
		return -1;
	out->len = len;
	out->from_frame = root >= nmodules;
	for (uint32_t i = q; i != NO_PARENT; i = r->parent[i])
		out->path[--len] = r->obj[i];
	return 0;
}

static void reach_free(reach_t *r)
{
	if (!r)
		return;
	free(r->obj);
	free(r->parent);
	free(r->tv);
	free(r->met_at);
	ml_obj_addrset_free(&r->seen);
	ml_obj_addrset_free(&r->targets);
	free(r);
}

int ml_obj_reach(const ml_obj_walk_in_t *in, PyObject *const *targets, size_t ntargets, size_t max_depth,
		 ml_obj_reach_chain_t *out)
{
	reach_t *r = calloc(1, sizeof *r); /* ~130 KiB of set caches: not on a thread's stack */
	memset(out, 0, ntargets * sizeof *out);
	if (!r)
		return -1;
	if (set_targets(r, targets, ntargets) < 0)
		goto nomem;
	for (size_t i = 0; i < in->nignore; i++)
		if (ml_obj_addrset_add(&r->seen, in->ignore[i]) < 0)
			goto nomem;

	/* level 0: the modules, in import order, then the frames */
	PyObject *modules = PyImport_GetModuleDict(), *key, *value;
	Py_ssize_t pos = 0;
	while (modules && PyDict_Check(modules) && PyDict_Next(modules, &pos, &key, &value))
		if (PyModule_Check(value) && add_root(r, value) < 0)
			goto nomem;
	size_t nmodules = r->n;
	for (size_t f = 0; f < in->nframes; f++)
		if (add_root(r, in->frames[f].frame) < 0)
			goto nomem;
	size_t nroots = r->n;

	size_t head = 0, level_end = r->n, depth = 0;
	while (r->left && head < r->n) {
		if (head == level_end) { /* the level is expanded: what it met is the next level */
			if (max_depth && ++depth >= max_depth)
				break;
			level_end = r->n;
		}
		PyObject *o = r->obj[head];
		r->cur = (uint32_t)head;
		/* a container's items are queued unread (the commonest referents are items; reading each
		 * now and again when it is expanded cost two cache misses instead of one); so whatever is
		 * queued is checked here: the gc tracks it (running frames, roots, before 3.11 it does not) */
		r->blind = PyList_CheckExact(o) || PyDict_CheckExact(o) || PyTuple_CheckExact(o) || PyAnySet_CheckExact(o);
		if (head >= nmodules && head < nroots) { /* a frame's locals, where its object does not show them */
			for (size_t f = 0; f < in->nframes; f++)
				if (in->frames[f].frame == o)
					for (size_t i = 0; i < in->frames[f].nlocals && !visit(in->frames[f].locals[i], r); i++)
						;
		}
		if (!r->failed && r->left && (head < nroots ? ml_obj_traversable(o) : ml_obj_is_tracked(o)))
			Py_TYPE(o)->tp_traverse(o, visit, r);
		head++;
	}
	if (r->failed)
		goto nomem;

	for (size_t i = 0; i < ntargets; i++) {
		size_t t = target_index(r, targets[i]);
		if (t < r->nt && r->met_at[t] != NO_PARENT && chain_of(r, r->met_at[t], nmodules, &out[i]) < 0)
			goto nomem;
	}
	reach_free(r);
	return 0;
nomem:
	reach_free(r);
	for (size_t i = 0; i < ntargets; i++)
		free(out[i].path);
	memset(out, 0, ntargets * sizeof *out);
	return -1;
}

/* ---- the query's own references ---- */

typedef struct {
	ml_obj_addrset_t *set;
	uint32_t *tally; /* per rank */
} tally_t;

static int count_ref(PyObject *o, void *arg)
{
	tally_t *t = arg;
	uint32_t rank = ml_obj_addrset_rank(t->set, o);
	if (rank != UINT32_MAX)
		t->tally[rank]++;
	return 0;
}

int ml_obj_reach_ignored_refs(const ml_obj_walk_in_t *in, PyObject *const *objs, size_t n, uint32_t *counts)
{
	if (!n)
		return 0;
	ml_obj_addrset_t *sets = calloc(2, sizeof *sets); /* the objects, and the ignored ones met */
	tally_t t = {sets, NULL};
	int rc = -1;
	if (!sets)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ml_obj_addrset_add(&sets[0], objs[i]) < 0)
			goto done;
	ml_obj_addrset_freeze(&sets[0]);
	if (!(t.tally = calloc(sets[0].count + 1, sizeof *t.tally)))
		goto done;
	for (size_t i = 0; i < in->nignore; i++) { /* each ignored object once, as heap.c counts them */
		PyObject *o = in->ignore[i];
		int added = ml_obj_addrset_add(&sets[1], o);
		if (added < 0)
			goto done;
		if (added && ml_obj_traversable(o))
			Py_TYPE(o)->tp_traverse(o, count_ref, &t);
	}
	for (size_t i = 0; i < in->nignored_refs; i++)
		count_ref(in->ignored_refs[i], &t);
	for (size_t i = 0; i < n; i++)
		counts[i] += t.tally[ml_obj_addrset_rank(&sets[0], objs[i])];
	rc = 0;
done:
	free(t.tally);
	ml_obj_addrset_free(&sets[0]);
	ml_obj_addrset_free(&sets[1]);
	free(sets);
	return rc;
}
