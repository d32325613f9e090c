/* test_flame.c — flame trees (report/flame.h) on the standard capture of capgen.h: layout order,
 * weights, merging of small frames by share and by node budget, and the bytes kept whole. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capgen.h"
#include "report/flame.h"

static ml_capture_t *load_standard(void)
{
	capgen_t g;
	ml_capture_t *cap;
	char err[256];
	cg_standard(&g, 1);
	assert_int_equal(ml_capture_load(g.out.data, g.out.len, &cap, err, sizeof err), ML_CAP_OK);
	cg_free(&g);
	return cap;
}

static void assert_node(const ml_flame_node_t *n, uint32_t parent, uint32_t depth, const char *fn, uint64_t line,
			uint64_t total, uint32_t n_merged)
{
	assert_int_equal(n->parent, parent);
	assert_int_equal(n->depth, depth);
	if (fn)
		assert_string_equal(n->function->s, fn);
	else
		assert_null(n->function);
	assert_int_equal(n->line, line);
	assert_int_equal(n->total[0], total);
	assert_int_equal(n->weight, total);
	assert_int_equal(n->n_merged, n_merged);
}

static void test_all_frames_at_peak(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard();
	ml_flame_t f;
	assert_int_equal(ml_flame_build(cap, ML_VIEW_AT_PEAK, 0, 1000, &f), 0);
	/* helper (lib/util.py:7) has nothing alive at the peak: not drawn, not merged */
	assert_int_equal(f.n_nodes, 6);
	assert_node(&f.nodes[0], 0, 0, NULL, 0, 20 * CG_MIB + 3048, 0);
	assert_node(&f.nodes[1], 0, 1, "<module>", 50, 20 * CG_MIB + 2048, 0);
	assert_node(&f.nodes[2], 1, 2, "main", 40, 20 * CG_MIB, 0);
	assert_node(&f.nodes[3], 2, 3, "build", 12, 20 * CG_MIB, 0);
	assert_node(&f.nodes[4], 1, 2, "build", 12, 2048, 0);
	assert_node(&f.nodes[5], 0, 1, "[no Python frame]", 0, 1000, 0);
	assert_int_equal(f.nodes[3].blocks[0], 2);
	assert_int_equal(f.n_merged, 0);
	ml_flame_free(&f);
	ml_capture_free(cap);
}

static void test_small_frames_merged_by_share(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard();
	ml_flame_t f;
	assert_int_equal(ml_flame_build(cap, ML_VIEW_AT_PEAK, 0.001, 1000, &f), 0);
	assert_int_equal(f.n_nodes, 6);
	assert_node(&f.nodes[3], 2, 3, "build", 12, 20 * CG_MIB, 0);
	assert_node(&f.nodes[4], 1, 2, NULL, 0, 2048, 1); /* build under <module>, merged */
	assert_node(&f.nodes[5], 0, 1, NULL, 0, 1000, 1); /* [no Python frame], merged */
	assert_int_equal(f.n_merged, 2);
	ml_flame_free(&f);
	ml_capture_free(cap);
}

static void test_node_budget_keeps_bytes(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard();
	ml_flame_t f;
	assert_int_equal(ml_flame_build(cap, ML_VIEW_AT_END, 0, 4, &f), 0);
	/* at the end: helper 4096 under main, build 2048 under <module>, 1000 without frame; budget 2 */
	uint64_t sum_children = 0;
	for (size_t i = 1; i < f.n_nodes; i++)
		if (f.nodes[i].parent == 0)
			sum_children += f.nodes[i].total[0];
	assert_int_equal(f.nodes[0].total[0], 4096 + 2048 + 1000);
	assert_int_equal(sum_children, f.nodes[0].total[0]);
	assert_true(f.n_nodes <= 4);
	ml_flame_free(&f);
	ml_capture_free(cap);
}

static void test_diff_weights_nest(void **state)
{
	(void)state;
	static const ml_cap_str_t a = {"a", 1}, b = {"b", 1};
	/* root -> a (before 10, after 0) ; root -> b (before 0, after 10) */
	ml_flame_in_t in[3] = {{0}, {.parent = 0, .function = &a, .self = {10, 0}}, {.parent = 0, .function = &b, .self = {0, 10}}};
	ml_flame_t f;
	assert_int_equal(ml_flame_prune(in, 3, 0, 100, &f), 0);
	assert_int_equal(f.n_nodes, 3);
	assert_int_equal(f.nodes[0].weight, 20);
	assert_int_equal(f.nodes[0].total[0], 10);
	assert_int_equal(f.nodes[0].total[1], 10);
	assert_string_equal(f.nodes[1].function->s, "a"); /* equal weights: input order */
	ml_flame_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_frames_at_peak),
		cmocka_unit_test(test_small_frames_merged_by_share),
		cmocka_unit_test(test_node_budget_keeps_bytes),
		cmocka_unit_test(test_diff_weights_nest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
