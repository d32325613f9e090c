/* test_capture.c — the capture reader (analysis/capture.h) against synthetic captures: exact state of
 * valid ones, and the exact error class and message of every kind of damage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <fcntl.h>

#include "analysis/capture.h"
#include "capgen.h"

static char err[512];

static int load(const capgen_t *g, size_t len, ml_capture_t **cap)
{
	return ml_capture_load(g->out.data, len, cap, err, sizeof err);
}

/* Loads g and expects failure with class code and exactly message msg. */
static void expect_error(const capgen_t *g, int code, const char *msg)
{
	ml_capture_t *cap = (ml_capture_t *)1;
	assert_int_equal(load(g, g->out.len, &cap), code);
	assert_null(cap);
	assert_string_equal(err, msg);
}

/* ---- Valid captures ---- */

static void check_standard(const ml_capture_t *cap)
{
	assert_int_equal(cap->n_strings, 7);
	assert_string_equal(cap->strings[0].s, "");
	assert_string_equal(cap->strings[6].s, "<module>");
	assert_int_equal(cap->strings[4].len, 11);
	assert_int_equal(cap->n_nodes, 6);
	assert_int_equal(cap->nodes[3].parent, 2);
	assert_int_equal(cap->nodes[3].function, 3);
	assert_int_equal(cap->nodes[3].file, 2);
	assert_int_equal(cap->nodes[3].line, 12);
	assert_int_equal(cap->nodes[4].file, 4);
	assert_int_equal(cap->nodes[5].parent, 1);

	/* flush 2 replaced stack 3's counters of flush 1; stack 0 kept its flush-1 values */
	assert_int_equal(cap->stacks[0].live_bytes, 1000);
	assert_int_equal(cap->stacks[0].alloc_blocks, 50);
	assert_int_equal(cap->stacks[3].live_bytes, 0);
	assert_int_equal(cap->stacks[3].live_blocks, 0);
	assert_int_equal(cap->stacks[3].alloc_bytes, 20 * CG_MIB);
	assert_int_equal(cap->stacks[4].live_bytes, 4096);
	assert_int_equal(cap->stacks[4].alloc_bytes, 8192);
	assert_int_equal(cap->stacks[1].alloc_bytes, 0);

	/* peak breakdown: latest value of every stack over both PEAK records */
	assert_true(cap->has_peak);
	assert_int_equal(cap->peak_t, 2500000000);
	assert_int_equal(cap->peak_bytes, 20 * CG_MIB + 3048);
	assert_int_equal(cap->peak_blocks, 14);
	assert_int_equal(cap->stacks[0].peak_bytes, 1000);
	assert_int_equal(cap->stacks[3].peak_bytes, 20 * CG_MIB);
	assert_int_equal(cap->stacks[3].peak_blocks, 2);
	assert_int_equal(cap->stacks[5].peak_bytes, 2048);
	assert_int_equal(cap->stacks[4].peak_bytes, 0);

	assert_int_equal(cap->n_ticks, 2);
	assert_int_equal(cap->ticks[0].t, 500000000);
	assert_int_equal(cap->ticks[1].rss, 50 * CG_MIB);
	assert_int_equal(cap->ticks[1].rss_file, 12 * CG_MIB);
	assert_int_equal(cap->ticks[1].allocated, 20 * CG_MIB + 15240);

	assert_int_equal(cap->n_notes, 1);
	assert_int_equal(cap->notes[0].level, ML_NOTE_WARNING);
	assert_string_equal(cap->notes[0].text.s, "stack trie full: deeper frames were cut");

	const ml_cap_str_t *argv = ml_capture_meta(cap, "argv");
	assert_non_null(argv);
	assert_int_equal(argv->len, sizeof CG_ARGV - 1);
	assert_memory_equal(argv->s, CG_ARGV, sizeof CG_ARGV - 1);
	assert_string_equal(ml_capture_meta(cap, "mode")->s, "exact");
	assert_null(ml_capture_meta(cap, "pid"));
	assert_int_equal(ml_capture_stack_depth(cap, 3), 3);
	assert_int_equal(ml_capture_stack_depth(cap, 5), 2);
	assert_int_equal(ml_capture_stack_depth(cap, 0), 0);
}

