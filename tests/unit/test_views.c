/* test_views.c — the views (analysis/views.h) on the standard capture of capgen.h, whose every number
 * is known, plus the text renderings of those views (report/text.h) compared whole. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/views.h"
#include "capgen.h"
#include "report/text.h"

static ml_capture_t *load_standard(int complete)
{
	capgen_t g;
	ml_capture_t *cap;
	char err[256];
	cg_standard(&g, complete);
	assert_int_equal(ml_capture_load(g.out.data, g.out.len, &cap, err, sizeof err), ML_CAP_OK);
	cg_free(&g);
	return cap;
}

static void assert_row(const ml_view_row_t *r, uint32_t stack, uint64_t bytes, uint64_t blocks, size_t n_stacks)
{
	assert_int_equal(r->stack, stack);
	assert_int_equal(r->bytes, bytes);
	assert_int_equal(r->blocks, blocks);
	assert_int_equal(r->n_stacks, n_stacks);
}

/* ---- Top ---- */

static void test_top_line_peak(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard(1);
	ml_view_top_t top;
	assert_int_equal(ml_view_top(cap, ML_VIEW_BY_LINE, ML_VIEW_AT_PEAK, 20, &top), 0);
	/* stacks 3 and 5 are both app.py:12: merged, represented by the larger (3) */
	assert_int_equal(top.n_groups, 2);
	assert_int_equal(top.n_rows, 2);
	assert_row(&top.rows[0], 3, 20 * CG_MIB + 2048, 4, 2);
	assert_row(&top.rows[1], 0, 1000, 10, 1);
	assert_int_equal(top.total_bytes, cap->peak_bytes);
	assert_int_equal(top.total_blocks, cap->peak_blocks);
	ml_view_top_free(&top);
	ml_capture_free(cap);
}

static void test_top_other_groupings(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard(1);
	ml_view_top_t top;

	assert_int_equal(ml_view_top(cap, ML_VIEW_BY_FILE, ML_VIEW_AT_TOTAL, 0, &top), 0);
	assert_int_equal(top.n_rows, 3);
	assert_row(&top.rows[0], 3, 20 * CG_MIB + 2048, 4, 2);
	assert_row(&top.rows[1], 4, 8192, 8, 1);
	assert_row(&top.rows[2], 0, 5000, 50, 1);
	assert_int_equal(top.total_bytes, 20 * CG_MIB + 15240);
	assert_int_equal(top.total_blocks, 62);
	ml_view_top_free(&top);

	assert_int_equal(ml_view_top(cap, ML_VIEW_BY_FUNCTION, ML_VIEW_AT_END, 2, &top), 0);
	assert_int_equal(top.n_groups, 3);
	assert_int_equal(top.n_rows, 2);
	assert_row(&top.rows[0], 4, 4096, 4, 1);
	assert_row(&top.rows[1], 5, 2048, 2, 1);
	assert_int_equal(top.total_bytes, 7144);
	ml_view_top_free(&top);

	/* by stack: 3 and 5 stay apart */
	assert_int_equal(ml_view_top(cap, ML_VIEW_BY_STACK, ML_VIEW_AT_PEAK, 0, &top), 0);
	assert_int_equal(top.n_groups, 3);
	assert_row(&top.rows[0], 3, 20 * CG_MIB, 2, 1);
	assert_row(&top.rows[1], 5, 2048, 2, 1);
	assert_row(&top.rows[2], 0, 1000, 10, 1);
	ml_view_top_free(&top);
	ml_capture_free(cap);
}

static void test_leaks(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard(1);
	ml_view_top_t leaks;
	assert_int_equal(ml_view_leaks(cap, 0, &leaks), 0);
	assert_int_equal(leaks.n_rows, 3); /* stack 3 freed everything: not a leak */
	assert_row(&leaks.rows[0], 4, 4096, 4, 1);
	assert_row(&leaks.rows[1], 5, 2048, 2, 1);
	assert_row(&leaks.rows[2], 0, 1000, 10, 1);
	assert_int_equal(leaks.total_bytes, 7144);
	assert_int_equal(leaks.total_blocks, 16);
	ml_view_top_free(&leaks);
	ml_capture_free(cap);
}

