/* test_prof_calltree.c — the profilers' (tag, key) map and the call tree built on it, against a
 * brute-force model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "prof/calltree.h"
#include "prof/keymap.h"

static void test_keymap_model(void **state)
{
	(void)state;
	enum { N = 20000 };
	ml_prof_keymap_t m = {0};
	static uintptr_t keys[N];
	static uint32_t tags[N];
	assert_int_equal(ml_prof_keymap_get(&m, 0, 0x1000), 0); /* empty map: no slots yet */
	srand(7);
	for (uint32_t i = 0; i < N; i++) {
		/* addresses alike in their low bits, as code objects and PyMethodDefs are */
		keys[i] = 0x7f0000000000u + (uintptr_t)(rand() % 4096) * 64;
		tags[i] = (uint32_t)(rand() % 64);
		uint32_t had = ml_prof_keymap_get(&m, tags[i], keys[i]);
		uint32_t want = 0;
		for (uint32_t j = 0; j < i && !want; j++)
			if (keys[j] == keys[i] && tags[j] == tags[i] && ml_prof_keymap_get(&m, tags[j], keys[j]) == j + 1)
				want = j + 1;
		assert_int_equal(had, want);
		if (!had)
			assert_int_equal(ml_prof_keymap_put(&m, tags[i], keys[i], i + 1), 0);
	}
	assert_true(2 * m.used <= m.mask + 1); /* load at most 1/2 */
	for (uint32_t i = 0; i < N; i++) {
		uint32_t v = ml_prof_keymap_get(&m, tags[i], keys[i]);
		assert_true(v >= 1 && keys[v - 1] == keys[i] && tags[v - 1] == tags[i]);
	}
	ml_prof_keymap_free(&m);
	assert_int_equal(ml_prof_keymap_get(&m, 0, 0x1000), 0);
}

static void test_tree_paths(void **state)
{
	(void)state;
	ml_prof_tree_t t;
	assert_int_equal(ml_prof_tree_init(&t), 0);
	assert_int_equal(t.n, 1); /* the root */
	/* main -> f -> f (recursion: a new node per depth), main -> g -> f */
	uint32_t main_ = ml_prof_tree_add(&t, 0, 0xA0, 1);
	uint32_t f1 = ml_prof_tree_add(&t, main_, 0xB0, 2);
	uint32_t f2 = ml_prof_tree_add(&t, f1, 0xB0, 2);
	uint32_t g = ml_prof_tree_add(&t, main_, 0xC0, 3);
	uint32_t gf = ml_prof_tree_add(&t, g, 0xB0, 2);
	assert_true(main_ && f1 && f2 && g && gf);
	assert_int_equal(ml_prof_tree_find(&t, 0, 0xA0), main_);
	assert_int_equal(ml_prof_tree_find(&t, main_, 0xB0), f1);
	assert_int_equal(ml_prof_tree_find(&t, f1, 0xB0), f2);
	assert_int_equal(ml_prof_tree_find(&t, g, 0xB0), gf);
	assert_int_equal(ml_prof_tree_find(&t, f2, 0xB0), 0);
	assert_int_equal(t.nodes[gf].parent, g);
	assert_int_equal(t.nodes[gf].func, 2);
	assert_int_equal(t.nodes[gf].calls, 0);
	/* growth past the first allocation keeps every node findable */
	uint32_t parent = gf;
	for (uintptr_t k = 1; k <= 5000; k++)
		parent = ml_prof_tree_add(&t, parent, 0x1000 + k * 16, 4);
	assert_int_equal(t.n, 5006);
	assert_int_equal(ml_prof_tree_find(&t, main_, 0xC0), g);
	assert_int_equal(t.nodes[parent].parent, parent - 1);
	ml_prof_tree_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keymap_model),
		cmocka_unit_test(test_tree_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