static void test_complete(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	cg_standard(&g, 1);
	assert_int_equal(load(&g, g.out.len, &cap), ML_CAP_OK);
	assert_string_equal(err, "");
	check_standard(cap);
	assert_true(cap->complete);
	assert_int_equal(cap->end_t, 3200000000);
	assert_int_equal(cap->end_flags, 0);
	assert_int_equal(cap->n_flushes, 3);
	assert_int_equal(cap->duration_ns, 3300000000);
	assert_int_equal(cap->file_size, g.out.len);
	ml_capture_free(cap);
	cg_free(&g);
}

static void test_incomplete(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	cg_standard(&g, 0);
	assert_int_equal(load(&g, g.out.len, &cap), ML_CAP_OK);
	check_standard(cap);
	assert_false(cap->complete);
	assert_int_equal(cap->n_flushes, 2);
	assert_int_equal(cap->duration_ns, 3000000000);
	ml_capture_free(cap);
	cg_free(&g);
}

static void test_stopped_early_and_optional(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	cg_init(&g);
	cg_raw(&g, 0x81, "whatever", 8);
	cg_standard_flush1(&g);
	cg_raw(&g, 0xff, "", 0);
	cg_end(&g, 7, ML_END_STOPPED_EARLY);
	cg_raw(&g, 0x90, "x", 1);
	cg_flush(&g, 9);
	assert_int_equal(load(&g, g.out.len, &cap), ML_CAP_OK);
	assert_true(cap->complete);
	assert_int_equal(cap->end_flags, ML_END_STOPPED_EARLY);
	assert_int_equal(cap->duration_ns, 1000000000); /* the first FLUSH's t is the latest */
	assert_int_equal(cap->stacks[3].live_bytes, 10 * CG_MIB);
	ml_capture_free(cap);
	cg_free(&g);
}

static void test_open_file(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	char path[] = "/tmp/test_capture_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	cg_standard(&g, 1);
	assert_int_equal(write(fd, g.out.data, g.out.len), (ssize_t)g.out.len);
	close(fd);
	assert_int_equal(ml_capture_open(path, &cap, err, sizeof err), ML_CAP_OK);
	check_standard(cap);
	ml_capture_free(cap);

	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(ml_capture_open(path, &cap, err, sizeof err), ML_CAP_EEMPTY);
	assert_string_equal(err, "empty file");
	unlink(path);
	assert_int_equal(ml_capture_open(path, &cap, err, sizeof err), ML_CAP_EIO);
	assert_string_equal(err, "cannot open: No such file or directory");
	assert_int_equal(ml_capture_open("/tmp", &cap, err, sizeof err), ML_CAP_EIO);
	assert_string_equal(err, "not a regular file");
	cg_free(&g);
}

/* MARK: listed in order; ml_capture_open_at_mark stops after the flush a mark ends, so the counters
 * are the values at the mark; a malformed MARK is refused like any known record. */
static void test_marks(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	char path[] = "/tmp/test_capture_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	cg_init(&g);
	cg_standard_flush1(&g); /* stack 3: 10 MiB alive */
	cg_mark(&g, 1100000000, 10 * CG_MIB + 1000, "loaded");
	cg_flush(&g, 1100000000);
	cg_standard_flush2(&g); /* stack 3: freed */
	cg_mark(&g, 3100000000, 7144, "freed");
	cg_flush(&g, 3100000000);
	cg_standard_flush3(&g);
	assert_int_equal(write(fd, g.out.data, g.out.len), (ssize_t)g.out.len);
	close(fd);

	assert_int_equal(ml_capture_open(path, &cap, err, sizeof err), ML_CAP_OK);
	assert_int_equal(cap->n_marks, 2);
	assert_string_equal(cap->marks[0].label.s, "loaded");
	assert_int_equal(cap->marks[0].t, 1100000000);
	assert_int_equal(cap->marks[0].heap, 10 * CG_MIB + 1000);
	assert_string_equal(cap->marks[1].label.s, "freed");
	assert_true(cap->complete);
	ml_capture_free(cap);

	assert_int_equal(ml_capture_open_at_mark(path, "loaded", &cap, err, sizeof err), ML_CAP_OK);
	assert_int_equal(cap->stacks[3].live_bytes, 10 * CG_MIB);
	assert_int_equal(cap->n_marks, 1);
	assert_false(cap->complete);
	ml_capture_free(cap);
	assert_int_equal(ml_capture_open_at_mark(path, "freed", &cap, err, sizeof err), ML_CAP_OK);
	assert_int_equal(cap->stacks[3].live_bytes, 0);
	assert_int_equal(cap->stacks[3].alloc_bytes, 20 * CG_MIB);
	ml_capture_free(cap);
	assert_int_equal(ml_capture_open_at_mark(path, "nope", &cap, err, sizeof err), ML_CAP_ENOMARK);
	assert_string_equal(err, "no mark named 'nope' (memlens summary lists the marks)");
	assert_null(cap);
	unlink(path);
	cg_free(&g);

	cg_init(&g);
	cg_standard_flush1(&g);
	cg_raw(&g, ML_REC_MARK, "\x05", 1); /* t only */
	cg_flush(&g, 1100000000);
	assert_int_equal(load(&g, g.out.len, &cap), ML_CAP_EFIELD);
	assert_non_null(strstr(err, "MARK record"));
	cg_free(&g);
}

