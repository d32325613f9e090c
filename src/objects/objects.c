/* objects.c — the object-graph layer's face in the _memlens module. Argument checking and turning C
 * results into Python objects; the work is in heap.c (walk, index), census.c, chains.c, garbage.c,
 * gcwatch.c and arenas.c. python/memlens/objects.py, gcstats.py and leaks.py are the public API.
 *
 *   obj_query(*, census, select, targets, chains, backrefs, garbage, ignore, ignored_refs, frames, ...)
 *       one walk of the heap, answering every question asked: see obj_query's docstring
 *   obj_gc_watch(meter=None) / obj_gc_unwatch() / obj_gc_stats()      gcwatch.c
 *   obj_arenas_watch() / obj_arenas_stats() / obj_pymalloc_text()     arenas.c
 *
 * A query keeps the gc disabled from the walk until its last borrowed pointer is used, runs no Python
 * code in between, and returns only strong references: when it returns, the heap is as it found it
 * (plus the result), and it holds nothing.
 */
#define PY_SSIZE_T_CLEAN /* before Python.h, which objects.h includes */
#include "objects/objects.h"

#include <stdlib.h>
#include <string.h>

#include "objects/arenas.h"
#include "objects/chains.h"
#include "objects/garbage.h"
#include "objects/gcwatch.h"
#include "objects/heap.h"
#include "objects/reach.h"

/* ---- arguments ---- */

/* A sequence's items as a borrowed array; the PySequence_Fast result is kept in *keep. */
static int as_array(PyObject *seq, const char *what, PyObject **keep, PyObject *const **items, size_t *n)
{
	*keep = NULL;
	*items = NULL;
	*n = 0;
	if (!seq || seq == Py_None)
		return 0;
	if (!(*keep = PySequence_Fast(seq, what)))
		return -1;
	*items = PySequence_Fast_ITEMS(*keep);
	*n = (size_t)PySequence_Fast_GET_SIZE(*keep);
	return 0;
}

typedef struct {
	int census, chains, garbage, untracked, explain;
	PyObject *select; /* a type's name, or a tuple of types */
	PyObject *targets, *ignore, *ignored_refs, *frames;
	Py_ssize_t max_depth, backrefs_depth, too_many, max_nodes, garbage_limit;
} query_args_t;

/* Everything a query holds until it returns. */
typedef struct {
	ml_obj_heap_t heap;
	ml_obj_census_t census;
	ml_obj_addrset_t frame_roots;
	ml_obj_bfs_t bfs;
	ml_obj_frame_locals_t *frames;
	size_t nframes;
	PyObject *keep[4];         /* sequence copies of targets, ignore, ignored_refs, frames */
	PyObject *frame_keep;      /* list of the frames' locals sequences */
	PyObject *const *targets, *const *ignore, *const *ignored_refs;
	size_t ntargets, nignore, nignored_refs;
	PyObject **ign;            /* ignore + the query's own containers */
	size_t nign;
} query_t;

static void query_free(query_t *q)
{
	ml_obj_heap_free(&q->heap);
	ml_obj_census_free(&q->census);
	ml_obj_addrset_free(&q->frame_roots);
	ml_obj_bfs_free(&q->bfs);
	free(q->frames);
	free(q->ign);
	for (int i = 0; i < 4; i++)
		Py_XDECREF(q->keep[i]);
	Py_XDECREF(q->frame_keep);
}

/* frames: [(frame, locals or None), ...]: the running frames, roots of the chains; their locals are
 * given on 3.11+, where a running frame's object does not traverse them. */
