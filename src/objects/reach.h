/* reach.h — chains found forward: a breadth-first search from the roots down, stopped as soon as
 * every target is met.
 *
 * chains.h answers any target at any depth from a referrer index, but building that index costs a
 * walk of every gc object and a record of every reference (~85 ms per million gc objects). Most
 * questions are about an object a few links below a module. Searched forward from the roots, such an
 * object is met after only the objects nearer to a root than it have been expanded, and the first
 * time it is met is through a shortest chain. At worst (a target deeper than most of the heap, or
 * none reachable) the search expands every reachable object once without recording any edge: about
 * the cost of one gc.get_referrers.
 *
 * What a forward search cannot tell: every referrer of a node (chains.h's "explained" counts), and why
 * an object no root reaches is alive (held from C, or a cycle). Targets it does not meet are left to
 * the index.
 *
 * Roots are the modules of sys.modules (the interpreter's module dict), then the running frames the
 * caller names, with their locals where given. A module no longer in sys.modules is an ordinary node,
 * reached through what holds it. At equal depth a module beats a frame, as in chains.h: the modules
 * are expanded first, so whatever a module reaches at some depth is met through a module first.
 *
 * Tracked targets only: an object the gc does not track may be held by a container the gc does not
 * track either, and this search enters only the gc's objects. Same rules as heap.h: the GIL held, the
 * gc disabled, no Python code run, everything borrowed; memory from libc (~12 bytes per object met
 * plus the seen set's bitmaps), freed before return.
 */
#ifndef ML_OBJ_REACH_H
#define ML_OBJ_REACH_H

#include <Python.h>
#include <stddef.h>

#include "objects/heap.h"

typedef struct {
	PyObject **path; /* root ... target, malloc'd; NULL: not met */
	size_t len;
	int from_frame; /* the root is a running frame (else a module) */
} ml_obj_reach_chain_t;

/* Chains for targets[0..ntargets) (tracked objects), each at most max_depth links long (0: any
 * length), into out[0..ntargets) (zeroed first; path NULL for a target not met). Ignored objects are
 * neither entered nor met; in->extra is not used. 0, or -1 when out of memory (no exception set). */
int ml_obj_reach(const ml_obj_walk_in_t *in, PyObject *const *targets, size_t ntargets, size_t max_depth,
		 ml_obj_reach_chain_t *out);

/* counts[i] += the references to objs[i] that the ignored objects hold (through tp_traverse, and one
 * per in->ignored_refs entry): the query's own, to be left out of a reference count. 0, or -1 when out
 * of memory. */
int ml_obj_reach_ignored_refs(const ml_obj_walk_in_t *in, PyObject *const *objs, size_t n, uint32_t *counts);

#endif