/* ---- Header ---- */

static void test_header_errors(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	assert_int_equal(ml_capture_load((const uint8_t *)"", 0, &cap, err, sizeof err), ML_CAP_EEMPTY);
	assert_string_equal(err, "empty file");
	assert_int_equal(ml_capture_load((const uint8_t *)"PK\3\4", 4, &cap, err, sizeof err), ML_CAP_EMAGIC);
	assert_string_equal(err, "not a memlens capture (bad magic)");
	assert_int_equal(ml_capture_load((const uint8_t *)"MLENS\0\r\n\1", 9, &cap, err, sizeof err), ML_CAP_ETRUNC);
	assert_string_equal(err, "truncated at byte 9 (inside the 12-byte header)");

	cg_init_version(&g, 7);
	cg_standard_flush1(&g);
	expect_error(&g, ML_CAP_EVERSION, "capture format version 7, this memlens reads version 1");
	cg_free(&g);

	cg_init(&g);
	expect_error(&g, ML_CAP_ETRUNC, "truncated at byte 12 (expected the first flush after the header)");
	cg_free(&g);
}

/* ---- Truncation and damage at every byte ---- */

static void test_truncate_everywhere(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	char want[64];
	cg_standard(&g, 1);
	size_t ok = 0;
	for (size_t len = 0; len < g.out.len; len++) {
		int rc = load(&g, len, &cap);
		if (len == g.flush_end[0] || len == g.flush_end[1]) {
			assert_int_equal(rc, ML_CAP_OK);
			assert_false(cap->complete);
			assert_int_equal(cap->n_flushes, len == g.flush_end[0] ? 1 : 2);
			ml_capture_free(cap);
			ok++;
			continue;
		}
		assert_null(cap);
		if (len == 0) {
			assert_int_equal(rc, ML_CAP_EEMPTY);
			continue;
		}
		assert_int_equal(rc, ML_CAP_ETRUNC);
		snprintf(want, sizeof want, "truncated at byte %zu (", len);
		assert_memory_equal(err, want, strlen(want));
	}
	assert_int_equal(ok, 2);
	cg_free(&g);
}

static void test_truncate_messages(void **state)
{
	(void)state;
	capgen_t g;
	char want[160];
	cg_standard(&g, 1);
	/* cut in the middle of flush 3's END record (3 bytes after the end of flush 2) */
	g.out.len = g.flush_end[1] + 3;
	snprintf(want, sizeof want, "truncated at byte %zu (inside an END record at byte %zu)", g.out.len, g.flush_end[1]);
	expect_error(&g, ML_CAP_ETRUNC, want);
	/* cut right after END: a whole record, but no FLUSH */
	g.out.len = g.flush_rec[2];
	snprintf(want, sizeof want, "truncated at byte %zu (expected a FLUSH record closing the flush started at byte %zu)",
		 g.out.len, g.flush_end[1]);
	expect_error(&g, ML_CAP_ETRUNC, want);
	cg_free(&g);
}