static int prepare(query_t *q, const query_args_t *a)
{
	PyObject *const *fr;
	size_t nfr;
	if (as_array(a->targets, "targets must be a sequence", &q->keep[0], &q->targets, &q->ntargets) < 0 ||
	    as_array(a->ignore, "ignore must be a sequence", &q->keep[1], &q->ignore, &q->nignore) < 0 ||
	    as_array(a->ignored_refs, "ignored_refs must be a sequence", &q->keep[2], &q->ignored_refs,
		     &q->nignored_refs) < 0 ||
	    as_array(a->frames, "frames must be a sequence", &q->keep[3], &fr, &nfr) < 0)
		return -1;
	if (!(q->frame_keep = PyList_New(0)))
		return -1;
	q->frames = calloc(nfr + 1, sizeof *q->frames);
	/* the query's own containers are ignored too: the sequences, the frames' tuples and locals */
	q->ign = calloc(q->nignore + 3 * nfr + 9, sizeof *q->ign);
	if (!q->frames || !q->ign) {
		PyErr_NoMemory();
		return -1;
	}
	for (size_t i = 0; i < q->nignore; i++)
		q->ign[q->nign++] = q->ignore[i];
	PyObject *own[] = {a->targets, a->ignore, a->ignored_refs, a->frames, q->keep[0], q->keep[1], q->keep[2], q->keep[3]};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		if (own[i] && own[i] != Py_None)
			q->ign[q->nign++] = own[i];
	for (size_t i = 0; i < nfr; i++) {
		PyObject *t = fr[i], *frame, *locals = Py_None, *seq;
		if (!PyTuple_Check(t) || !PyArg_ParseTuple(t, "O|O", &frame, &locals)) {
			if (!PyErr_Occurred())
				PyErr_SetString(PyExc_TypeError, "frames must hold (frame, locals) tuples");
			return -1;
		}
		q->ign[q->nign++] = t;
		if (ml_obj_addrset_add(&q->frame_roots, frame) < 0) {
			PyErr_NoMemory();
			return -1;
		}
		if (locals == Py_None) { /* a frame object that traverses its own locals (before 3.11) */
			q->frames[q->nframes++] = (ml_obj_frame_locals_t){frame, NULL, 0};
			continue;
		}
		if (!(seq = PySequence_Fast(locals, "a frame's locals must be a sequence")))
			return -1;
		int rc = PyList_Append(q->frame_keep, seq);
		Py_DECREF(seq);
		if (rc < 0)
			return -1;
		q->ign[q->nign++] = locals;
		q->ign[q->nign++] = seq;
		q->frames[q->nframes++] = (ml_obj_frame_locals_t){frame, PySequence_Fast_ITEMS(seq),
								  (size_t)PySequence_Fast_GET_SIZE(seq)};
	}
	q->ign[q->nign++] = q->frame_keep;
	return 0;
}

/* ---- results ---- */

static const char *const root_names[] = {
	[ML_OBJ_ROOT_MODULE] = "module", [ML_OBJ_ROOT_FRAME] = "frame", [ML_OBJ_ROOT_EXTERNAL] = "external",
	[ML_OBJ_ROOT_CYCLE] = "cycle",   [ML_OBJ_ROOT_UNKNOWN] = "unknown",
};

/* A chain found, with each node's reference counts read before any result object exists (the
 * result lists add references of their own, which a later chain would see as unexplained). */
typedef struct {
	ml_obj_root_t kind;
	int cycle;
	PyObject **objs; /* root ... target; NULL: no chain (yet) */
	size_t len;
	Py_ssize_t *refcnt;
	uint32_t *expl; /* NULL: not counted (a chain found forward, reach.h) */
} found_t;

static void found_free(found_t *found, size_t n)
{
	for (size_t i = 0; found && i < n; i++) {
		free(found[i].objs);
		free(found[i].refcnt);
		free(found[i].expl);
	}
	free(found);
}

/* Program's references: the count minus those held by the query's own (ignored) objects. */
static Py_ssize_t program_refs(const ml_obj_heap_t *h, uint32_t r)
{
	return Py_REFCNT(h->obj[r]) - (Py_ssize_t)h->ignored_refs[r];
}

/* out[0..2] = [objects], [their program references], [references the walk explained, or None], for
 * objs[0..len): the counts from refcnt/expl when given (expl NULL: None), else read now from the
 * index, before the objects list adds its own references. 0, or -1 with an exception (out cleared). */
