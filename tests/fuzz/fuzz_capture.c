/* fuzz_capture.c — libFuzzer target for the capture reader: loads the input from memory and, when it
 * loads, runs every view and text renderer on it, so that anything the reader accepts is safe to
 * report on. Seeds: tests/fuzz/seeds/fuzz_capture/ (complete, incomplete and minimal captures). */
#include <stddef.h>
#include <stdint.h>

#include "analysis/capture.h"
#include "analysis/views.h"
#include "core/buf.h"
#include "report/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ml_capture_t *cap;
	char err[256];
	if (ml_capture_load(data, size, &cap, err, sizeof err) != ML_CAP_OK)
		return 0;
	ml_buf_t out = {0};
	ml_view_summary_t s;
	if (ml_view_summary(cap, &s) == 0) {
		ml_rep_text_summary(&out, cap, &s);
		ml_view_summary_free(&s);
	}
	for (int by = ML_VIEW_BY_LINE; by <= ML_VIEW_BY_STACK; by++)
		for (int at = ML_VIEW_AT_PEAK; at <= ML_VIEW_AT_TOTAL; at++) {
			ml_view_top_t top;
			if (ml_view_top(cap, (ml_view_by_t)by, (ml_view_at_t)at, 5, &top) == 0) {
				ml_buf_clear(&out);
				ml_rep_text_top(&out, cap, &top, (ml_view_by_t)by, (ml_view_at_t)at);
				ml_view_top_free(&top);
			}
		}
	ml_view_top_t leaks;
	if (ml_view_leaks(cap, 0, &leaks) == 0) {
		ml_buf_clear(&out);
		ml_rep_text_leaks(&out, cap, &leaks);
		ml_view_top_free(&leaks);
	}
	for (size_t i = 0; i < cap->n_nodes; i++)
		ml_capture_stack_depth(cap, (uint32_t)i);
	ml_buf_free(&out);
	ml_capture_free(cap);
	return 0;
}
