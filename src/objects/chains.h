/* chains.h — what keeps an object alive: the shortest chain of references from a root down to it, and
 * the graph of its referrers a few levels up (objgraph's find_backref_chain and show_backrefs).
 *
 * Most chains are found without this index, searched forward from the roots (reach.h); these answer
 * what that search cannot: targets no root reaches, untracked targets, and the referrer counts.
 *
 * Both run over an indexed heap (heap.h), so a chain costs one breadth-first search over the referrer
 * array — O(nodes + edges) at worst, with no recursion and no gc.get_referrers per step (objgraph's
 * way: one pass over every gc object for each node it expands).
 *
 * Roots are module objects and the running frames the caller names. At equal depth a module beats a
 * frame (a function's frame refers to its module's globals dict too). When no root is reached, the
 * closure of the object's referrers says why it lives:
 *   - some object in it has more references than referrers (refcount > referrers seen): it is held
 *     from C (a C extension's reference, a leaked Py_INCREF, an object without tp_traverse);
 *   - every reference is explained: only a reference cycle keeps it, and the cyclic gc will free it
 *     (unless the gc is off or the cycle is in gc.garbage).
 */
#ifndef ML_OBJ_CHAINS_H
#define ML_OBJ_CHAINS_H

#include <stddef.h>
#include <stdint.h>

#include "objects/heap.h"

typedef enum {
	ML_OBJ_ROOT_MODULE = 1, /* a module object */
	ML_OBJ_ROOT_FRAME,      /* a running frame */
	ML_OBJ_ROOT_EXTERNAL,   /* path[0] has references that no referrer explains: held from C */
	ML_OBJ_ROOT_CYCLE,      /* unreachable: path[0] is in (or held by) a reference cycle */
	ML_OBJ_ROOT_UNKNOWN,    /* max_depth reached before any root */
} ml_obj_root_t;

typedef struct {
	uint32_t *seen;  /* epoch stamps, per node */
	uint32_t *next;  /* per node: the node it refers to, one step closer to the target */
	uint32_t *queue;
	uint32_t epoch;
} ml_obj_bfs_t;

typedef struct {
	ml_obj_root_t kind;
	uint32_t *path; /* ranks: path[0] refers to path[1] ... to the target (path[len-1]); malloc'd */
	size_t len;
	int cycle; /* for ML_OBJ_ROOT_CYCLE: 1 if path[0] is the target itself (the path is the cycle) */
} ml_obj_chain_t;

int ml_obj_bfs_init(ml_obj_bfs_t *b, size_t n); /* 0, or -1 when out of memory */
void ml_obj_bfs_free(ml_obj_bfs_t *b);

/* The chain that keeps `target` alive. frame_roots: the running frames (may be empty). max_depth 0:
 * no limit. 0, or -1 when out of memory. */
int ml_obj_chain_find(ml_obj_heap_t *h, ml_obj_bfs_t *b, uint32_t target, ml_obj_addrset_t *frame_roots,
		      size_t max_depth, ml_obj_chain_t *out);

/* The referrers of `target` up to max_depth levels: at most too_many referrers drawn per node and
 * max_nodes nodes in all; roots are drawn but not expanded. Writes the nodes (target first) and the
 * edges as (referrer index, referent index) pairs into malloc'd arrays. *truncated is set when a
 * limit cut something. 0, or -1 when out of memory. */
int ml_obj_backrefs(ml_obj_heap_t *h, ml_obj_bfs_t *b, uint32_t target, ml_obj_addrset_t *frame_roots,
		    size_t max_depth, size_t too_many, size_t max_nodes, uint32_t **nodes, size_t *nnodes,
		    uint32_t **edges, size_t *nedges, int *truncated);

#endif
