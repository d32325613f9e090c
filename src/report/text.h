/* text.h — the terminal renderings of the summary, top and leaks reports.
 *
 * Renderers append to an ml_buf_t and never print: src/cli writes the buffer out. They read a loaded
 * capture and views computed from it. Strings from the capture are untrusted: control characters
 * are shown as '?' so that a file name can never break a line or move the cursor; long file names
 * are cut from the left. Allocation failures show in ml_buf_failed(out).
 */
#ifndef ML_REPORT_TEXT_H
#define ML_REPORT_TEXT_H

#include "analysis/capture.h"
#include "analysis/views.h"
#include "core/buf.h"

/* The capture's state for the top of every report: nothing for a complete capture, otherwise one
 * "note: ..." line (incomplete, or tracing stopped early); then, if warnings, the warning NOTEs. */
void ml_rep_text_status(ml_buf_t *out, const ml_capture_t *cap, int warnings);

/* "file:line in function", or "[no Python frame]" for stack 0. */
void ml_rep_text_frame(ml_buf_t *out, const ml_capture_t *cap, uint32_t node);

void ml_rep_text_summary(ml_buf_t *out, const ml_capture_t *cap, const ml_view_summary_t *s);

/* A top view as a table; for ML_VIEW_BY_STACK, each row is followed by its stack. */
void ml_rep_text_top(ml_buf_t *out, const ml_capture_t *cap, const ml_view_top_t *top, ml_view_by_t by,
		     ml_view_at_t at);

/* The leaks (from ml_view_leaks): one group per stack, its size, then its frames innermost first. */
void ml_rep_text_leaks(ml_buf_t *out, const ml_capture_t *cap, const ml_view_top_t *leaks);

#endif