static int node_lists(const ml_obj_heap_t *h, PyObject *const *objs, size_t len, const Py_ssize_t *refcnt,
		      const uint32_t *expl, PyObject *out[3])
{
	for (int k = 0; k < 3; k++)
		out[k] = PyList_New((Py_ssize_t)len);
	if (!out[0] || !out[1] || !out[2])
		goto fail;
	for (size_t i = 0; i < len; i++) {
		uint32_t r = refcnt ? ML_OBJ_NONE : ml_obj_heap_rank((ml_obj_heap_t *)h, objs[i]);
		PyObject *rc = PyLong_FromSsize_t(refcnt ? refcnt[i] : program_refs(h, r));
		PyObject *ex = refcnt && !expl ? (Py_INCREF(Py_None), Py_None)
			       : PyLong_FromUnsignedLong(expl ? expl[i] : h->explained[r] - h->ignored_refs[r]);
		if (!rc || !ex) {
			Py_XDECREF(rc);
			Py_XDECREF(ex);
			goto fail;
		}
		PyList_SET_ITEM(out[1], (Py_ssize_t)i, rc);
		PyList_SET_ITEM(out[2], (Py_ssize_t)i, ex);
	}
	for (size_t i = 0; i < len; i++) {
		Py_INCREF(objs[i]);
		PyList_SET_ITEM(out[0], (Py_ssize_t)i, objs[i]);
	}
	return 0;
fail:
	for (int k = 0; k < 3; k++)
		Py_CLEAR(out[k]);
	return -1;
}

/* Chains searched forward from the roots (reach.h): no index, and most targets met long before the
 * heap is exhausted. *left: targets not met, left to chains_indexed. 0, or -1 with an exception. */
