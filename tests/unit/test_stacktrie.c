/* test_stacktrie.c — interning: raw nodes by (parent, code, offset), emitted nodes deduplicated by
 * (parent, function, file, line), strings once, and the encoded records in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/capfmt.h"
#include "core/varint.h"
#include "tracker/stacktrie.h"

static void test_interning(void **state)
{
	(void)state;
	ml_trie_t t;
	assert_int_equal(ml_trie_init(&t), 0);
	uint32_t a = ml_trie_string(&t, "main.py", 7), b = ml_trie_string(&t, "f", 1);
	assert_int_equal(ml_trie_string(&t, "main.py", 7), a);
	assert_int_not_equal(a, b);
	uint32_t n1 = ml_trie_node(&t, 0, b, a, 10), n2 = ml_trie_node(&t, n1, b, a, 11);
	assert_int_equal(ml_trie_node(&t, 0, b, a, 10), n1);
	assert_int_not_equal(n1, n2);
	/* two offsets on one line: two raw nodes, one emitted node */
	int code1, code2;
	uint32_t r1 = ml_trie_raw_add(&t, 0, &code1, 20, n1), r2 = ml_trie_raw_add(&t, 0, &code1, 22, n1);
	assert_int_equal(ml_trie_raw_find(&t, 0, &code1, 20), r1);
	assert_int_equal(ml_trie_raw_find(&t, 0, &code1, 22), r2);
	assert_int_equal(ml_trie_raw_find(&t, 0, &code2, 20), 0);
	assert_int_equal(ml_trie_raw_find(&t, r1, &code1, 20), 0);
	assert_int_equal(ml_trie_raw_emitted(&t, r2), n1);
	uint32_t f = ml_trie_func_add(&t, &code1, b, a);
	assert_int_equal(ml_trie_func_find(&t, &code1), f);
	assert_int_equal(ml_trie_func_find(&t, &code2), 0);

	ml_buf_t out = {0};
	ml_trie_encode_new(&t, &out);
	/* STRING "main.py", STRING "f", NODE(0,b,a,10), NODE(n1,b,a,11) */
	const uint8_t want[] = {ML_REC_STRING, 7, 'm', 'a', 'i', 'n', '.', 'p', 'y', ML_REC_STRING, 1, 'f',
				ML_REC_NODE, 4, 0, 2, 1, 10, ML_REC_NODE, 4, 1, 2, 1, 11};
	assert_int_equal(out.len, sizeof want);
	assert_memory_equal(out.data, want, sizeof want);
	ml_buf_clear(&out);
	ml_trie_encode_new(&t, &out); /* nothing new */
	assert_int_equal(out.len, 0);
	ml_buf_free(&out);
	ml_trie_free(&t);
}

static void test_many_nodes_grow_the_indexes(void **state)
{
	(void)state;
	ml_trie_t t;
	assert_int_equal(ml_trie_init(&t), 0);
	static int codes[1000];
	uint32_t parent = 0;
	for (int i = 0; i < 100000; i++) {
		uint32_t node = ml_trie_node(&t, parent, 1, 1, (uint32_t)i);
		assert_int_equal(node, (uint32_t)i + 1);
		uint32_t raw = ml_trie_raw_add(&t, 0, &codes[i % 1000], (uint32_t)i, node);
		assert_int_equal(raw, (uint32_t)i + 1);
		parent = i % 7 ? node : 0;
	}
	for (int i = 0; i < 100000; i++)
		assert_int_equal(ml_trie_raw_find(&t, 0, &codes[i % 1000], (uint32_t)i), (uint32_t)i + 1);
	ml_trie_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interning),
		cmocka_unit_test(test_many_nodes_grow_the_indexes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
