/* export.h — a capture in the formats other tools read: speedscope JSON, folded stacks (Brendan
 * Gregg's flamegraph.pl, inferno, Pyroscope), the memlens JSON document (stable keys for CI trend
 * tracking; schema in docs/REPORTS.md) and CSV (one row per stack). pprof is report/pprof.h.
 *
 * Exports are exact: every stack with a non-zero counter, nothing merged (their size is bounded by
 * the number of stacks, not by the run length). Renderers append to an ml_buf_t and never print or
 * touch files; failures show in ml_buf_failed(out). Strings from the capture are untrusted: they are
 * escaped for JSON (invalid UTF-8 becomes U+FFFD; '<', '>', '&' are \u-escaped so the JSON can sit
 * inside an HTML <script>), quoted for CSV, and in folded stacks ';' and control characters, which
 * would change the stack's shape, become '?'.
 *
 * Also the JSON string writer and a printf to a buffer, which the HTML page uses too.
 */
#ifndef ML_REPORT_EXPORT_H
#define ML_REPORT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/capture.h"
#include "analysis/views.h"
#include "core/buf.h"

#define ML_EXPORT_JSON_SCHEMA_VERSION 1

typedef enum { ML_EXPORT_SPEEDSCOPE, ML_EXPORT_FOLDED, ML_EXPORT_JSON, ML_EXPORT_CSV, ML_EXPORT_PPROF } ml_export_fmt_t;

/* "speedscope", "folded", "json", "csv", "pprof"; returns 0 or -1. */
int ml_export_parse_format(const char *s, ml_export_fmt_t *out);

/* Three profiles: alive at the peak, alive at the end (leaks), allocated over the run. */
void ml_export_speedscope(ml_buf_t *out, const ml_capture_t *cap, const char *name);

/* One line per stack with a non-zero value: "outer;...;inner bytes", frames as "function (file:line)". */
void ml_export_folded(ml_buf_t *out, const ml_capture_t *cap, ml_view_at_t at);

/* The memlens JSON document (schema "memlens-report", version ML_EXPORT_JSON_SCHEMA_VERSION). */
void ml_export_json(ml_buf_t *out, const ml_capture_t *cap, const ml_view_summary_t *s);

/* Header row, then one row per stack with any non-zero counter (columns in docs/REPORTS.md). */
void ml_export_csv(ml_buf_t *out, const ml_capture_t *cap);

/* ---- Shared writers ---- */

/* s as a quoted JSON string, safe inside HTML <script> (see above). */
void ml_export_json_str(ml_buf_t *out, const char *s, size_t len);

void ml_export_printf(ml_buf_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
