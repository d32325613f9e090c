/* test_units.c — human units (report/units.h) at and around every boundary, and the aligned tables
 * (report/table.h) that show them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "report/table.h"
#include "report/units.h"

static char buf[ML_UNITS_LEN];

static void test_bytes(void **state)
{
	(void)state;
	static const struct {
		uint64_t v;
		const char *s;
	} cases[] = {
		{0, "0 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{1048524, "1023.9 KiB"},
		{1048525, "1.0 MiB"}, /* 1023.95 KiB rounds up: shown in the next unit */
		{10485760, "10.0 MiB"},
		{1288490189, "1.2 GiB"},
		{1099511627776ull, "1.0 TiB"},
		{UINT64_MAX, "16.0 EiB"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(ml_units_bytes(cases[i].v, buf, sizeof buf), cases[i].s);
}

static void test_duration(void **state)
{
	(void)state;
	static const struct {
		uint64_t ns;
		const char *s;
	} cases[] = {
		{0, "0 ns"},
		{999, "999 ns"},
		{1000, "1 µs"},
		{999499, "999 µs"},
		{999500, "1 ms"},
		{850000000, "850 ms"},
		{999499999, "999 ms"},
		{999500000, "1.00 s"},
		{1234000000, "1.23 s"},
		{9994999999ull, "9.99 s"},
		{9995000000ull, "10.0 s"},
		{12345000000ull, "12.3 s"},
		{59949999999ull, "59.9 s"},
		{59950000000ull, "1 min 00 s"},
		{125000000000ull, "2 min 05 s"},
		{3599499999999ull, "59 min 59 s"},
		{3599500000000ull, "1 h 00 min"},
		{7410000000000ull, "2 h 04 min"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_string_equal(ml_units_duration(cases[i].ns, buf, sizeof buf), cases[i].s);
}

static void test_count_percent(void **state)
{
	(void)state;
	assert_string_equal(ml_units_count(0, buf, sizeof buf), "0");
	assert_string_equal(ml_units_count(999, buf, sizeof buf), "999");
	assert_string_equal(ml_units_count(1000, buf, sizeof buf), "1,000");
	assert_string_equal(ml_units_count(1234567, buf, sizeof buf), "1,234,567");
	assert_string_equal(ml_units_count(UINT64_MAX, buf, sizeof buf), "18,446,744,073,709,551,615");
	assert_string_equal(ml_units_percent(62.5, buf, sizeof buf), "62.5%");
	assert_string_equal(ml_units_percent(100, buf, sizeof buf), "100.0%");
	assert_string_equal(ml_units_percent(0.04, buf, sizeof buf), "<0.1%");
	assert_string_equal(ml_units_percent(0, buf, sizeof buf), "0.0%");
	/* a small buffer truncates like snprintf */
	char small[4];
	assert_string_equal(ml_units_count(123456, small, sizeof small), "123");
}

/* ---- Tables ---- */

static void assert_rendered(const ml_rep_table_t *t, const char *indent, const char *want)
{
	ml_buf_t out = {0};
	ml_rep_table_render(t, &out, indent);
	ml_buf_put_u8(&out, '\0');
	assert_false(ml_buf_failed(&out));
	assert_string_equal((const char *)out.data, want);
	ml_buf_free(&out);
}

static void test_table(void **state)
{
	(void)state;
	ml_rep_table_t *t = ml_rep_table_new(3);
	assert_non_null(t);
	ml_rep_table_col(t, 0, "bytes", ML_REP_RIGHT, 0, ML_REP_CUT_RIGHT);
	ml_rep_table_col(t, 1, "file", ML_REP_LEFT, 12, ML_REP_CUT_LEFT);
	ml_rep_table_col(t, 2, "function", ML_REP_LEFT, 6, ML_REP_CUT_RIGHT);
	const char *r1[] = {"10.0 MiB", "app.py", "build"};
	const char *r2[] = {"512 B", "/very/long/path/to/lib/util.py", "helper_function"};
	const char *r3[] = {"1 B", "µ/é.py", ""};
	assert_int_equal(ml_rep_table_row(t, r1), 0);
	assert_int_equal(ml_rep_table_row(t, r2), 0);
	assert_int_equal(ml_rep_table_row(t, r3), 0);
	assert_rendered(t, "  ",
			"     bytes  file          function\n"
			"  10.0 MiB  app.py        build\n"
			"     512 B  …lib/util.py  helpe…\n"
			"       1 B  µ/é.py\n");
	ml_rep_table_free(t);

	t = ml_rep_table_new(2);
	const char *r4[] = {"a", "1"};
	ml_rep_table_col(t, 1, NULL, ML_REP_RIGHT, 0, ML_REP_CUT_RIGHT);
	assert_int_equal(ml_rep_table_row(t, r4), 0);
	assert_rendered(t, "", "a  1\n");
	ml_rep_table_free(t);
}

static void test_fit_width(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(ml_rep_width("µé…x"), 4);
	assert_int_equal(ml_rep_width(""), 0);
	assert_string_equal(ml_rep_fit(out, sizeof out, "abcdef", 6, ML_REP_CUT_LEFT), "abcdef");
	assert_string_equal(ml_rep_fit(out, sizeof out, "abcdefg", 6, ML_REP_CUT_LEFT), "…cdefg");
	assert_string_equal(ml_rep_fit(out, sizeof out, "abcdefg", 6, ML_REP_CUT_RIGHT), "abcde…");
	assert_string_equal(ml_rep_fit(out, sizeof out, "ééééééé", 3, ML_REP_CUT_RIGHT), "éé…");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_count_percent),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fit_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