/* Every single-bit flip is refused, except in the t field of a FLUSH record, which no CRC covers. */
static void test_flip_everywhere(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	cg_standard(&g, 1);
	size_t crc_classes = 0;
	for (size_t i = 0; i < g.out.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			g.out.data[i] ^= (uint8_t)(1u << bit);
			int rc = load(&g, g.out.len, &cap);
			g.out.data[i] ^= (uint8_t)(1u << bit);
			int in_flush_t = 0, in_flush_crc = 0;
			for (size_t f = 0; f < g.n_flushes; f++) {
				in_flush_t |= i >= g.flush_rec[f] + 2 && i < g.flush_end[f] - 4;
				in_flush_crc |= i >= g.flush_end[f] - 4 && i < g.flush_end[f];
			}
			if (i < ML_CAP_MAGIC_LEN) {
				assert_int_equal(rc, ML_CAP_EMAGIC);
			} else if (i < ML_CAP_HEADER_LEN) {
				assert_int_equal(rc, ML_CAP_EVERSION);
			} else if (in_flush_crc) {
				assert_int_equal(rc, ML_CAP_ECRC);
			} else if (in_flush_t && rc == ML_CAP_OK) {
				ml_capture_free(cap);
			} else {
				assert_int_not_equal(rc, ML_CAP_OK);
				assert_null(cap);
				crc_classes += rc == ML_CAP_ECRC;
			}
		}
	}
	/* most flips inside payloads keep the framing: they must be caught by the CRC */
	assert_true(crc_classes > g.out.len * 4);
	cg_free(&g);
}

static void test_crc_message(void **state)
{
	(void)state;
	capgen_t g;
	char want[160];
	cg_standard(&g, 1);
	g.out.data[g.flush_rec[1] - 3] ^= 0x20; /* a byte of the NOTE text of flush 2 */
	snprintf(want, sizeof want, "CRC mismatch in the flush ending at byte %zu (bytes %zu to %zu: ", g.flush_end[1],
		 g.flush_end[0], g.flush_rec[1]);
	ml_capture_t *cap;
	assert_int_equal(load(&g, g.out.len, &cap), ML_CAP_ECRC);
	assert_memory_equal(err, want, strlen(want));
	cg_free(&g);
}

/* ---- Records with valid CRCs but invalid contents ---- */

/* A capture with the standard first flush, then a flush holding the records add() writes. */
static void second_flush(capgen_t *g, void (*add)(capgen_t *), size_t *at)
{
	cg_init(g);
	cg_standard_flush1(g);
	*at = g->out.len;
	add(g);
	cg_flush(g, 2);
}