static int chains_forward(query_t *q, const ml_obj_walk_in_t *in, size_t max_depth, found_t *found, size_t *left)
{
	size_t n = q->ntargets, total = 0;
	ml_obj_reach_chain_t *c = calloc(n + 1, sizeof *c);
	PyObject **all = NULL;
	uint32_t *ign = NULL;
	if (!c || ml_obj_reach(in, q->targets, n, max_depth, c) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		total += c[i].len;
	all = malloc((total + 1) * sizeof *all);
	ign = calloc(total + 1, sizeof *ign);
	if (!all || !ign)
		goto nomem;
	for (size_t i = 0, k = 0; i < n; k += c[i].len, i++)
		if (c[i].len)
			memcpy(all + k, c[i].path, c[i].len * sizeof *all);
	if (ml_obj_reach_ignored_refs(in, all, total, ign) < 0)
		goto nomem;
	*left = 0;
	for (size_t i = 0, k = 0; i < n; k += c[i].len, i++) {
		found_t *f = &found[i];
		if (!c[i].path) {
			(*left)++;
			continue;
		}
		if (!(f->refcnt = malloc(c[i].len * sizeof *f->refcnt)))
			goto nomem;
		for (size_t j = 0; j < c[i].len; j++)
			f->refcnt[j] = Py_REFCNT(c[i].path[j]) - (Py_ssize_t)ign[k + j];
		f->kind = c[i].from_frame ? ML_OBJ_ROOT_FRAME : ML_OBJ_ROOT_MODULE;
		f->objs = c[i].path;
		f->len = c[i].len;
		c[i].path = NULL;
	}
	free(all);
	free(ign);
	free(c);
	return 0;
nomem:
	for (size_t i = 0; c && i < n; i++)
		free(c[i].path);
	free(c);
	free(all);
	free(ign);
	PyErr_NoMemory();
	return -1;
}

/* The chains not found yet, from the walked and indexed heap. 0, or -1 with an exception. */
static int chains_indexed(query_t *q, size_t max_depth, found_t *found)
{
	ml_obj_heap_t *h = &q->heap;
	for (size_t i = 0; i < q->ntargets; i++) {
		uint32_t r = ml_obj_heap_rank(h, q->targets[i]);
		found_t *f = &found[i];
		ml_obj_chain_t c;
		if (f->objs || r == ML_OBJ_NONE) /* found forward, or ignored by the caller: nothing to say */
			continue;
		if (ml_obj_chain_find(h, &q->bfs, r, &q->frame_roots, max_depth, &c) < 0)
			goto nomem;
		f->kind = c.kind;
		f->cycle = c.cycle;
		f->len = c.len;
		f->objs = malloc((c.len + 1) * sizeof *f->objs);
		f->refcnt = malloc((c.len + 1) * sizeof *f->refcnt);
		f->expl = malloc((c.len + 1) * sizeof *f->expl);
		if (!f->objs || !f->refcnt || !f->expl) {
			free(c.path);
			goto nomem;
		}
		for (size_t k = 0; k < c.len; k++) {
			f->objs[k] = h->obj[c.path[k]];
			f->refcnt[k] = program_refs(h, c.path[k]);
			f->expl[k] = h->explained[c.path[k]] - h->ignored_refs[c.path[k]];
		}
		free(c.path);
	}
	return 0;
nomem:
	PyErr_NoMemory();
	return -1;
}

/* [(kind, [objects root → target], [refcounts], [references explained] or [None ...], is_cycle) or
 * None], per target. */
static PyObject *chains_list(const found_t *found, size_t n)
{
	PyObject *list = PyList_New((Py_ssize_t)n);
	for (size_t i = 0; list && i < n; i++) {
		const found_t *f = &found[i];
		PyObject *l[3], *item = Py_None;
		if (!f->objs) {
			Py_INCREF(Py_None);
		} else if (node_lists(NULL, f->objs, f->len, f->refcnt, f->expl, l) < 0 ||
			   !(item = Py_BuildValue("(sNNNO)", root_names[f->kind], l[0], l[1], l[2],
						  f->cycle ? Py_True : Py_False))) {
			Py_CLEAR(list);
			break;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, item);
	}
	return list;
}

/* [(program references, references explained) or None] per target: the counts a forward chain does
 * not carry (chains.h's index). */
static PyObject *explained_list(query_t *q)
{
	ml_obj_heap_t *h = &q->heap;
	PyObject *list = PyList_New((Py_ssize_t)q->ntargets);
	for (size_t i = 0; list && i < q->ntargets; i++) {
		uint32_t r = ml_obj_heap_rank(h, q->targets[i]);
		PyObject *item = r == ML_OBJ_NONE ? (Py_INCREF(Py_None), Py_None)
			: Py_BuildValue("(nI)", program_refs(h, r), h->explained[r] - h->ignored_refs[r]);
		if (!item)
			Py_CLEAR(list);
		else
			PyList_SET_ITEM(list, (Py_ssize_t)i, item);
	}
	return list;
}

/* ([objects, target first], [(referrer index, referent index)], truncated, [refcounts], [explained]) */
static PyObject *backrefs_result(query_t *q, const query_args_t *a)
{
	ml_obj_heap_t *h = &q->heap;
	uint32_t r = q->ntargets ? ml_obj_heap_rank(h, q->targets[0]) : ML_OBJ_NONE;
	if (r == ML_OBJ_NONE)
		Py_RETURN_NONE;
	uint32_t *nodes = NULL, *edges = NULL;
	size_t nn = 0, ne = 0;
	int truncated = 0;
	if (ml_obj_backrefs(h, &q->bfs, r, &q->frame_roots, (size_t)a->backrefs_depth, (size_t)a->too_many,
			    (size_t)a->max_nodes, &nodes, &nn, &edges, &ne, &truncated) < 0)
		return PyErr_NoMemory();
	PyObject *l[3] = {NULL, NULL, NULL}, *elist = PyList_New((Py_ssize_t)ne), *res = NULL;
	PyObject **objs = malloc((nn + 1) * sizeof *objs);
	if (!objs) {
		PyErr_NoMemory();
		goto done;
	}
	for (size_t i = 0; i < nn; i++)
		objs[i] = h->obj[nodes[i]];
	if (!elist || node_lists(h, objs, nn, NULL, NULL, l) < 0)
		goto done;
	for (size_t i = 0; i < ne; i++)
		PyList_SET_ITEM(elist, (Py_ssize_t)i, Py_BuildValue("(II)", edges[2 * i], edges[2 * i + 1]));
	if (!PyErr_Occurred())
		res = Py_BuildValue("(OOOOO)", l[0], elist, truncated ? Py_True : Py_False, l[1], l[2]);
done:
	for (int k = 0; k < 3; k++)
		Py_XDECREF(l[k]);
	Py_XDECREF(elist);
	free(objs);
	free(nodes);
	free(edges);
	return res;
}

/* {"count", "bytes", "types": [(type, count, bytes)], "sample": [objects], "sizes": [bytes]} — sizes
 * of deferred objects (objsize.h) are not known here and count 0; limit bounds the sample. */
static PyObject *garbage_result(query_t *q, Py_ssize_t limit)
{
	ml_obj_heap_t *h = &q->heap;
	uint8_t *dead = NULL;
	int64_t n = ml_obj_garbage(h, &dead);
	if (n < 0)
		return PyErr_NoMemory();
	ml_obj_census_t types = {0};
	PyObject *sample = PyList_New(0), *sizes = PyList_New(0), *tlist = PyList_New(0), *res = NULL;
	uint64_t bytes = 0, stride = limit > 0 && n > limit ? (uint64_t)(n + limit - 1) / (uint64_t)limit : 1, k = 0;
	if (!sample || !sizes || !tlist)
		goto done;
	for (uint32_t r = 0; r < h->n; r++) {
		int sel;
		if (dead[r] && ml_obj_census_add(&types, h->obj[r], 0, &sel) == -2) {
			PyErr_NoMemory();
			goto done;
		}
	}
	ml_obj_census_finish(&types);
	for (uint32_t r = 0; r < h->n; r++) {
		if (!dead[r])
			continue;
		PyObject *o = h->obj[r];
		int64_t size = ml_obj_census_size(&types, o);
		bytes += size > 0 ? (uint64_t)size : 0;
		if (limit > 0 && k++ % stride == 0 && (Py_ssize_t)PyList_GET_SIZE(sample) < limit) {
			PyObject *s = PyLong_FromLongLong(size > 0 ? size : 0);
			if (!s || PyList_Append(sample, o) < 0 || PyList_Append(sizes, s) < 0) {
				Py_XDECREF(s);
				goto done;
			}
			Py_DECREF(s);
		}
	}
	for (size_t i = 0; i < types.cap; i++) {
		const ml_obj_typestat_t *t = &types.slots[i];
		if (!t->type)
			continue;
		PyObject *item = Py_BuildValue("(OKK)", (PyObject *)t->type, t->count, t->bytes);
		if (!item || PyList_Append(tlist, item) < 0) {
			Py_XDECREF(item);
			goto done;
		}
		Py_DECREF(item);
	}
	res = Py_BuildValue("{sLsKsOsOsO}", "count", (long long)n, "bytes", (unsigned long long)bytes, "types", tlist,
			    "sample", sample, "sizes", sizes);
done:
	Py_XDECREF(sample);
	Py_XDECREF(sizes);
	Py_XDECREF(tlist);
	ml_obj_census_free(&types);
	free(dead);
	return res;
}

/* [(type, count, bytes, tracked)]; the deferred objects are returned apart, with strong references,
 * so their sizes can be asked from Python once no borrowed pointer is in use. */
static PyObject *census_result(query_t *q, PyObject **deferred)
{
	PyObject *list = PyList_New(0);
	*deferred = PyList_New(0);
	if (!list || !*deferred)
		goto fail;
	for (size_t i = 0; i < q->census.cap; i++) {
		const ml_obj_typestat_t *t = &q->census.slots[i];
		if (!t->type)
			continue;
		PyObject *item = Py_BuildValue("(OKKK)", (PyObject *)t->type, t->count, t->bytes, t->tracked);
		if (!item || PyList_Append(list, item) < 0) {
			Py_XDECREF(item);
			goto fail;
		}
		Py_DECREF(item);
	}
	for (size_t i = 0; i < q->heap.deferred.n; i++)
		if (PyList_Append(*deferred, q->heap.deferred.v[i]) < 0)
			goto fail;
	return list;
fail:
	Py_XDECREF(list);
	Py_CLEAR(*deferred);
	return NULL;
}

/* Adds the deferred objects' sizes (Python-level __sizeof__, called now) to their census rows. */
static int add_deferred(PyObject *census, PyObject *deferred)
{
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(deferred); i++) {
		PyObject *o = PyList_GET_ITEM(deferred, i);
		int64_t size = ml_obj_size_slow(o);
		if (size <= 0)
			continue;
		for (Py_ssize_t j = 0; j < PyList_GET_SIZE(census); j++) {
			PyObject *row = PyList_GET_ITEM(census, j);
			if (PyTuple_GET_ITEM(row, 0) != (PyObject *)Py_TYPE(o))
				continue;
			PyObject *b = PyLong_FromUnsignedLongLong(PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(row, 2)) +
								  (uint64_t)size);
			if (!b)
				return -1;
			PyObject *nrow = PyTuple_Pack(4, PyTuple_GET_ITEM(row, 0), PyTuple_GET_ITEM(row, 1), b,
						      PyTuple_GET_ITEM(row, 3));
			Py_DECREF(b);
			if (!nrow)
				return -1;
			PyList_SetItem(census, j, nrow);
			break;
		}
	}
	return 0;
}

