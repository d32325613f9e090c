/* test_stackstats.c — the O(1) peak breakdown equals a brute-force copy taken at every new peak, and
 * the encoded STACKS/PEAK records replay to the same state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/capfmt.h"
#include "core/varint.h"
#include "tracker/stackstats.h"

enum { STACKS = 50 };

typedef struct {
	uint64_t live[STACKS], at_peak[STACKS], written_peak[STACKS], written_live[STACKS];
	uint64_t heap, peak;
} model_t;

/* Applies STACKS and PEAK records of one encoded flush to the model's "written" arrays. */
static void replay(model_t *m, const ml_buf_t *b)
{
	const uint8_t *p = b->data, *end = b->data + b->len;
	while (p < end) {
		uint8_t type = *p++;
		uint64_t len = 0, v = 0, count = 0, id = 0;
		p += ml_varint_get(p, end, &len);
		const uint8_t *q = p, *rend = p + len;
		if (type == ML_REC_PEAK) {
			for (int i = 0; i < 3; i++)
				q += ml_varint_get(q, rend, &v);
		}
		q += ml_varint_get(q, rend, &count);
		for (uint64_t i = 0; i < count; i++) {
			q += ml_varint_get(q, rend, &v);
			id += v;
			uint64_t bytes = 0, blocks = 0;
			q += ml_varint_get(q, rend, &bytes);
			q += ml_varint_get(q, rend, &blocks);
			if (type == ML_REC_STACKS) {
				m->written_live[id] = bytes;
				q += ml_varint_get(q, rend, &v);
				q += ml_varint_get(q, rend, &v);
			} else {
				m->written_peak[id] = bytes;
			}
		}
		assert_ptr_equal(q, rend);
		p = rend;
	}
}

static void test_peak_breakdown_matches_brute_force(void **state)
{
	(void)state;
	ml_stats_t st;
	assert_int_equal(ml_stats_init(&st), 0);
	model_t m;
	memset(&m, 0, sizeof m);
	uint64_t blocks[STACKS][64];
	int nblocks[STACKS] = {0};
	srand(7);
	for (int step = 0; step < 200000; step++) {
		uint32_t s = (uint32_t)(rand() % STACKS);
		assert_int_equal(ml_stats_reserve(&st, s), 0);
		if (nblocks[s] < 64 && (rand() % 100 < 52 || !nblocks[s])) {
			uint64_t size = 1 + (uint64_t)(rand() % 4096);
			blocks[s][nblocks[s]++] = size;
			int r = ml_stats_alloc(&st, s, size);
			m.live[s] += size;
			m.heap += size;
			assert_int_equal(r, m.heap > m.peak);
			if (m.heap > m.peak) {
				m.peak = m.heap;
				memcpy(m.at_peak, m.live, sizeof m.live);
			}
		} else if (nblocks[s]) {
			uint64_t size = blocks[s][--nblocks[s]];
			ml_stats_free_block(&st, s, size);
			m.live[s] -= size;
			m.heap -= size;
		}
		if (step % 997 == 0) { /* a flush */
			ml_buf_t b = {0};
			ml_stats_encode(&st, &b);
			replay(&m, &b);
			ml_buf_free(&b);
			for (int i = 0; i < STACKS; i++) {
				uint64_t bytes, nb;
				ml_stats_at_peak(&st, (uint32_t)i, &bytes, &nb);
				assert_true(bytes == m.at_peak[i]);
				assert_true(m.written_peak[i] == m.at_peak[i]); /* the capture has the exact breakdown */
				assert_true(m.written_live[i] == m.live[i]);
			}
		}
	}
	assert_true(st.peak_bytes == m.peak);
	assert_true(st.heap_bytes == m.heap);
	ml_stats_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peak_breakdown_matches_brute_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
