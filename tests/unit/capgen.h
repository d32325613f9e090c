/* capgen.h — builds .mlens captures in memory for the tests, record by record (docs/FORMAT.md), and
 * the "standard" capture whose every number the tests know.
 *
 * A capgen_t accumulates a file in `out`; cg_flush() closes the current flush with the right CRC and
 * remembers where each FLUSH record and its crc sit so that tests can aim mutations at them. Ids in
 * cg_stacks()/cg_peak() are absolute: the generator writes the differences the format wants.
 */
#ifndef ML_TEST_CAPGEN_H
#define ML_TEST_CAPGEN_H

#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/capfmt.h"
#include "core/crc32.h"

#define CG_MAX_FLUSHES 16

typedef struct {
	ml_buf_t out;
	ml_buf_t rec;        /* payload of the record being built */
	size_t flush_start;  /* offset where the current flush began */
	size_t n_flushes;
	size_t flush_rec[CG_MAX_FLUSHES]; /* offset of each FLUSH record */
	size_t flush_end[CG_MAX_FLUSHES]; /* offset just past it */
} capgen_t;

static inline void cg_init_version(capgen_t *g, uint32_t version)
{
	memset(g, 0, sizeof *g);
	ml_buf_put(&g->out, ML_CAP_MAGIC, ML_CAP_MAGIC_LEN);
	ml_buf_put_u32le(&g->out, version);
	g->flush_start = g->out.len;
}

static inline void cg_init(capgen_t *g) { cg_init_version(g, ML_CAP_VERSION); }

static inline void cg_free(capgen_t *g)
{
	ml_buf_free(&g->out);
	ml_buf_free(&g->rec);
}

/* Appends the record built in g->rec. */
static inline void cg_emit(capgen_t *g, uint8_t type)
{
	ml_buf_put_record(&g->out, type, g->rec.data, g->rec.len);
	ml_buf_clear(&g->rec);
}

static inline void cg_raw(capgen_t *g, uint8_t type, const void *payload, size_t n)
{
	ml_buf_put_record(&g->out, type, payload, n);
}

static inline void cg_meta(capgen_t *g, const char *key, const char *value, size_t value_len)
{
	ml_buf_put_varint(&g->rec, 1);
	ml_buf_put_str(&g->rec, key, strlen(key));
	ml_buf_put_str(&g->rec, value, value_len);
	cg_emit(g, ML_REC_META);
}

static inline void cg_string(capgen_t *g, const char *s) { cg_raw(g, ML_REC_STRING, s, strlen(s)); }

static inline void cg_node(capgen_t *g, uint64_t parent, uint64_t function, uint64_t file, uint64_t line)
{
	ml_buf_put_varint(&g->rec, parent);
	ml_buf_put_varint(&g->rec, function);
	ml_buf_put_varint(&g->rec, file);
	ml_buf_put_varint(&g->rec, line);
	cg_emit(g, ML_REC_NODE);
}

static inline void cg_tick(capgen_t *g, uint64_t t, uint64_t heap, uint64_t blocks, uint64_t peak, uint64_t allocated,
			   uint64_t rss, uint64_t rss_file)
{
	uint64_t v[7] = {t, heap, blocks, peak, allocated, rss, rss_file};
	for (int i = 0; i < 7; i++)
		ml_buf_put_varint(&g->rec, v[i]);
	cg_emit(g, ML_REC_TICK);
}

/* e[i] = {stack, live_bytes, live_blocks, alloc_bytes, alloc_blocks}, stacks increasing. */
static inline void cg_stacks(capgen_t *g, size_t count, const uint64_t (*e)[5])
{
	uint64_t prev = 0;
	ml_buf_put_varint(&g->rec, count);
	for (size_t i = 0; i < count; i++) {
		ml_buf_put_varint(&g->rec, e[i][0] - prev);
		prev = e[i][0];
		for (int k = 1; k < 5; k++)
			ml_buf_put_varint(&g->rec, e[i][k]);
	}
	cg_emit(g, ML_REC_STACKS);
}

/* e[i] = {stack, bytes, blocks}, stacks increasing. */
static inline void cg_peak(capgen_t *g, uint64_t t, uint64_t bytes, uint64_t blocks, size_t count, const uint64_t (*e)[3])
{
	uint64_t prev = 0;
	ml_buf_put_varint(&g->rec, t);
	ml_buf_put_varint(&g->rec, bytes);
	ml_buf_put_varint(&g->rec, blocks);
	ml_buf_put_varint(&g->rec, count);
	for (size_t i = 0; i < count; i++) {
		ml_buf_put_varint(&g->rec, e[i][0] - prev);
		prev = e[i][0];
		ml_buf_put_varint(&g->rec, e[i][1]);
		ml_buf_put_varint(&g->rec, e[i][2]);
	}
	cg_emit(g, ML_REC_PEAK);
}

static inline void cg_end(capgen_t *g, uint64_t t, uint64_t flags)
{
	ml_buf_put_varint(&g->rec, t);
	ml_buf_put_varint(&g->rec, flags);
	cg_emit(g, ML_REC_END);
}

