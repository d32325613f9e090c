/* views.h — what the reports show, computed from a loaded capture: the summary figures, top-N
 * aggregations of stacks by line / function / file / whole stack, and the leaks at exit.
 *
 * Pure functions of an ml_capture_t: no I/O, no formatting (that is src/report). Results refer to the
 * capture by ids, so they are valid only while the capture is. Sums of the capture's u64 counters
 * saturate at UINT64_MAX instead of wrapping.
 *
 * Cost: a view is O(S log S) in the number of stacks S with a non-zero value (a stack id is its
 * innermost node, so no stack is walked); it allocates O(S) while it runs.
 */
#ifndef ML_ANALYSIS_VIEWS_H
#define ML_ANALYSIS_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/capture.h"

/* How stacks are grouped. Stack 0 ("[no Python frame]") is always a group of its own. */
typedef enum {
	ML_VIEW_BY_LINE,     /* innermost frame's file and line */
	ML_VIEW_BY_FUNCTION, /* innermost frame's file and function */
	ML_VIEW_BY_FILE,     /* innermost frame's file */
	ML_VIEW_BY_STACK     /* the whole stack */
} ml_view_by_t;

/* Which counters are summed. */
typedef enum {
	ML_VIEW_AT_PEAK,  /* alive at the peak of the traced heap */
	ML_VIEW_AT_END,   /* alive after the last flush: at exit for a complete capture */
	ML_VIEW_AT_TOTAL  /* allocated over the whole run */
} ml_view_at_t;

typedef struct {
	uint32_t stack;    /* a stack of the group (the largest); its innermost node names the group */
	uint64_t bytes, blocks;
	size_t n_stacks;   /* stacks merged into this group */
} ml_view_row_t;

typedef struct {
	ml_view_row_t *rows; /* largest bytes first (then blocks, then stack id) */
	size_t n_rows;       /* min(n, n_groups) */
	size_t n_groups;     /* groups with non-zero bytes or blocks */
	uint64_t total_bytes, total_blocks; /* over all groups, not only the rows kept */
} ml_view_top_t;

/* Top n groups (n = 0: all). Returns 0, or -1 when out of memory. Free with ml_view_top_free. */
int ml_view_top(const ml_capture_t *cap, ml_view_by_t by, ml_view_at_t at, size_t n, ml_view_top_t *out);
void ml_view_top_free(ml_view_top_t *top);

/* The leaks: stacks with memory still alive after the last flush, largest first, one row per stack
 * (walk the stack with ml_capture_node). Same as ml_view_top(BY_STACK, AT_END). */
int ml_view_leaks(const ml_capture_t *cap, size_t n, ml_view_top_t *out);

/* Share of part in whole, in percent (0 when whole is 0). */
double ml_view_share(uint64_t part, uint64_t whole);

#define ML_VIEW_SUMMARY_SITES 5

typedef struct {
	uint64_t duration_ns;
	uint64_t alloc_bytes, alloc_blocks; /* sum over stacks of alloc_* */
	int has_peak;
	uint64_t peak_bytes, peak_blocks, peak_t;
	int has_rss;                        /* at least one TICK */
	uint64_t rss_peak, rss_peak_t;      /* highest TICK.rss and its time */
	uint64_t end_bytes, end_blocks;     /* sum over stacks of live_* */
	ml_view_top_t peak_sites;           /* top ML_VIEW_SUMMARY_SITES lines at the peak */
	ml_view_top_t end_sites;            /* top ML_VIEW_SUMMARY_SITES lines alive at the end */
} ml_view_summary_t;

/* Returns 0, or -1 when out of memory. Free with ml_view_summary_free. */
int ml_view_summary(const ml_capture_t *cap, ml_view_summary_t *out);
void ml_view_summary_free(ml_view_summary_t *s);

/* Parses "line", "function", "file", "stack" / "peak", "end", "total"; returns 0 or -1. */
int ml_view_parse_by(const char *s, ml_view_by_t *out);
int ml_view_parse_at(const char *s, ml_view_at_t *out);
const char *ml_view_by_name(ml_view_by_t by);
const char *ml_view_at_name(ml_view_at_t at);

#endif
