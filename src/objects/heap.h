/* heap.h — one walk over every live object the interpreter can show, and the reference graph it
 * yields.
 *
 * The walk starts from the objects the gc tracks (gclist.h) and follows each object's referents through its type's tp_traverse, with an explicit stack
 * (no recursion: a million-long linked list is walked like any other). Referents the gc does not track
 * (str, int, float, tuples and dicts of atoms) are met there and counted once, which objgraph cannot
 * do. Objects that hold references without a tp_traverse are leaves: what they hold shows up as
 * references no referrer explains (chains.h calls that "held from C").
 *
 * Optionally it records every edge; ml_obj_heap_index then numbers the nodes (addrset.h ranks) and
 * builds both directions as compressed arrays: referrers per node (for chains to roots, once per
 * query, not gc.get_referrers per step) and referents per node (for the cyclic-garbage pass), plus,
 * per node, how many of its references the graph explains.
 *
 * Ignored objects are the querying code's own (its frames, its argument lists): they are not nodes,
 * nothing is reached through them, but the references they hold are counted as explained, so a query
 * does not see itself.
 *
 * Everything is borrowed. The caller must hold the GIL and keep the gc disabled from the walk until it
 * is done with the heap, and run no Python code in between (objsize.h defers the sizes that would):
 * then no object can be freed under it. Costs, measured on 3M objects: see docs/LEAKS.md. Memory from
 * libc: ~1.5 KiB per 64 KiB of heap address space for the node set, and with edges ~8 bytes per edge
 * plus ~24 bytes per node while indexed.
 */
#ifndef ML_OBJ_HEAP_H
#define ML_OBJ_HEAP_H

#include <Python.h>

#include <stdint.h>

#include "objects/addrset.h"
#include "objects/census.h"

#define ML_OBJ_SYNTHETIC 0x80000000u /* in rev_src: the edge is a running frame's local */
#define ML_OBJ_NONE UINT32_MAX

typedef struct {
	PyObject *src;
	uint32_t end;       /* the group's edges are dst[previous end .. end) */
	uint32_t synthetic; /* edges given by the caller (a running frame's locals), not by tp_traverse */
} ml_obj_group_t;

typedef struct {
	PyObject **v;
	size_t n, cap;
} ml_obj_ptrs_t;

typedef struct {
	/* set before the walk */
	int want_edges;
	int tracked_only; /* nodes are the gc's objects (and the extras) only: enough for chains to
			     tracked targets, since an object the gc does not track never refers to one
			     it does. Walked in two passes: the nodes first (ranks known), then the
			     edges as rank pairs, counted as they come: no edge to a non-node is kept,
			     no pointer is looked up twice */
	ml_obj_census_t *census; /* NULL: no census */
	int gc_only;             /* count the gc's own objects only, as objgraph does: no traversal */

	/* filled by the walk */
	ml_obj_addrset_t nodes, ignored;
	ml_obj_ptrs_t selected; /* objects of the census's selected types, in walk order */
	ml_obj_ptrs_t deferred; /* objects whose size needs Python code (objsize.h) */
	ml_obj_ptrs_t dst;      /* edge destinations, grouped by source */
	ml_obj_ptrs_t ign_dst;  /* what ignored objects refer to */
	ml_obj_group_t *groups;
	size_t ngroups, groups_cap;
	ml_obj_ptrs_t stack;
	uint64_t walk_ns;

	/* filled by ml_obj_heap_index */
	size_t n;
	PyObject **obj;      /* rank → object */
	uint32_t *rev_off;   /* n + 1 offsets into rev_src */
	uint32_t *rev_src;   /* referrers' ranks, ML_OBJ_SYNTHETIC bit for a frame's local */
	uint32_t *explained; /* references to each node held by the graph (tp_traverse) or by ignored objects */
	uint32_t *ignored_refs; /* of those, the ones held by ignored objects (the query's own) */
	uint32_t *fwd_off;   /* n + 1 offsets into fwd_dst: referents found by tp_traverse (if asked) */
	uint32_t *fwd_dst;
	uint64_t index_ns;
	int indexed; /* the tracked-only walk indexes as it goes: ml_obj_heap_index has nothing to do */
} ml_obj_heap_t;

/* A running frame, and its locals where its object does not traverse them (3.11+). Running frames are
 * not tracked by the gc before 3.11 either: naming them makes them nodes (and roots). */
typedef struct {
	PyObject *frame;
	PyObject *const *locals;
	size_t nlocals;
} ml_obj_frame_locals_t;

typedef struct {
	PyObject *const *ignore; /* the caller's own objects */
	size_t nignore;
	PyObject *const *ignored_refs; /* one reference each, held by the caller (its frames' locals) */
	size_t nignored_refs;
	PyObject *const *extra; /* objects to include even if nothing visible refers to them (targets) */
	size_t nextra;
	const ml_obj_frame_locals_t *frames;
	size_t nframes;
} ml_obj_walk_in_t;

void ml_obj_heap_free(ml_obj_heap_t *h);

/* Walks the heap. 0, or -1 with a Python exception set (out of memory; the heap is then only fit to
 * be freed). */
int ml_obj_heap_walk(ml_obj_heap_t *h, const ml_obj_walk_in_t *in);

/* Numbers the nodes and builds the referrer arrays, and with forward the referent arrays too (needs
 * want_edges). 0, or -1 with an exception set. */
int ml_obj_heap_index(ml_obj_heap_t *h, int forward);

/* The gc's own test: only these objects may be passed to tp_traverse (a static type's type_traverse
 * would read past its struct). */
static inline int ml_obj_traversable(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);
	return PyType_IS_GC(tp) && tp->tp_traverse && (!tp->tp_is_gc || tp->tp_is_gc(o));
}

/* PyObject_GC_IsTracked without the call: the gc's links are the two words right before the object
 * (3.8–3.13, whatever else the pre-header holds before them), and a tracked object's next link is set
 * (_PyObject_GC_IS_TRACKED). */
static inline int ml_obj_is_tracked(PyObject *o)
{
	return ml_obj_traversable(o) && ((const uintptr_t *)(void *)o)[-2] != 0;
}

/* Rank of o, or ML_OBJ_NONE if o is not a node. */
static inline uint32_t ml_obj_heap_rank(ml_obj_heap_t *h, PyObject *o)
{
	return ml_obj_addrset_rank(&h->nodes, o);
}

/* References to node r that nothing the walk saw explains (from C, or the interpreter's stacks). */
static inline int64_t ml_obj_heap_unexplained(const ml_obj_heap_t *h, uint32_t r)
{
	return (int64_t)Py_REFCNT(h->obj[r]) - (int64_t)h->explained[r];
}

#endif
