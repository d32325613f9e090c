/* calltree.h — the function profiler's call tree: one node per distinct call path, with the time and
 * memory of the calls made along it.
 *
 * A node is (parent node, function key); node 0 is the root. Everything a report needs is derived
 * from the tree when the report is made: a function's ncalls/tottime/cumtime (summing its nodes,
 * counting cumulative values once under recursion), pstats' caller edges (the parent of each node),
 * and the stacks of a flame graph (the path to each node). So a call pays for one lookup, and on
 * the common path (a frame calling the callee it called last) not even that: the caller's frame
 * caches its last (key, node).
 *
 * Size: 64 bytes per node plus 32 in the map; ML_PROF_TREE_MAX nodes at most (a program with more
 * distinct call paths than that stops being recorded, with a warning, rather than eat the machine).
 * libc allocation only. Owned by the profiler, guarded by the GIL.
 */
#ifndef ML_PROF_CALLTREE_H
#define ML_PROF_CALLTREE_H

#include <stddef.h>
#include <stdint.h>

#include "prof/keymap.h"

#define ML_PROF_TREE_MAX (1u << 22)

typedef struct {
	uint32_t parent;      /* 0: called from the root (no profiled caller) */
	uint32_t func;        /* the owner's index for the function (>= 1) */
	uint64_t calls;       /* calls started on this path (a generator's resumptions are not calls) */
	uint64_t ticks;       /* time inside these calls, callees included (clock ticks) */
	uint64_t child_ticks; /* of which in callees */
	uint64_t alloc;       /* bytes allocated inside, callees included */
	int64_t net;          /* allocated minus freed inside, callees included */
	int64_t peak;         /* the most held at once above the level at entry, over any one call */
	uintptr_t key;        /* the function's key (code object or PyMethodDef address) */
} ml_prof_node_t;

typedef struct {
	ml_prof_node_t *nodes; /* nodes[0] is the root */
	size_t n, cap;
	ml_prof_keymap_t map;  /* (parent, key) -> node */
} ml_prof_tree_t;

/* 0, or -1 out of memory. */
int ml_prof_tree_init(ml_prof_tree_t *t);
void ml_prof_tree_free(ml_prof_tree_t *t);

/* The child of `parent` for `key`, or 0. */
static inline uint32_t ml_prof_tree_find(const ml_prof_tree_t *t, uint32_t parent, uintptr_t key)
{
	return ml_prof_keymap_get(&t->map, parent, key);
}

/* Adds the child of `parent` for `key` (not present) with zeroed counters. Its index, or 0 when out
 * of memory or at ML_PROF_TREE_MAX nodes. */
uint32_t ml_prof_tree_add(ml_prof_tree_t *t, uint32_t parent, uintptr_t key, uint32_t func);

#endif
