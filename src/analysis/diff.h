/* diff.h — what changed between two captures of the same program ("before" = 0, "after" = 1): per
 * site, memory alive at the peak, at the end and allocated over the run; and the two stack tries
 * merged into one, for a differential flame graph.
 *
 * Captures have their own string ids, so sites and frames are matched by content: a site by file and
 * line (or file and function, for edits that move lines), a frame of the merged trie by its parent,
 * function and file (line numbers move when the code above changes; the function is what a reader
 * compares). Results point into both captures' strings: valid while both are.
 *
 * Pure functions, no I/O. Cost: O(N) expected time with hashing plus a sort of the rows; memory
 * O(N) in the number of nodes of both captures.
 */
#ifndef ML_ANALYSIS_DIFF_H
#define ML_ANALYSIS_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/capture.h"
#include "analysis/views.h"

typedef struct {
	const ml_cap_str_t *file, *function; /* NULL file: "[no Python frame]" */
	uint64_t line;                       /* 0 when grouped by function */
	uint64_t peak[2], end[2], alloc[2];  /* bytes, [0] before, [1] after */
} ml_diff_row_t;

typedef struct {
	ml_diff_row_t *rows; /* largest change first: |peak delta|, then |end delta|, then |alloc delta| */
	size_t n_rows;
	size_t n_changed;    /* the first n_changed rows differ at the peak or at the end; the rest do not */
	uint64_t peak[2], end[2], alloc[2]; /* totals over all sites */
} ml_diff_t;

/* by is ML_VIEW_BY_LINE or ML_VIEW_BY_FUNCTION. Returns 0, or -1 when out of memory. */
int ml_diff_sites(const ml_capture_t *before, const ml_capture_t *after, ml_view_by_t by, ml_diff_t *out);
void ml_diff_free(ml_diff_t *d);

/* A node of the merged trie: node 0 is the root, a parent comes before its children. */
typedef struct {
	uint32_t parent;
	const ml_cap_str_t *function, *file; /* NULL for the root */
	uint64_t line;                       /* as first seen (before, else after) */
	uint64_t self[2], self_blocks[2];
} ml_diff_node_t;

/* The merged trie of both captures' counters at `at`; *nodes freed with free(). Stack 0 of either
 * capture becomes a "[no Python frame]" child of the root. Returns 0, or -1 when out of memory. */
int ml_diff_tree(const ml_capture_t *before, const ml_capture_t *after, ml_view_at_t at, ml_diff_node_t **nodes,
		 size_t *n_nodes);

#endif