static void add_unknown_type(capgen_t *g) { cg_raw(g, 0x0a, "", 0); }
static void add_type_zero(capgen_t *g) { cg_raw(g, 0x00, "", 0); }
static void add_bad_parent(capgen_t *g) { cg_node(g, 4, 1, 2, 3); }
static void add_bad_string(capgen_t *g) { cg_node(g, 1, 7, 2, 3); }
static void add_bad_stack(capgen_t *g)
{
	static const uint64_t st[][5] = {{4, 1, 1, 1, 1}};
	cg_stacks(g, 1, st);
}
static void add_repeated_stack(capgen_t *g)
{
	static const uint64_t st[][5] = {{2, 1, 1, 1, 1}, {2, 1, 1, 1, 1}};
	cg_stacks(g, 2, st);
}
static void add_huge_count(capgen_t *g)
{
	ml_buf_put_varint(&g->rec, UINT64_MAX / 2);
	ml_buf_put_varint(&g->rec, 0);
	cg_emit(g, ML_REC_STACKS);
}
static void add_bad_peak_stack(capgen_t *g)
{
	static const uint64_t pk[][3] = {{3, 1, 1}, {9, 1, 1}};
	cg_peak(g, 1, 2, 2, 2, pk);
}
static void add_long_tick(capgen_t *g)
{
	for (int i = 0; i < 8; i++)
		ml_buf_put_varint(&g->rec, 1);
	cg_emit(g, ML_REC_TICK);
}
static void add_short_tick(capgen_t *g)
{
	for (int i = 0; i < 6; i++)
		ml_buf_put_varint(&g->rec, 1);
	cg_emit(g, ML_REC_TICK);
}
static void add_bad_varint(capgen_t *g)
{
	static const uint8_t p[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 1, 1, 1, 1};
	cg_raw(g, ML_REC_NODE, p, sizeof p);
}
static void add_end_flags(capgen_t *g) { cg_end(g, 1, 2); }
static void add_note_level(capgen_t *g) { cg_note(g, 3, "x"); }
static void add_after_end(capgen_t *g)
{
	cg_end(g, 1, 0);
	cg_string(g, "late");
}
static void add_meta_overrun(capgen_t *g)
{
	ml_buf_put_varint(&g->rec, 1);
	ml_buf_put_varint(&g->rec, 5);
	ml_buf_put(&g->rec, "ab", 2);
	cg_emit(g, ML_REC_META);
}
static void add_bad_length(capgen_t *g)
{
	static const uint8_t p[] = {ML_REC_STRING, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	ml_buf_put(&g->out, p, sizeof p);
}

/* fmt's %zu is the offset of the first record add() wrote. A macro keeps fmt a literal. */
#define FIELD_CASE(add, code, fmt)                                  \
	do {                                                        \
		capgen_t g;                                         \
		size_t at;                                          \
		char want[256];                                     \
		second_flush(&g, add, &at);                         \
		snprintf(want, sizeof want, fmt, at);               \
		expect_error(&g, code, want);                       \
		cg_free(&g);                                        \
	} while (0)

static void test_field_errors(void **state)
{
	(void)state;
	FIELD_CASE(add_unknown_type, ML_CAP_ETYPE,
		   "unknown mandatory record type 0x0a at byte %zu (expected a record of format version 1)");
	FIELD_CASE(add_type_zero, ML_CAP_ETYPE,
		   "unknown mandatory record type 0x00 at byte %zu (expected a record of format version 1)");
	FIELD_CASE(add_bad_parent, ML_CAP_EFIELD,
		   "NODE record at byte %zu: parent 4 is not below the node's own id 4");
	FIELD_CASE(add_bad_string, ML_CAP_EFIELD,
		   "NODE record at byte %zu: function string id 7, but only 6 strings are defined so far");
	FIELD_CASE(add_bad_stack, ML_CAP_EFIELD,
		   "STACKS record at byte %zu: stack id beyond the 3 nodes defined so far");
	FIELD_CASE(add_repeated_stack, ML_CAP_EFIELD,
		   "STACKS record at byte %zu: entry 1 repeats stack 2 (expected strictly increasing ids)");
	FIELD_CASE(add_huge_count, ML_CAP_EFIELD,
		   "STACKS record at byte %zu: count 9223372036854775807 does not fit in the 1 bytes left in the record");
	FIELD_CASE(add_bad_peak_stack, ML_CAP_EFIELD,
		   "PEAK record at byte %zu: stack id beyond the 3 nodes defined so far");
	FIELD_CASE(add_end_flags, ML_CAP_EFIELD,
		   "END record at byte %zu: flags 0x2 (expected only bit 0)");
	FIELD_CASE(add_note_level, ML_CAP_EFIELD,
		   "NOTE record at byte %zu: level 3 (expected 1 or 2)");
}

static void test_field_errors_positions(void **state)
{
	(void)state;
	capgen_t g;
	size_t at;
	char want[256];

	second_flush(&g, add_long_tick, &at);
	snprintf(want, sizeof want, "TICK record at byte %zu: 1 unexpected bytes at byte %zu (expected the end of the record)",
		 at, at + 2 + 7);
	expect_error(&g, ML_CAP_EFIELD, want);
	cg_free(&g);

	second_flush(&g, add_short_tick, &at);
	snprintf(want, sizeof want, "TICK record at byte %zu ends at byte %zu inside its rss_file field", at, at + 2 + 6);
	expect_error(&g, ML_CAP_EFIELD, want);
	cg_free(&g);

	second_flush(&g, add_bad_varint, &at);
	snprintf(want, sizeof want, "malformed varint at byte %zu (the parent field of a NODE record at byte %zu)", at + 2, at);
	expect_error(&g, ML_CAP_EFIELD, want);
	cg_free(&g);

	second_flush(&g, add_after_end, &at);
	snprintf(want, sizeof want, "STRING record at byte %zu after the END record (expected only the closing FLUSH)", at + 4);
	expect_error(&g, ML_CAP_EFIELD, want);
	cg_free(&g);

	second_flush(&g, add_bad_length, &at);
	snprintf(want, sizeof want, "malformed record length at byte %zu (STRING record at byte %zu)", at + 1, at);
	expect_error(&g, ML_CAP_EFIELD, want);
	cg_free(&g);

	second_flush(&g, add_meta_overrun, &at);
	snprintf(want, sizeof want, "META record at byte %zu: key length 5 exceeds the 2 bytes left in the record", at);
	expect_error(&g, ML_CAP_EFIELD, want);
	cg_free(&g);

	cg_standard(&g, 1);
	at = g.out.len;
	cg_string(&g, "more");
	cg_flush(&g, 4000000000);
	snprintf(want, sizeof want, "data at byte %zu after the final flush (expected the end of the file after END)", at);
	expect_error(&g, ML_CAP_EFIELD, want);
	cg_free(&g);

	cg_init(&g);
	cg_standard_flush1(&g);
	g.out.len = g.flush_rec[0]; /* replace the FLUSH record by one with a 3-byte crc */
	ml_buf_put_varint(&g.rec, 1);
	ml_buf_put(&g.rec, "abc", 3);
	cg_emit(&g, ML_REC_FLUSH);
	snprintf(want, sizeof want, "FLUSH record at byte %zu: 3 bytes after t (expected a 4-byte crc)", g.flush_rec[0]);
	expect_error(&g, ML_CAP_EFIELD, want);
	cg_free(&g);
}

/* META written more than once: the last value of a key wins; strings with NULs keep their length. */
static void test_meta_and_strings(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	cg_init(&g);
	cg_meta(&g, "pid", "1", 1);
	cg_meta(&g, "pid", "22", 2);
	cg_raw(&g, ML_REC_STRING, "a\0b", 3);
	cg_raw(&g, ML_REC_STRING, "", 0);
	cg_flush(&g, 5);
	assert_int_equal(load(&g, g.out.len, &cap), ML_CAP_OK);
	assert_string_equal(ml_capture_meta(cap, "pid")->s, "22");
	assert_int_equal(cap->n_meta, 2);
	assert_int_equal(cap->n_strings, 3);
	assert_int_equal(cap->strings[1].len, 3);
	assert_memory_equal(cap->strings[1].s, "a\0b", 4);
	assert_int_equal(cap->strings[2].len, 0);
	assert_false(cap->has_peak);
	assert_int_equal(cap->n_nodes, 1);
	assert_int_equal(cap->duration_ns, 5);
	ml_capture_free(cap);
	cg_free(&g);
}

/* Random bytes after a valid header and random mutations of the standard capture never crash (the
 * sanitizer build checks memory), and anything that loads is self-consistent. */
static void test_random(void **state)
{
	(void)state;
	capgen_t g;
	ml_capture_t *cap;
	uint32_t seed = 12345;
	cg_standard(&g, 1);
	uint8_t *copy = malloc(g.out.len);
	assert_non_null(copy);
	for (int round = 0; round < 20000; round++) {
		memcpy(copy, g.out.data, g.out.len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245 + 12345;
			copy[ML_CAP_HEADER_LEN + (seed >> 8) % (g.out.len - ML_CAP_HEADER_LEN)] = (uint8_t)(seed >> 24);
		}
		seed = seed * 1103515245 + 12345;
		size_t len = round % 2 ? g.out.len : (seed >> 8) % (g.out.len + 1);
		int rc = ml_capture_load(copy, len, &cap, err, sizeof err);
		if (rc == ML_CAP_OK) {
			for (size_t i = 1; i < cap->n_nodes; i++)
				assert_true(cap->nodes[i].parent < i);
			ml_capture_free(cap);
		} else {
			assert_true(strlen(err) > 0 && !strchr(err, '\n'));
		}
	}
	free(copy);
	cg_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_stopped_early_and_optional),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_open_file),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_truncate_messages),
		cmocka_unit_test(test_flip_everywhere),
		cmocka_unit_test(test_crc_message),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_field_errors_positions),
		cmocka_unit_test(test_meta_and_strings),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
