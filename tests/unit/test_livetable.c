/* test_livetable.c — the live table against a brute-force model, on pymalloc-like and odd addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tracker/livetable.h"

static void test_put_take_replace(void **state)
{
	(void)state;
	ml_live_t t;
	assert_int_equal(ml_live_init(&t), 0);
	uint64_t size;
	uint32_t stack;
	assert_int_equal(ml_live_put(&t, 0x7f0000010010u, 48, 7, &size, &stack), 0);
	assert_int_equal(ml_live_put(&t, 0x7f0000010040u, 100, 8, &size, &stack), 0);
	assert_int_equal(t.count, 2);
	/* same address again: the old value comes back (a free the tracker did not see) */
	assert_int_equal(ml_live_put(&t, 0x7f0000010010u, 64, 9, &size, &stack), 1);
	assert_int_equal(size, 48);
	assert_int_equal(stack, 7);
	assert_int_equal(t.count, 2);
	assert_int_equal(ml_live_take(&t, 0x7f0000010010u, &size, &stack), 1);
	assert_int_equal(size, 64);
	assert_int_equal(stack, 9);
	assert_int_equal(ml_live_take(&t, 0x7f0000010010u, &size, &stack), 0);
	assert_int_equal(ml_live_take(&t, 0x7f0000099990u, &size, &stack), 0); /* never there */
	assert_int_equal(t.count, 1);
	ml_live_free(&t);
}

static void test_odd_blocks_go_to_the_big_map(void **state)
{
	(void)state;
	ml_live_t t;
	assert_int_equal(ml_live_init(&t), 0);
	uint64_t size;
	uint32_t stack;
	uint64_t huge = UINT64_C(3) << 30; /* 3 GiB: more than a leaf entry holds */
	assert_int_equal(ml_live_put(&t, 0x7f0000020000u, huge, 1, &size, &stack), 0);
	assert_int_equal(ml_live_put(&t, 0x7f0000020008u, 24, 2, &size, &stack), 0); /* 8-byte aligned */
	assert_int_equal(t.big.count, 2);
	assert_int_equal(ml_live_take(&t, 0x7f0000020000u, &size, &stack), 1);
	assert_true(size == huge);
	assert_int_equal(stack, 1);
	/* an address moves between levels when its size changes class */
	assert_int_equal(ml_live_put(&t, 0x7f0000020000u, 32, 3, &size, &stack), 0);
	assert_int_equal(ml_live_put(&t, 0x7f0000020000u, huge, 4, &size, &stack), 1);
	assert_int_equal(size, 32);
	assert_int_equal(t.count, 2); /* the 8-byte aligned block and this one */
	ml_live_free(&t);
}

/* Random operations on clustered addresses, checked against a direct array model. */
static void test_against_model(void **state)
{
	(void)state;
	enum { N = 200000, OPS = 2000000 };
	uint64_t *model = calloc(N, sizeof *model); /* 0 = absent, else size << 24 | stack */
	uintptr_t *addr = malloc(N * sizeof *addr);
	assert_non_null(model);
	assert_non_null(addr);
	srand(42);
	for (size_t i = 0; i < N; i++) /* 40 arenas of 5,000 blocks of 48 bytes, scattered */
		addr[i] = (uintptr_t)0x7f0000000000u + ((uintptr_t)(i / 5000) << 24) + (i % 5000) * 48 + 16;
	ml_live_t t;
	assert_int_equal(ml_live_init(&t), 0);
	size_t live = 0;
	for (size_t k = 0; k < OPS; k++) {
		size_t i = (size_t)rand() % N;
		uint64_t size;
		uint32_t stack;
		if (rand() % 3) {
			uint64_t s = 1 + (uint64_t)(rand() % 5000);
			uint32_t st = (uint32_t)(rand() % 1000);
			int r = ml_live_put(&t, addr[i], s, st, &size, &stack);
			assert_int_equal(r, model[i] != 0);
			if (model[i]) {
				assert_true(size == model[i] >> 24);
				assert_int_equal(stack, (uint32_t)(model[i] & 0xffffff));
			} else {
				live++;
			}
			model[i] = s << 24 | st;
		} else {
			int r = ml_live_take(&t, addr[i], &size, &stack);
			assert_int_equal(r, model[i] != 0);
			if (r) {
				assert_true(size == model[i] >> 24);
				model[i] = 0;
				live--;
			}
		}
		assert_int_equal(t.count, live);
	}
	/* dense and full: under 24 bytes per live block */
	assert_true((double)ml_live_max_bytes(&t) / (double)live < 24.0);
	for (size_t i = 0; i < N; i++) {
		uint64_t size;
		uint32_t stack;
		assert_int_equal(ml_live_take(&t, addr[i], &size, &stack), model[i] != 0);
	}
	assert_int_equal(t.count, 0);
	ml_live_free(&t);
	free(model);
	free(addr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_take_replace),
		cmocka_unit_test(test_odd_blocks_go_to_the_big_map),
		cmocka_unit_test(test_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
