/* test_diff.c — per-site differences and the merged trie (analysis/diff.h): the standard capture of
 * capgen.h against a smaller "after" capture whose strings have other ids, so sites must be matched
 * by content; the diff page (report/html.h) carries the changed sites only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/diff.h"
#include "capgen.h"
#include "report/html.h"

static ml_capture_t *load(capgen_t *g)
{
	ml_capture_t *cap;
	char err[256];
	assert_int_equal(ml_capture_load(g->out.data, g->out.len, &cap, err, sizeof err), ML_CAP_OK);
	cg_free(g);
	return cap;
}

static ml_capture_t *load_standard(void)
{
	capgen_t g;
	cg_standard(&g, 1);
	return load(&g);
}

/* The same program after an optimisation: only main -> build at app.py:12 allocates, 5 MiB at the
 * peak, nothing left at exit. Strings in another order than the standard capture's. */
static ml_capture_t *load_after(void)
{
	static const uint64_t st[][5] = {{3, 0, 0, 10 * CG_MIB, 2}};
	static const uint64_t pk[][3] = {{3, 5 * CG_MIB, 1}};
	capgen_t g;
	cg_init(&g);
	cg_string(&g, "build");    /* 1 */
	cg_string(&g, "app.py");   /* 2 */
	cg_string(&g, "<module>"); /* 3 */
	cg_string(&g, "main");     /* 4 */
	cg_node(&g, 0, 3, 2, 50);
	cg_node(&g, 1, 4, 2, 40);
	cg_node(&g, 2, 1, 2, 12);
	cg_stacks(&g, 1, st);
	cg_peak(&g, 100, 5 * CG_MIB, 1, 1, pk);
	cg_end(&g, 200, 0);
	cg_flush(&g, 300);
	return load(&g);
}

static void assert_row(const ml_diff_row_t *r, const char *file, uint64_t line, uint64_t peak0, uint64_t peak1,
		       uint64_t end0, uint64_t end1)
{
	if (file)
		assert_string_equal(r->file->s, file);
	else
		assert_null(r->file);
	assert_int_equal(r->line, line);
	assert_int_equal(r->peak[0], peak0);
	assert_int_equal(r->peak[1], peak1);
	assert_int_equal(r->end[0], end0);
	assert_int_equal(r->end[1], end1);
}

static void test_sites_by_line(void **state)
{
	(void)state;
	ml_capture_t *a = load_standard(), *b = load_after();
	ml_diff_t d;
	assert_int_equal(ml_diff_sites(a, b, ML_VIEW_BY_LINE, &d), 0);
	assert_int_equal(d.n_rows, 3);
	assert_int_equal(d.n_changed, 3);
	/* app.py:12 gathers both build stacks of the standard capture */
	assert_row(&d.rows[0], "app.py", 12, 20 * CG_MIB + 2048, 5 * CG_MIB, 2048, 0);
	assert_string_equal(d.rows[0].function->s, "build");
	assert_row(&d.rows[1], NULL, 0, 1000, 0, 1000, 0);
	assert_row(&d.rows[2], "lib/util.py", 7, 0, 0, 4096, 0);
	assert_int_equal(d.peak[0], 20 * CG_MIB + 3048);
	assert_int_equal(d.peak[1], 5 * CG_MIB);
	assert_int_equal(d.alloc[1], 10 * CG_MIB);
	ml_diff_free(&d);
	ml_capture_free(a);
	ml_capture_free(b);
}

static void test_same_capture_unchanged(void **state)
{
	(void)state;
	ml_capture_t *a = load_standard(), *b = load_standard();
	ml_diff_t d;
	assert_int_equal(ml_diff_sites(a, b, ML_VIEW_BY_FUNCTION, &d), 0);
	assert_int_equal(d.n_changed, 0);
	assert_int_equal(d.n_rows, 3); /* build (app.py), helper (lib/util.py), no frame */
	assert_int_equal(d.rows[0].peak[0], d.rows[0].peak[1]);
	ml_diff_free(&d);
	ml_capture_free(a);
	ml_capture_free(b);
}

static void test_merged_tree(void **state)
{
	(void)state;
	ml_capture_t *a = load_standard(), *b = load_after();
	ml_diff_node_t *t;
	size_t n;
	assert_int_equal(ml_diff_tree(a, b, ML_VIEW_AT_PEAK, &t, &n), 0);
	/* root, <module>, main, build (under main), helper, build (under <module>), [no Python frame] */
	assert_int_equal(n, 7);
	assert_string_equal(t[3].function->s, "build");
	assert_string_equal(t[t[3].parent].function->s, "main");
	assert_int_equal(t[3].self[0], 20 * CG_MIB);
	assert_int_equal(t[3].self[1], 5 * CG_MIB);
	assert_string_equal(t[6].function->s, "[no Python frame]");
	assert_int_equal(t[6].self[0], 1000);
	assert_int_equal(t[6].self[1], 0);
	free(t);
	ml_capture_free(a);
	ml_capture_free(b);
}

static void test_diff_page(void **state)
{
	(void)state;
	ml_capture_t *a = load_standard(), *b = load_after();
	ml_diff_t d;
	ml_buf_t out = {0};
	ml_html_opts_t o = {.title = "a → b"};
	assert_int_equal(ml_diff_sites(a, b, ML_VIEW_BY_LINE, &d), 0);
	assert_int_equal(ml_html_diff(&out, a, b, &d, &o), 0);
	ml_buf_put_u8(&out, 0);
	const char *s = (const char *)out.data;
	assert_non_null(strstr(s, "\"diff\":{\"peak\":[20974568,5242880],\"end\":[7144,0],\"alloc\":[20986760,10485760],\"rows\":["));
	assert_non_null(strstr(s, "\"unchanged\":0}"));
	ml_buf_free(&out);
	ml_diff_free(&d);
	ml_capture_free(a);
	ml_capture_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sites_by_line),
		cmocka_unit_test(test_same_capture_unchanged),
		cmocka_unit_test(test_merged_tree),
		cmocka_unit_test(test_diff_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