/* Equal strings under different ids group together; ties order by blocks then stack id; sums saturate. */
static void test_grouping_edges(void **state)
{
	(void)state;
	static const uint64_t st[][5] = {
		{1, 100, 1, UINT64_MAX - 5, 1}, {2, 100, 2, 10, UINT64_MAX}, {3, 100, 2, 1, 1}, {4, 50, 0, 0, 0}};
	capgen_t g;
	ml_capture_t *cap;
	ml_view_top_t top;
	char err[256];
	cg_init(&g);
	cg_string(&g, "f");      /* 1 */
	cg_string(&g, "a.py");   /* 2 */
	cg_string(&g, "a.py");   /* 3: same text, other id */
	cg_string(&g, "b.py");   /* 4 */
	cg_node(&g, 0, 1, 2, 1); /* 1 a.py:1 */
	cg_node(&g, 0, 1, 3, 1); /* 2 a.py:1 again, through string 3 */
	cg_node(&g, 0, 1, 4, 1); /* 3 b.py:1 */
	cg_node(&g, 0, 1, 4, 2); /* 4 b.py:2 */
	cg_stacks(&g, 4, st);
	cg_flush(&g, 1);
	assert_int_equal(ml_capture_load(g.out.data, g.out.len, &cap, err, sizeof err), ML_CAP_OK);

	assert_int_equal(ml_view_top(cap, ML_VIEW_BY_LINE, ML_VIEW_AT_END, 0, &top), 0);
	assert_int_equal(top.n_groups, 3);
	assert_row(&top.rows[0], 1, 200, 3, 2);
	assert_row(&top.rows[1], 3, 100, 2, 1);
	assert_row(&top.rows[2], 4, 50, 0, 1); /* zero blocks but bytes alive: still listed */
	ml_view_top_free(&top);

	assert_int_equal(ml_view_top(cap, ML_VIEW_BY_STACK, ML_VIEW_AT_END, 0, &top), 0);
	assert_row(&top.rows[0], 2, 100, 2, 1); /* same bytes: more blocks, then lower id first */
	assert_row(&top.rows[1], 3, 100, 2, 1);
	assert_row(&top.rows[2], 1, 100, 1, 1);
	ml_view_top_free(&top);

	assert_int_equal(ml_view_top(cap, ML_VIEW_BY_FILE, ML_VIEW_AT_TOTAL, 0, &top), 0);
	assert_row(&top.rows[0], 1, UINT64_MAX, UINT64_MAX, 2);
	assert_row(&top.rows[1], 3, 1, 1, 1);
	assert_int_equal(top.total_bytes, UINT64_MAX);
	ml_view_top_free(&top);

	ml_view_summary_t s;
	assert_int_equal(ml_view_summary(cap, &s), 0);
	assert_int_equal(s.alloc_bytes, UINT64_MAX);
	assert_int_equal(s.alloc_blocks, UINT64_MAX);
	assert_false(s.has_peak);
	assert_false(s.has_rss);
	assert_int_equal(s.peak_sites.n_groups, 0);
	ml_view_summary_free(&s);
	ml_capture_free(cap);
	cg_free(&g);
}

static void test_summary(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard(1);
	ml_view_summary_t s;
	assert_int_equal(ml_view_summary(cap, &s), 0);
	assert_int_equal(s.duration_ns, 3300000000);
	assert_int_equal(s.alloc_bytes, 20 * CG_MIB + 15240);
	assert_int_equal(s.alloc_blocks, 62);
	assert_true(s.has_peak);
	assert_int_equal(s.peak_bytes, 20 * CG_MIB + 3048);
	assert_int_equal(s.peak_blocks, 14);
	assert_int_equal(s.peak_t, 2500000000);
	assert_true(s.has_rss);
	assert_int_equal(s.rss_peak, 50 * CG_MIB);
	assert_int_equal(s.rss_peak_t, 2000000000);
	assert_int_equal(s.end_bytes, 7144);
	assert_int_equal(s.end_blocks, 16);
	assert_int_equal(s.peak_sites.n_rows, 2);
	assert_int_equal(s.end_sites.n_rows, 3);
	assert_int_equal(s.end_sites.rows[0].stack, 4);
	ml_view_summary_free(&s);
	ml_capture_free(cap);
}

static void test_names(void **state)
{
	(void)state;
	ml_view_by_t by;
	ml_view_at_t at;
	assert_int_equal(ml_view_parse_by("function", &by), 0);
	assert_int_equal(by, ML_VIEW_BY_FUNCTION);
	assert_int_equal(ml_view_parse_by("stack", &by), 0);
	assert_int_equal(by, ML_VIEW_BY_STACK);
	assert_int_equal(ml_view_parse_by("lines", &by), -1);
	assert_int_equal(ml_view_parse_at("total", &at), 0);
	assert_int_equal(at, ML_VIEW_AT_TOTAL);
	assert_int_equal(ml_view_parse_at("", &at), -1);
	assert_string_equal(ml_view_by_name(ML_VIEW_BY_FILE), "file");
	assert_string_equal(ml_view_at_name(ML_VIEW_AT_END), "end");
	assert_true(ml_view_share(1, 4) == 25.0);
	assert_true(ml_view_share(1, 0) == 0.0);
}