/* gc.isenabled() / gc.disable() / gc.enable() through the gc module: PyGC_Disable is 3.10+. */
static int gc_call(const char *name)
{
	PyObject *gc = PyImport_ImportModule("gc");
	PyObject *r = gc ? PyObject_CallMethod(gc, name, NULL) : NULL;
	Py_XDECREF(gc);
	if (!r)
		return -1;
	int v = PyObject_IsTrue(r);
	Py_DECREF(r);
	return v;
}

static PyObject *obj_query(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"census", "select", "targets", "chains", "max_depth", "backrefs", "too_many",
				 "max_nodes", "garbage", "garbage_limit", "ignore", "ignored_refs", "frames", "untracked",
				 "explain", NULL};
	query_args_t a = {.too_many = 10, .max_nodes = 500, .garbage_limit = 10000, .untracked = 1};
	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|$pOOpnnnnpnOOOpp:obj_query", kwlist, &a.census, &a.select,
					 &a.targets, &a.chains, &a.max_depth, &a.backrefs_depth, &a.too_many,
					 &a.max_nodes, &a.garbage, &a.garbage_limit, &a.ignore, &a.ignored_refs, &a.frames,
					 &a.untracked, &a.explain))
		return NULL;
	if (a.max_depth < 0 || a.backrefs_depth < 0 || a.too_many < 1 || a.max_nodes < 1) {
		PyErr_SetString(PyExc_ValueError, "max_depth and backrefs must be >= 0, too_many and max_nodes >= 1");
		return NULL;
	}
	if (a.select == Py_None)
		a.select = NULL;
	query_t q = {0};
	PyObject *res = NULL, *census = NULL, *deferred = NULL, *selected = NULL, *chains = NULL,
		 *backrefs = NULL, *garbage = NULL, *explained = NULL;
	found_t *found = NULL;
	size_t nfound = 0;
	int gc_was = gc_call("isenabled");
	if (gc_was < 0 || (gc_was && gc_call("disable") < 0))
		return NULL;
	if (prepare(&q, &a) < 0)
		goto done;
	int want_graph = a.chains || a.backrefs_depth || a.garbage || a.explain;
	q.heap.want_edges = want_graph;
	q.heap.tracked_only = !a.census && !a.select && !a.garbage;
	for (size_t i = 0; i < q.ntargets; i++)
		if (!ml_obj_is_tracked(q.targets[i]))
			q.heap.tracked_only = 0;
	if (a.select && PyUnicode_Check(a.select)) {
		if (!(q.census.select_name = PyUnicode_AsUTF8(a.select)))
			goto done;
	} else if (a.select && PyTuple_Check(a.select)) {
		q.census.select_types = a.select;
	} else if (a.select) {
		PyErr_SetString(PyExc_TypeError, "select must be a type name or a tuple of types");
		goto done;
	}
	q.heap.census = a.census || a.select ? &q.census : NULL;
	q.heap.gc_only = !a.untracked && !want_graph;
	ml_obj_walk_in_t in = {(PyObject *const *)q.ign, q.nign, q.ignored_refs, q.nignored_refs,
			       q.targets,		     q.ntargets, q.frames, q.nframes};
	/* chains to tracked targets are searched forward first; the heap is walked for the rest */
	int walk = 1;
	if (a.chains && !(found = calloc((nfound = q.ntargets) + 1, sizeof *found))) {
		PyErr_NoMemory();
		goto done;
	}
	if (a.chains && q.heap.tracked_only && !a.explain && !a.backrefs_depth && !a.garbage) {
		size_t left = 0;
		if (chains_forward(&q, &in, (size_t)a.max_depth, found, &left) < 0)
			goto done;
		walk = left > 0;
	}
	if (walk && ml_obj_heap_walk(&q.heap, &in) < 0)
		goto done;
	if (walk && want_graph && (ml_obj_heap_index(&q.heap, a.garbage) < 0 || ml_obj_bfs_init(&q.bfs, q.heap.n) < 0)) {
		if (!PyErr_Occurred())
			PyErr_NoMemory();
		goto done;
	}
	/* every borrowed pointer is used here, before any Python code can run */
	if (a.census && !(census = census_result(&q, &deferred)))
		goto done;
	if (a.select) {
		if (!(selected = PyList_New((Py_ssize_t)q.heap.selected.n)))
			goto done;
		for (size_t i = 0; i < q.heap.selected.n; i++) {
			Py_INCREF(q.heap.selected.v[i]);
			PyList_SET_ITEM(selected, (Py_ssize_t)i, q.heap.selected.v[i]);
		}
	}
	if (a.chains && ((walk && chains_indexed(&q, (size_t)a.max_depth, found) < 0) ||
			 !(chains = chains_list(found, q.ntargets))))
		goto done;
	if (a.explain && !(explained = explained_list(&q)))
		goto done;
	if (a.backrefs_depth && !(backrefs = backrefs_result(&q, &a)))
		goto done;
	if (a.garbage && !(garbage = garbage_result(&q, a.garbage_limit)))
		goto done;
	size_t nodes = q.heap.nodes.count, edges = want_graph && q.heap.rev_off ? q.heap.rev_off[q.heap.n] : 0;
	uint64_t walk_ns = q.heap.walk_ns, index_ns = q.heap.index_ns;
	query_free(&q); /* no borrowed pointer from here on */
	memset(&q, 0, sizeof q);
	if (deferred && add_deferred(census, deferred) < 0)
		goto done;
	res = Py_BuildValue("{snsnsKsKsOsOsOsOsOsO}", "nodes", (Py_ssize_t)nodes, "edges", (Py_ssize_t)edges, "walk_ns",
			    (unsigned long long)walk_ns, "index_ns", (unsigned long long)index_ns, "census",
			    census ? census : Py_None, "selected", selected ? selected : Py_None, "chains",
			    chains ? chains : Py_None, "backrefs", backrefs ? backrefs : Py_None, "garbage",
			    garbage ? garbage : Py_None, "explained", explained ? explained : Py_None);
