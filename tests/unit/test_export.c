/* test_export.c — the exports (report/export.h, report/pprof.h) and the HTML page (report/html.h)
 * on the standard capture of capgen.h, compared whole where the output is small; escaping of hostile
 * strings; the HTML page's 2 MiB bound on a capture with tens of thousands of long-named frames. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capgen.h"
#include "core/crc32.h"
#include "report/export.h"
#include "report/html.h"
#include "report/pprof.h"

static ml_capture_t *load(const capgen_t *g)
{
	ml_capture_t *cap;
	char err[256];
	assert_int_equal(ml_capture_load(g->out.data, g->out.len, &cap, err, sizeof err), ML_CAP_OK);
	return cap;
}

static ml_capture_t *load_standard(void)
{
	capgen_t g;
	cg_standard(&g, 1);
	ml_capture_t *cap = load(&g);
	cg_free(&g);
	return cap;
}

static void assert_buf(ml_buf_t *b, const char *want)
{
	assert_false(ml_buf_failed(b));
	ml_buf_put_u8(b, 0);
	assert_string_equal((const char *)b->data, want);
	ml_buf_free(b);
}

static void test_folded(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard();
	ml_buf_t b = {0};
	ml_export_folded(&b, cap, ML_VIEW_AT_PEAK);
	assert_buf(&b, "[no Python frame] 1000\n"
		       "<module> (app.py:50);main (app.py:40);build (app.py:12) 20971520\n"
		       "<module> (app.py:50);build (app.py:12) 2048\n");
	ml_export_folded(&b, cap, ML_VIEW_AT_END);
	assert_buf(&b, "[no Python frame] 1000\n"
		       "<module> (app.py:50);main (app.py:40);helper (lib/util.py:7) 4096\n"
		       "<module> (app.py:50);build (app.py:12) 2048\n");
	ml_capture_free(cap);
}

static void test_csv(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard();
	ml_buf_t b = {0};
	ml_export_csv(&b, cap);
	assert_buf(&b, "stack_id,function,file,line,depth,peak_bytes,peak_blocks,end_bytes,end_blocks,alloc_bytes,alloc_blocks,stack\r\n"
		       "0,[no Python frame],,0,0,1000,10,1000,10,5000,50,[no Python frame]\r\n"
		       "3,build,app.py,12,3,20971520,2,0,0,20971520,2,<module> (app.py:50);main (app.py:40);build (app.py:12)\r\n"
		       "4,helper,lib/util.py,7,3,0,0,4096,4,8192,8,<module> (app.py:50);main (app.py:40);helper (lib/util.py:7)\r\n"
		       "5,build,app.py,12,2,2048,2,2048,2,2048,2,<module> (app.py:50);build (app.py:12)\r\n");
	ml_capture_free(cap);
}

static void test_speedscope(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard();
	ml_buf_t b = {0};
	ml_export_speedscope(&b, cap, "x");
	ml_buf_put_u8(&b, 0);
	const char *s = (const char *)b.data;
	/* frames deduplicated: build app.py:12 appears once although two nodes have it */
	assert_non_null(strstr(s, "\"shared\":{\"frames\":[{\"name\":\"\\u003cmodule\\u003e\",\"file\":\"app.py\",\"line\":50},"
				  "{\"name\":\"main\",\"file\":\"app.py\",\"line\":40},{\"name\":\"build\",\"file\":\"app.py\",\"line\":12},"
				  "{\"name\":\"helper\",\"file\":\"lib/util.py\",\"line\":7},{\"name\":\"[no Python frame]\"}]}"));
	assert_non_null(strstr(s, "\"unit\":\"bytes\",\"startValue\":0,\"endValue\":20974568,\"samples\":[[4],[0,1,2],[0,2]],"
				  "\"weights\":[1000,20971520,2048]}"));
	ml_buf_free(&b);
	ml_capture_free(cap);
}

static void test_json(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard();
	ml_view_summary_t s;
	ml_buf_t b = {0};
	assert_int_equal(ml_view_summary(cap, &s), 0);
	ml_export_json(&b, cap, &s);
	ml_view_summary_free(&s);
	ml_buf_put_u8(&b, 0);
	const char *j = (const char *)b.data;
	assert_non_null(strstr(j, "{\"schema\":\"memlens-report\",\"schema_version\":1,"));
	assert_non_null(strstr(j, "\"run\":{\"argv\":[\"python3\",\"app.py\",\"--rows\",\"1000\"],\"python_version\":\"3.11.2 (main, "
				  "Mar 13 2023) [GCC 12.2.0]\",\"complete\":true,\"stopped_early\":false}"));
	assert_non_null(strstr(j, "\"peak_bytes\":20974568,\"peak_blocks\":14,\"peak_t_ns\":2500000000,"));
	assert_non_null(strstr(j, "\"leaked_bytes\":7144,\"leaked_blocks\":16}"));
	assert_non_null(strstr(j, "\"top_peak\":[{\"file\":\"app.py\",\"line\":12,\"function\":\"build\",\"bytes\":20973568,"));
	assert_non_null(strstr(j, "{\"frame\":4,\"peak_bytes\":0,\"peak_blocks\":0,\"end_bytes\":4096,\"end_blocks\":4,"
				  "\"alloc_bytes\":8192,\"alloc_blocks\":8}"));
	ml_buf_free(&b);
	ml_capture_free(cap);
}