/* ---- Text renderings ---- */

static void assert_text(ml_buf_t *out, const char *want)
{
	ml_buf_put_u8(out, '\0');
	assert_false(ml_buf_failed(out));
	assert_string_equal((const char *)out->data, want);
	ml_buf_free(out);
}

static void test_text_summary(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard(0);
	ml_view_summary_t s;
	ml_buf_t out = {0};
	assert_int_equal(ml_view_summary(cap, &s), 0);
	ml_rep_text_summary(&out, cap, &s);
	assert_text(&out,
		    "note: capture is incomplete (the program was killed or exited with os._exit); data up to 3.00 s\n"
		    "command    python3 app.py --rows 1000\n"
		    "python     3.11.2 (main, Mar 13 2023) [GCC 12.2.0]\n"
		    "duration   3.00 s (incomplete)\n"
		    "allocated  20.0 MiB in 62 blocks\n"
		    "peak heap  20.0 MiB in 14 blocks, at 2.50 s\n"
		    "             100.0%  20.0 MiB  app.py:12 in build\n"
		    "              <0.1%    1000 B  [no Python frame]\n"
		    "peak RSS   50.0 MiB at 2.00 s\n"
		    "at the end 7.0 KiB in 16 blocks, from 3 lines\n"
		    "             57.3%  4.0 KiB  lib/util.py:7 in helper\n"
		    "             28.7%  2.0 KiB  app.py:12 in build\n"
		    "             14.0%   1000 B  [no Python frame]\n"
		    "notes      warning: stack trie full: deeper frames were cut\n");
	ml_view_summary_free(&s);
	ml_capture_free(cap);
}

static void test_text_top_and_leaks(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard(1);
	ml_view_top_t top;
	ml_buf_t out = {0};

	assert_int_equal(ml_view_top(cap, ML_VIEW_BY_FUNCTION, ML_VIEW_AT_END, 20, &top), 0);
	ml_rep_text_top(&out, cap, &top, ML_VIEW_BY_FUNCTION, ML_VIEW_AT_END);
	assert_text(&out, "warning: stack trie full: deeper frames were cut\n"
			  "top 3 of 3 functions by memory alive at exit: 7.0 KiB in 16 blocks\n"
			  "\n"
			  "share    bytes  blocks  location\n"
			  "57.3%  4.0 KiB       4  helper (lib/util.py)\n"
			  "28.7%  2.0 KiB       2  build (app.py)\n"
			  "14.0%   1000 B      10  [no Python frame]\n");
	ml_view_top_free(&top);

	assert_int_equal(ml_view_leaks(cap, 2, &top), 0);
	ml_rep_text_leaks(&out, cap, &top);
	assert_text(&out, "warning: stack trie full: deeper frames were cut\n"
			  "7.0 KiB alive at exit in 16 blocks, from 3 stacks (the largest 2 shown)\n"
			  "\n"
			  "4.0 KiB in 4 blocks (57.3%)\n"
			  "    lib/util.py:7 in helper\n"
			  "    app.py:40 in main\n"
			  "    app.py:50 in <module>\n"
			  "\n"
			  "2.0 KiB in 2 blocks (28.7%)\n"
			  "    app.py:12 in build\n"
			  "    app.py:50 in <module>\n");
	ml_view_top_free(&top);
	ml_capture_free(cap);
}

/* Untrusted strings cannot break lines; long file names are cut from the left. */
static void test_text_hostile_strings(void **state)
{
	(void)state;
	static const uint64_t st[][5] = {{1, 10, 1, 10, 1}};
	char longname[200];
	capgen_t g;
	ml_capture_t *cap;
	ml_buf_t out = {0};
	char err[256];
	memset(longname, 'd', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	memcpy(longname + sizeof longname - 6, "/x.py", 5);
	cg_init(&g);
	cg_string(&g, "evil\nname\x1b[31m");
	cg_string(&g, longname);
	cg_node(&g, 0, 1, 2, 3);
	cg_stacks(&g, 1, st);
	cg_end(&g, 1, 0);
	cg_flush(&g, 1);
	assert_int_equal(ml_capture_load(g.out.data, g.out.len, &cap, err, sizeof err), ML_CAP_OK);
	ml_rep_text_frame(&out, cap, 1);
	assert_text(&out, "…dddddddddddddddddddddddddddddddddddddddddddddddddddddd/x.py:3 in evil?name?[31m");
	ml_capture_free(cap);
	cg_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_line_peak),
		cmocka_unit_test(test_top_other_groupings),
		cmocka_unit_test(test_leaks),
		cmocka_unit_test(test_grouping_edges),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_text_summary),
		cmocka_unit_test(test_text_top_and_leaks),
		cmocka_unit_test(test_text_hostile_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