done:
	query_free(&q);
	Py_XDECREF(census);
	Py_XDECREF(deferred);
	Py_XDECREF(selected);
	Py_XDECREF(chains);
	Py_XDECREF(backrefs);
	Py_XDECREF(garbage);
	Py_XDECREF(explained);
	found_free(found, nfound);
	if (gc_was > 0) {
		PyObject *exc_type, *exc, *tb;
		PyErr_Fetch(&exc_type, &exc, &tb);
		if (gc_call("enable") < 0)
			PyErr_Clear();
		PyErr_Restore(exc_type, exc, tb);
	}
	return res;
}

static PyMethodDef methods[] = {
	{"obj_query", (PyCFunction)(void (*)(void))obj_query, METH_VARARGS | METH_KEYWORDS,
	 "obj_query(*, census=False, select=None, targets=None, chains=False, max_depth=0, backrefs=0,\n"
	 "          too_many=10, max_nodes=500, garbage=False, garbage_limit=10000, ignore=None,\n"
	 "          ignored_refs=None, frames=None, untracked=True) -> dict\n\n"
	 "One walk of the heap (gc objects and what they reach). census: [(type, count, bytes, tracked)];\n"
	 "select: objects whose type is named so; chains: per target, (kind, objects root->target, refcounts,\n"
	 "references explained, is_cycle); backrefs=depth: the first target's referrers graph; garbage: what\n"
	 "only cycles keep alive. ignore: the caller's own objects; ignored_refs: objects the caller holds\n"
	 "one reference to each; frames: [(frame, locals or None)], the running frames (roots);\n"
	 "untracked=False: census and select see the gc's objects only (as objgraph), without traversal."},
	{NULL, NULL, 0, NULL},
};

int ml_objects_module_init(PyObject *m)
{
	return PyModule_AddFunctions(m, methods) < 0 || PyModule_AddFunctions(m, ml_gcw_methods) < 0 ||
			       PyModule_AddFunctions(m, ml_arenas_methods) < 0
		       ? -1
		       : 0;
}