static void test_json_escaping(void **state)
{
	(void)state;
	ml_buf_t b = {0};
	static const char evil[] = "</script><img src=x>\"\\\n\x01\xff\xc3\xa9\xed\xa0\x80&";
	ml_export_json_str(&b, evil, sizeof evil - 1);
	assert_buf(&b, "\"\\u003c/script\\u003e\\u003cimg src=x\\u003e\\\"\\\\\\u000a\\u0001\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\\u0026\"");
}

static void test_pprof_framing(void **state)
{
	(void)state;
	ml_capture_t *cap = load_standard();
	ml_buf_t raw = {0}, gz = {0};
	assert_int_equal(ml_pprof_encode(&raw, cap, ML_VIEW_AT_PEAK), 0);
	assert_int_equal(ml_pprof_write(&gz, cap, ML_VIEW_AT_PEAK), 0);
	/* gzip header, one final stored block holding the message, CRC-32 and length */
	assert_int_equal(gz.data[0], 0x1f);
	assert_int_equal(gz.data[1], 0x8b);
	assert_int_equal(gz.data[10], 1);
	assert_int_equal(gz.data[11] | gz.data[12] << 8, raw.len);
	assert_memory_equal(gz.data + 15, raw.data, raw.len);
	uint32_t crc = ml_crc32(0, raw.data, raw.len);
	assert_memory_equal(gz.data + 15 + raw.len, &crc, 4);
	/* the first field is sample_type (1, length-delimited) {type "inuse_space" = 1, unit "bytes" = 5} */
	static const uint8_t first[] = {0x0a, 0x04, 0x08, 0x01, 0x10, 0x05};
	assert_memory_equal(raw.data, first, sizeof first);
	assert_non_null(memmem(raw.data, raw.len, "\xe2\x80\xb9module\xe2\x80\xba", 12)); /* display name */
	assert_non_null(memmem(raw.data, raw.len, "<module>", 8));                           /* system_name */
	ml_buf_free(&raw);
	ml_buf_free(&gz);
	ml_capture_free(cap);
}

static void test_html_escapes_and_fits(void **state)
{
	(void)state;
	enum { N = 20000, NAME = 300 };
	capgen_t g;
	cg_init(&g);
	cg_meta(&g, "argv", "x.py", 4);
	char name[NAME + 1];
	for (size_t i = 0; i < N; i++) {
		memset(name, 'a' + (char)(i % 26), NAME);
		snprintf(name, sizeof name, "</script><b>f%zu", i);
		name[strlen(name)] = 'z';
		name[NAME] = 0;
		cg_string(&g, name);
	}
	cg_string(&g, "evil.py");
	uint64_t(*st)[5] = calloc(N, sizeof *st);
	uint64_t(*pk)[3] = calloc(N, sizeof *pk);
	for (size_t i = 0; i < N; i++) {
		cg_node(&g, i % 2 ? i : 0, i + 1, N + 1, i); /* half chained, half at the root */
		st[i][0] = pk[i][0] = i + 1;
		st[i][1] = st[i][3] = pk[i][1] = 1000 + i;
		st[i][2] = st[i][4] = pk[i][2] = 1;
	}
	cg_tick(&g, 1000, 1, 1, 1, 1, 1, 1);
	cg_stacks(&g, N, (const uint64_t(*)[5])st);
	cg_peak(&g, 500, 0, 0, N, (const uint64_t(*)[3])pk);
	cg_flush(&g, 2000);
	free(st);
	free(pk);
	ml_capture_t *cap = load(&g);
	cg_free(&g);
	ml_buf_t b = {0};
	ml_html_opts_t o = {.title = "t"};
	assert_int_equal(ml_html_report(&b, cap, &o), 0);
	assert_true(b.len <= ML_HTML_MAX_BYTES);
	ml_buf_put_u8(&b, 0);
	const char *data = strstr((const char *)b.data, "id=\"memlens-data\">");
	assert_non_null(data);
	assert_null(strstr(data, "<b>"));
	assert_non_null(strstr(data, "\\u003c/script\\u003e\\u003cb\\u003ef1"));
	/* after the data, exactly two closing script tags: the data's and the code's */
	int closes = 0;
	for (const char *p = data; (p = strstr(p, "</script>")); p++)
		closes++;
	assert_int_equal(closes, 2);
	ml_buf_free(&b);
	ml_capture_free(cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),	  cmocka_unit_test(test_csv),
		cmocka_unit_test(test_speedscope),  cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_escaping), cmocka_unit_test(test_pprof_framing),
		cmocka_unit_test(test_html_escapes_and_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