static inline void cg_note(capgen_t *g, uint64_t level, const char *text)
{
	ml_buf_put_varint(&g->rec, level);
	ml_buf_put_str(&g->rec, text, strlen(text));
	cg_emit(g, ML_REC_NOTE);
}

static inline void cg_mark(capgen_t *g, uint64_t t, uint64_t heap, const char *label)
{
	ml_buf_put_varint(&g->rec, t);
	ml_buf_put_varint(&g->rec, heap);
	ml_buf_put_str(&g->rec, label, strlen(label));
	cg_emit(g, ML_REC_MARK);
}

/* Closes the flush with the CRC of everything since the previous one (or the header). */
static inline void cg_flush(capgen_t *g, uint64_t t)
{
	uint32_t crc = ml_crc32(0, g->out.data + g->flush_start, g->out.len - g->flush_start);
	if (g->n_flushes < CG_MAX_FLUSHES)
		g->flush_rec[g->n_flushes] = g->out.len;
	ml_buf_put_varint(&g->rec, t);
	ml_buf_put_u32le(&g->rec, crc);
	cg_emit(g, ML_REC_FLUSH);
	if (g->n_flushes < CG_MAX_FLUSHES)
		g->flush_end[g->n_flushes] = g->out.len;
	g->n_flushes++;
	g->flush_start = g->out.len;
}

/* ---- The standard capture ----
 *
 * strings 1 main, 2 app.py, 3 build, 4 lib/util.py, 5 helper, 6 <module>
 * nodes   1 <module> app.py:50 (root)  2 main app.py:40 (1)  3 build app.py:12 (2)
 *         4 helper lib/util.py:7 (2)   5 build app.py:12 (1)   [flush 2]
 * flush 1 (t 1 s): META, ticks at 0.5 s, STACKS {0: 1000/10 5000/50, 3: 10 MiB/1 10 MiB/1},
 *         PEAK 1.5 s {0: 1000/10, 3: 10 MiB/1} = 10486760/11
 * flush 2 (t 3 s): STACKS {3: 0/0 20 MiB/2, 4: 4096/4 8192/8, 5: 2048/2 2048/2},
 *         PEAK 2.5 s {3: 20 MiB/2, 5: 2048/2} + stack 0 kept = 20974568/14, TICK at 2 s, NOTE
 * flush 3 (t 3.3 s): END 3.2 s flags 0 (only with complete)
 */
#define CG_MIB 1048576ull
#define CG_ARGV "python3\0app.py\0--rows\0" "1000"
#define CG_PYVER "3.11.2 (main, Mar 13 2023) [GCC 12.2.0]"

static inline void cg_standard_flush1(capgen_t *g)
{
	static const uint64_t st[][5] = {{0, 1000, 10, 5000, 50}, {3, 10 * CG_MIB, 1, 10 * CG_MIB, 1}};
	static const uint64_t pk[][3] = {{0, 1000, 10}, {3, 10 * CG_MIB, 1}};
	cg_meta(g, "argv", CG_ARGV, sizeof CG_ARGV - 1);
	cg_meta(g, "python_version", CG_PYVER, strlen(CG_PYVER));
	cg_meta(g, "mode", "exact", 5);
	const char *strings[] = {"main", "app.py", "build", "lib/util.py", "helper", "<module>"};
	for (size_t i = 0; i < 6; i++)
		cg_string(g, strings[i]);
	cg_node(g, 0, 6, 2, 50);
	cg_node(g, 1, 1, 2, 40);
	cg_node(g, 2, 3, 2, 12);
	cg_tick(g, 500000000, 1000, 10, 1000, 5000, 30 * CG_MIB, 10 * CG_MIB);
	cg_stacks(g, 2, st);
	cg_peak(g, 1500000000, 10 * CG_MIB + 1000, 11, 2, pk);
	cg_flush(g, 1000000000);
}

static inline void cg_standard_flush2(capgen_t *g)
{
	static const uint64_t st[][5] = {{3, 0, 0, 20 * CG_MIB, 2}, {4, 4096, 4, 8192, 8}, {5, 2048, 2, 2048, 2}};
	static const uint64_t pk[][3] = {{3, 20 * CG_MIB, 2}, {5, 2048, 2}};
	cg_node(g, 2, 5, 4, 7);
	cg_node(g, 1, 3, 2, 12);
	cg_tick(g, 2000000000, 7144, 16, 20 * CG_MIB + 3048, 20 * CG_MIB + 15240, 50 * CG_MIB, 12 * CG_MIB);
	cg_stacks(g, 3, st);
	cg_peak(g, 2500000000, 20 * CG_MIB + 3048, 14, 2, pk);
	cg_note(g, ML_NOTE_WARNING, "stack trie full: deeper frames were cut");
	cg_flush(g, 3000000000);
}

static inline void cg_standard_flush3(capgen_t *g)
{
	cg_end(g, 3200000000, 0);
	cg_flush(g, 3300000000);
}

static inline void cg_standard(capgen_t *g, int complete)
{
	cg_init(g);
	cg_standard_flush1(g);
	cg_standard_flush2(g);
	if (complete)
		cg_standard_flush3(g);
}

#endif
