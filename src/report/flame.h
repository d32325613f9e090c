/* flame.h — the flame tree: a capture's stack trie with a byte count on every frame, pruned to a
 * size a browser draws at once.
 *
 * Input is a generic trie (ml_flame_in_t: each node's parent comes before it, node 0 is the root)
 * with one or two self values per node: one for a capture (ml_flame_build), two for a diff (before,
 * after: ml_diff_tree() of analysis/diff.h). A node's weight is max(self[0], self[1]) plus its children's
 * weights, so widths nest for diffs too. Frames lighter than min_share of the root, or beyond the
 * max_nodes heaviest, are folded into one "merged" node per parent that keeps their sums: the tree
 * never loses bytes, only detail.
 *
 * Output is in pre-order (a parent before its children, heavier children first), so a renderer lays
 * it out in one pass. Strings point into the capture(s), valid while they are. Never does I/O.
 * Cost: O(N log N) time and O(N) memory in the number of trie nodes N.
 */
#ifndef ML_REPORT_FLAME_H
#define ML_REPORT_FLAME_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/capture.h"
#include "analysis/diff.h"
#include "analysis/views.h"

/* A node of the input trie: parent below the node's own index (ignored for node 0), function and
 * file NULL for the root, self[1] and self_blocks[1] zero for a single capture. The merged trie of a
 * diff is one as it is. */
typedef ml_diff_node_t ml_flame_in_t;

typedef struct {
	uint32_t parent, depth;              /* parent is an output index; the root is 0, depth 0 */
	const ml_cap_str_t *function, *file; /* NULL for the root and for merged nodes */
	uint64_t line;
	uint64_t weight;                     /* what the width is proportional to */
	uint64_t total[2], blocks[2];        /* including the node's descendants */
	uint32_t n_merged;                   /* > 0: this node stands for that many small frames */
} ml_flame_node_t;

typedef struct {
	ml_flame_node_t *nodes;
	size_t n_nodes;
	size_t n_merged; /* input frames folded into merged nodes */
} ml_flame_t;

/* Prunes n input nodes into out. Returns 0, or -1 when out of memory. Free with ml_flame_free. */
int ml_flame_prune(const ml_flame_in_t *in, size_t n, double min_share, size_t max_nodes, ml_flame_t *out);

/* The flame tree of a capture at the peak, at the end (the leaks) or over the whole run (bytes
 * allocated). Stack 0 becomes a "[no Python frame]" child of the root. */
int ml_flame_build(const ml_capture_t *cap, ml_view_at_t at, double min_share, size_t max_nodes, ml_flame_t *out);

void ml_flame_free(ml_flame_t *f);

#endif
