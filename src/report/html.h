/* html.h — the self-contained HTML pages: the full report (summary, memory over time, flame graphs at
 * the peak / at exit / over the run, top sites with their source lines, leaks), a flame-graph-only
 * page, and the diff page (per-site changes and a differential flame graph).
 *
 * One file, nothing fetched (the page's Content-Security-Policy forbids it), the JS and CSS from
 * src/report/assets (compiled in through html_assets.h). The data goes in as JSON escaped by
 * ml_export_json_str, so no string from a capture can close the <script> or inject markup; the page
 * only ever sets text, never HTML.
 *
 * Bounded size: timelines are reduced to at most ML_HTML_TIMELINE_POINTS points (each keeps the
 * highest heap and RSS of its interval, so no peak is flattened), tables are top-N, strings are cut at
 * ML_HTML_STR_MAX bytes, and flame graphs merge small frames; if the page would still be larger than
 * opts->max_bytes, the flame graphs are rebuilt with half as many frames until it fits. Renderers
 * append to an ml_buf_t; the source-line lookup is the caller's callback, so this module does no I/O.
 */
#ifndef ML_REPORT_HTML_H
#define ML_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/capture.h"
#include "analysis/diff.h"
#include "analysis/views.h"
#include "core/buf.h"

#define ML_HTML_MAX_BYTES (2u << 20)
#define ML_HTML_TIMELINE_POINTS 1500
#define ML_HTML_STR_MAX 400
#define ML_HTML_ROWS 30

/* Writes the text of `line` of `file` (no newline) into buf and returns buf, or NULL if unknown. */
typedef const char *(*ml_html_source_fn)(void *ctx, const ml_cap_str_t *file, uint64_t line, char *buf, size_t len);

typedef struct {
	const char *title;       /* e.g. the capture's file name; shown as the page's heading */
	ml_html_source_fn source; /* may be NULL */
	void *source_ctx;
	size_t max_bytes;        /* 0: ML_HTML_MAX_BYTES */
} ml_html_opts_t;

/* Each returns 0, -1 when out of memory, or -2 when even the smallest page is above max_bytes. */
int ml_html_report(ml_buf_t *out, const ml_capture_t *cap, const ml_html_opts_t *o);

/* Only the flame graph at `at` (and the summary cards). */
int ml_html_flamegraph(ml_buf_t *out, const ml_capture_t *cap, ml_view_at_t at, const ml_html_opts_t *o);

/* Before/after: totals, the per-site table from d, and differential flame graphs at the peak and at
 * exit. */
int ml_html_diff(ml_buf_t *out, const ml_capture_t *before, const ml_capture_t *after, const ml_diff_t *d,
		 const ml_html_opts_t *o);

#endif
