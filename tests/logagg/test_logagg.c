/* test_logagg.c — unit tests of logagg's modules (cmocka): address parsing and normalisation, the
 * fast per-line paths against the general parsers they stand in for (random and mutated input),
 * the line parser's verdicts, mapped input (chunks, overlong lines, a file truncated under it), the
 * exact table (including the 2^32 overflow move), HyperLogLog accuracy, Space-Saving guarantees,
 * merges, and the state file (round trip and every kind of corruption). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logagg/addr.h"
#include "logagg/agg.h"
#include "logagg/hll.h"
#include "logagg/input.h"
#include "logagg/parse.h"
#include "logagg/run.h"
#include "logagg/state.h"
#include "logagg/table.h"
#include "logagg/topk.h"

static void roundtrip(const char *in, const char *canon)
{
	lg_addr_t a;
	char out[LG_ADDR_STRLEN];
	assert_int_equal(lg_addr_parse(in, strlen(in), &a), 0);
	lg_addr_format(&a, out);
	assert_string_equal(out, canon);
}

static void test_addr_valid(void **st)
{
	(void)st;
	roundtrip("1.2.3.4", "1.2.3.4");
	roundtrip("255.255.255.255", "255.255.255.255");
	roundtrip("0.0.0.0", "0.0.0.0");
	roundtrip("::ffff:1.2.3.4", "1.2.3.4");
	roundtrip("::FFFF:0102:0304", "1.2.3.4");
	roundtrip("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	roundtrip("2001:db8::1", "2001:db8::1");
	roundtrip("::", "::");
	roundtrip("::1", "::1");
	roundtrip("1::", "1::");
	roundtrip("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1");   /* longest zero run */
	roundtrip("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");       /* first of equal runs loses to longer */
	roundtrip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"); /* tie: the first run */
	roundtrip("2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"); /* a single zero group stays */
	roundtrip("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
}

static void test_addr_invalid(void **st)
{
	(void)st;
	const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "1..2.3",
		"1.2.3.-4", "1:2:3:4:5:6:7:8:9", ":1::2", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:",
		"::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0", "host.example.com", "-" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		lg_addr_t a;
		if (lg_addr_parse(bad[i], strlen(bad[i]), &a) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* the per-line scan reads 16 bytes and wants the ' ' after the address among them */
	uint32_t v;
	assert_int_equal(lg_ipv4_scan16("10.0.0.1 - - [21/", &v), 8);
	assert_int_equal(v, 0x0a000001);
	assert_int_equal(lg_ipv4_scan16("255.255.255.255 -", &v), 15);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(lg_ipv4_scan16("1000.0.0.1 - - [", &v), 0);
	assert_int_equal(lg_ipv4_scan16("1.2.3.4. - - [21", &v), 0);
	assert_int_equal(lg_ipv4_scan16("1.2.3.04 - - [21", &v), 0);
	assert_int_equal(lg_ipv4_scan16("1.2.3.4\t- - [21", &v), 0);
	assert_int_equal(lg_ipv4_scan16("1.2.3.256 - - [2", &v), 0);
}

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* The fast scans never disagree with lg_addr_parse: on random bytes from the address alphabets,
 * on dotted quads of tricky octets, and on IPv6 of random groups and compressions. They may only
 * decline (IPv6 with an IPv4 tail), never accept what lg_addr_parse rejects. */
static void test_addr_fast_scans(void **st)
{
	(void)st;
	static const char *oct[] = { "0", "00", "01", "9", "10", "99", "100", "199", "200", "249", "250", "255",
		"256", "299", "300", "999", "1000", "010", "" };
	const char *a4 = "0123456789.. ", *a6 = "0123456789abcdefABCDEF::::::. %x", *hexd = "0123456789abcdefABCDEF";
	char b[64];
	for (int it = 0; it < 400000; it++) {
		memset(b, 'x', sizeof b);
		size_t n = rnd(46);
		switch (it % 4) {
		case 0:
			for (int i = 0; i < 16; i++)
				b[i] = a4[rnd((uint32_t)strlen(a4))];
			break;
		case 1: {
			int k = 0;
			for (int i = 0; i < 4; i++)
				k += sprintf(b + k, "%s%s", i ? "." : "", oct[rnd(19)]);
			b[k] = " \t.1x"[rnd(5)];
			break;
		}
		case 2:
			for (size_t i = 0; i < n; i++)
				b[i] = a6[rnd((uint32_t)strlen(a6))];
			break;
		default: {
			int ng = 1 + (int)rnd(8), gap = rnd(3) ? (int)rnd((uint32_t)ng + 1) : -1, k = 0;
			for (int i = 0; i < ng; i++) {
				if (i == gap)
					k += sprintf(b + k, "::");
				else if (i)
					b[k++] = ':';
				for (int d = 1 + (int)rnd(rnd(10) ? 4 : 5); d > 0; d--)
					b[k++] = hexd[rnd(22)];
			}
			if (gap == ng)
				k += sprintf(b + k, "::");
			n = (size_t)k;
		}
		}
		uint32_t got, want;
		size_t len = lg_ipv4_scan16(b, &got);
		const char *sp = memchr(b, ' ', 16);
		size_t wlen = sp && lg_ipv4_parse(b, (size_t)(sp - b), &want) == 0 ? (size_t)(sp - b) : 0;
		if (len != wlen || (len && got != want))
			fail_msg("lg_ipv4_scan16(\"%.16s\") = %zu, expected %zu", b, len, wlen);
		lg_addr_t x, y;
		int r6 = lg_ipv6_scan48(b, n, &x), want6 = lg_addr_parse(b, n, &y);
		if (r6 == 0 && (want6 != 0 || memcmp(&x, &y, sizeof x) != 0))
			fail_msg("lg_ipv6_scan48(\"%.*s\") accepted it wrongly", (int)n, b);
		if (r6 != 0 && want6 == 0 && !memchr(b, '.', n))
			fail_msg("lg_ipv6_scan48(\"%.*s\") declined a plain address", (int)n, b);
	}
}

#define LINE(s) s, sizeof(s) - 1

static void test_parse_reasons(void **st)
{
	(void)st;
	lg_parse_cfg_t c = { LG_SRC_REMOTE, 0 };
	lg_addr_t a;
	char out[LG_ADDR_STRLEN];
	assert_int_equal(lg_parse_line(&c, LINE("9.8.7.6 - - [21/Nov/2026:06:37:50 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"x\""), &a), LG_LINE_OK);
	lg_addr_format(&a, out);
	assert_string_equal(out, "9.8.7.6");
	/* common format, and a request line cut in its user agent still counts */
	assert_int_equal(lg_parse_line(&c, LINE("::1 - bob [t] \"GET /x HTTP/1.0\" 404 -"), &a), LG_LINE_OK);
	assert_int_equal(lg_parse_line(&c, LINE("1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozil"), &a), LG_LINE_OK);
	assert_int_equal(lg_parse_line(&c, LINE(""), &a), LG_LINE_EMPTY);
	assert_int_equal(lg_parse_line(&c, LINE(" \t\r"), &a), LG_LINE_EMPTY);
	assert_int_equal(lg_parse_line(&c, LINE("# comment"), &a), LG_LINE_COMMENT);
	assert_int_equal(lg_parse_line(&c, LINE("133.43.96.45 - - [01/Aug/199"), &a), LG_LINE_TRUNCATED);
	assert_int_equal(lg_parse_line(&c, LINE("1.2.3.4"), &a), LG_LINE_TRUNCATED);
	assert_int_equal(lg_parse_line(&c, LINE("1.2.3.4 - - [t] \"GET / HTTP/1.1\" 2x0 5"), &a), LG_LINE_TRUNCATED);
	assert_int_equal(lg_parse_line(&c, LINE("1.2.3.4 - - [t] \"GET / HTTP/1.1"), &a), LG_LINE_TRUNCATED);
	assert_int_equal(lg_parse_line(&c, LINE("/Aug/1995:00:05:12 -0400] \"GET / HTTP/1.0\" 200 1414"), &a), LG_LINE_BAD_ADDR);
	assert_int_equal(lg_parse_line(&c, LINE("300.1.2.3 - - [t] \"GET / HTTP/1.1\" 200 5"), &a), LG_LINE_BAD_ADDR);
	assert_int_equal(lg_parse_line(&c, LINE("in24.inetnebr.com - - [t] \"GET / HTTP/1.0\" 200 1839"), &a), LG_LINE_HOSTNAME);
	assert_int_equal(lg_parse_line(&c, LINE("\xff\xfe\x01 garbage"), &a), LG_LINE_BAD_ADDR);
}

static void test_parse_field_xff(void **st)
{
	(void)st;
	lg_addr_t a;
	char out[LG_ADDR_STRLEN];
	lg_parse_cfg_t f = { LG_SRC_FIELD, 3 };
	assert_int_equal(lg_parse_line(&f, LINE("host x 2001:db8::7 rest"), &a), LG_LINE_OK);
	lg_addr_format(&a, out);
	assert_string_equal(out, "2001:db8::7");
	assert_int_equal(lg_parse_line(&f, LINE("a b"), &a), LG_LINE_TRUNCATED);
	lg_parse_cfg_t x = { LG_SRC_XFF, 0 };
	const char *pre = "10.0.0.1 - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"ua\" ";
	struct { const char *xff, *want; lg_line_t r; } cases[] = {
		{ "\"203.0.113.9, 10.0.0.1\"", "203.0.113.9", LG_LINE_OK },
		{ "\"-\"", "10.0.0.1", LG_LINE_OK },
		{ "\"198.51.100.2:4711\"", "198.51.100.2", LG_LINE_OK },
		{ "\"[2001:db8::5]:443, 10.1.1.1\"", "2001:db8::5", LG_LINE_OK },
		{ "\"unknown\"", NULL, LG_LINE_HOSTNAME },
		{ "\"1.2.3\"", NULL, LG_LINE_BAD_ADDR },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char line[256];
		int n = snprintf(line, sizeof line, "%s%s", pre, cases[i].xff);
		assert_int_equal(lg_parse_line(&x, line, (size_t)n, &a), cases[i].r);
		if (cases[i].want) {
			lg_addr_format(&a, out);
			assert_string_equal(out, cases[i].want);
		}
	}
	/* plain combined (3 quoted fields): the user agent is not mistaken for X-Forwarded-For */
	assert_int_equal(lg_parse_line(&x, LINE("10.0.0.3 - - [t] \"GET / HTTP/1.1\" 200 5 \"-\" \"1.1.1.1\""), &a), LG_LINE_OK);
	lg_addr_format(&a, out);
	assert_string_equal(out, "10.0.0.3");
}

/* lg_parse_next (one pass, with the fast path) against memchr + lg_parse_line, line by line, on
 * lines of every shape near the fast path's limits: mutated copies of real lines, cut anywhere,
 * in an exact-size buffer so a read past its end is caught by the sanitizers (make SAN=1). */
static void test_parse_next_matches_parse_line(void **st)
{
	(void)st;
	static const char *base[] = {
		"203.0.113.7 - - [21/Nov/2026:06:37:50 +0000] \"GET /a?b=c HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\"",
		"2001:db8:51c2::3 - - [21/Nov/2026:06:37:50 +0000] \"GET / HTTP/1.1\" 304 0 \"https://example.com/\" \"curl/8.5.0\"",
		"::ffff:10.1.2.3 - - [21/Nov/2026:06:37:50 +0000] \"POST /login HTTP/2.0\" 302 5 \"-\" \"-\"",
		"2001:DB8:0:0:8:800:200C:417A - alice [21/Nov/2026:06:37:50 +0000] \"GET / HTTP/1.0\" 200 1",
		"in24.inetnebr.com - - [01/Aug/1995:00:00:01 -0400] \"GET /shuttle/missions/sts-68/news/sts-68-mcc-05.txt HTTP/1.0\" 200 1839",
		"10.0.0.1 - - [21/Nov/2026:06:37:50 +0000] \"GET / HTTP/1.1\" 200",
	};
	static const char junk[] = " \n\t\"[]-.:0123456789abcdefX\xff";
	lg_parse_cfg_t cfg[] = { { LG_SRC_REMOTE, 0 }, { LG_SRC_FIELD, 2 }, { LG_SRC_XFF, 0 } };
	size_t cap = 1 << 20, len = 0;
	char *text = malloc(cap);
	while (len < cap - 4096) {
		const char *l = base[rnd(6)];
		size_t n = strlen(l);
		memcpy(text + len, l, n);
		for (int m = (int)rnd(4) - 1; m > 0; m--) /* a third of the lines get 1-2 byte changes */
			text[len + rnd((uint32_t)n)] = junk[rnd(sizeof junk - 1)];
		if (rnd(8) == 0)
			n = rnd((uint32_t)n + 1); /* cut */
		if (rnd(64) == 0) {
			memset(text + len + n, 'u', 3000); /* a long user agent */
			n += 3000;
		}
		len += n;
		text[len++] = '\n';
	}
	for (int c = 0; c < 3; c++) {
		/* every cut of the buffer's tail, so lines end at every distance from its end */
		for (size_t tail = len - 400; tail <= len; tail += 1 + (tail & 3)) {
			char *buf = malloc(tail);
			memcpy(buf, text, tail);
			const char *p = buf, *end = buf + tail;
			while (p < end) {
				const char *e, *nl = memchr(p, '\n', (size_t)(end - p)), *we = nl ? nl : end;
				lg_addr_t a, b;
				memset(&a, 0, sizeof a);
				memset(&b, 0, sizeof b);
				lg_line_t r = lg_parse_next(&cfg[c], p, end, &e, &a);
				lg_line_t want = we - p > LG_MAX_LINE ? LG_LINE_OVERLONG : lg_parse_line(&cfg[c], p, (size_t)(we - p), &b);
				if (e != we || r != want || ((r == LG_LINE_OK || r == LG_LINE_HOSTNAME) && memcmp(&a, &b, sizeof a) != 0))
					fail_msg("cfg %d, line \"%.*s\": %d, expected %d", c, (int)(we - p), p, r, want);
				p = e + 1;
			}
			free(buf);
			if (tail > len - 300)
				tail += 7; /* the inner cuts need fewer samples */
		}
	}
	free(text);
}

static void test_table_exact(void **st)
{
	(void)st;
	lg_table_t t;
	lg_table_init(&t, 64u << 20);
	/* 100,000 IPv4 and 20,000 IPv6 clients, client i seen i%7+1 times: forces several doublings */
	uint64_t want = 0;
	for (uint32_t i = 0; i < 120000; i++) {
		lg_addr_t a;
		if (i < 100000) {
			lg_addr_from_v4(&a, i * 2654435761u);
		} else {
			memset(&a, 0, sizeof a);
			a.b[0] = 0x20;
			memcpy(a.b + 12, &i, 4);
		}
		for (uint32_t k = 0; k <= i % 7; k++)
			assert_int_equal(lg_table_add(&t, &a, 1), LG_TABLE_OK);
		want += i % 7 + 1;
	}
	assert_int_equal(lg_table_count(&t), 120000);
	uint64_t sum = 0, c;
	lg_addr_t a;
	size_t n = 0;
	for (size_t i = 0; lg_table_next(&t, &i, &a, &c); n++)
		sum += c;
	assert_int_equal(n, 120000);
	assert_int_equal(sum, want);
	lg_table_free(&t);
}

static void test_table_overflow_and_budget(void **st)
{
	(void)st;
	lg_table_t t;
	lg_table_init(&t, 1u << 20);
	lg_addr_t a, got;
	uint64_t c;
	lg_addr_from_v4(&a, 0x01020304);
	assert_int_equal(lg_table_add(&t, &a, UINT32_MAX - 2), LG_TABLE_OK);
	assert_int_equal(lg_table_add(&t, &a, 5), LG_TABLE_OK); /* passes 2^32-1: moves to the wide table */
	assert_int_equal(lg_table_add(&t, &a, 1), LG_TABLE_OK);
	assert_int_equal(lg_table_count(&t), 1);
	size_t i = 0;
	assert_true(lg_table_next(&t, &i, &got, &c));
	assert_int_equal(c, (uint64_t)UINT32_MAX + 4);
	assert_memory_equal(&got, &a, sizeof a);
	assert_false(lg_table_next(&t, &i, &got, &c));
	lg_table_free(&t);
	/* a 64 KiB budget holds 8,192 8-byte slots at most: ~7,000 clients (load 0.85), then FULL */
	lg_table_init(&t, 64u << 10);
	uint32_t k = 0;
	while (lg_table_add4(&t, k * 2654435761u, 1) == LG_TABLE_OK)
		k++;
	assert_true(k > 2000 && k < 8192);
	assert_int_equal(lg_table_count(&t), k);
	assert_true(lg_table_bytes(&t) <= (64u << 10));
	lg_table_free(&t);
}

static void test_hll_accuracy(void **st)
{
	(void)st;
	lg_hll_t *h = malloc(sizeof *h), *h2 = malloc(sizeof *h2);
	uint32_t sizes[] = { 1, 10, 1000, 30000, 500000 };
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		lg_hll_init(h);
		for (uint32_t i = 0; i < sizes[s]; i++) {
			lg_addr_t a;
			lg_addr_from_v4(&a, i);
			lg_hll_add(h, lg_addr_hash(&a));
			lg_hll_add(h, lg_addr_hash(&a)); /* duplicates do not count */
		}
		double e = lg_hll_estimate(h), rel = (e - sizes[s]) / sizes[s];
		if (rel > 4 * LG_HLL_RSE || rel < -4 * LG_HLL_RSE)
			fail_msg("n=%u estimate %.0f", sizes[s], e);
	}
	/* merge of two halves == the whole */
	lg_hll_init(h);
	lg_hll_init(h2);
	for (uint32_t i = 0; i < 200000; i++) {
		lg_addr_t a;
		lg_addr_from_v4(&a, i);
		lg_hll_add(i % 2 ? h : h2, lg_addr_hash(&a));
	}
	lg_hll_merge(h, h2);
	double e = lg_hll_estimate(h);
	assert_true(e > 200000 * (1 - 4 * LG_HLL_RSE) && e < 200000 * (1 + 4 * LG_HLL_RSE));
	free(h);
	free(h2);
}

static void test_topk_guarantees(void **st)
{
	(void)st;
	lg_topk_t t;
	assert_int_equal(lg_topk_init(&t, 64), 0);
	/* 10 heavy clients with 1,000 requests each among 20,000 one-off clients, interleaved */
	uint64_t n = 0;
	for (uint32_t r = 0; r < 20000; r++) {
		lg_addr_t a;
		lg_addr_from_v4(&a, 0x0a000000 + r);
		lg_topk_add(&t, &a, 1);
		n++;
		if (r % 2 == 0) {
			lg_addr_from_v4(&a, 0xc0000000 + (r / 2) % 10);
			lg_topk_add(&t, &a, 1);
			n++;
		}
	}
	assert_int_equal(t.n, 64);
	/* every counter: count - err <= true <= count, and the floor bounds the untracked */
	uint64_t floor = lg_topk_floor(&t);
	assert_true(floor <= n / 64 + 1);
	int heavy = 0;
	for (size_t i = 0; i < t.n; i++) {
		assert_true(t.heap[i].err <= t.heap[i].count);
		uint32_t v4 = 0;
		assert_true(lg_addr_is_v4(&t.heap[i].key, &v4));
		if (v4 >= 0xc0000000) {
			heavy++;
			assert_true(t.heap[i].count >= 1000 && t.heap[i].count - t.heap[i].err <= 1000);
		}
	}
	assert_int_equal(heavy, 10); /* each heavy client has 1000 > n/64 requests */
	lg_topk_t u;
	assert_int_equal(lg_topk_init(&u, 64), 0);
	assert_int_equal(lg_topk_merge(&u, &t), 0);
	assert_int_equal(u.n, 64);
	lg_topk_free(&u);
	lg_topk_free(&t);
}

static void feed_str(lg_agg_t *g, const char *s)
{
	lg_parse_cfg_t c = { LG_SRC_REMOTE, 0 };
	lg_agg_feed(g, &c, s, strlen(s));
}

static const char LOG[] =
	"1.1.1.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"a\"\n"
	"::ffff:1.1.1.1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"a\"\n"
	"2001:db8::1 - - [t] \"GET / HTTP/1.1\" 200 1 \"-\" \"a\"\n"
	"\n"
	"# note\n"
	"bad - - [t] \"GET / HTTP/1.1\" 200 1\n"
	"2001:DB8:0::1 - - [t] \"GET / HTTP/1.1\" 200 1"; /* no final newline */

static void test_agg_feed_and_merge(void **st)
{
	(void)st;
	lg_agg_t g, h;
	lg_agg_init(&g, 1u << 20);
	feed_str(&g, LOG);
	assert_int_equal(g.pv, 4);
	assert_int_equal(lg_agg_uv(&g), 2);
	assert_int_equal(g.lines[LG_LINE_EMPTY], 1);
	assert_int_equal(g.lines[LG_LINE_COMMENT], 1);
	assert_int_equal(g.lines[LG_LINE_HOSTNAME], 1);
	assert_int_equal(lg_agg_malformed(&g), 2);
	size_t n;
	lg_client_t *top = lg_agg_top(&g, 10, &n);
	assert_int_equal(n, 2);
	assert_int_equal(top[0].pv, 2);
	assert_int_equal(top[1].pv, 2);
	free(top);
	lg_agg_init(&h, 1u << 20);
	feed_str(&h, LOG);
	assert_int_equal(lg_agg_merge(&g, &h), 0);
	assert_int_equal(g.pv, 8);
	assert_int_equal(lg_agg_uv(&g), 2);
	/* exact + sketch = sketch, with every request kept */
	assert_int_equal(lg_agg_to_sketch(&h), 0);
	assert_int_equal(lg_agg_merge(&g, &h), 0);
	assert_true(g.sketch);
	assert_int_equal(g.pv, 12);
	top = lg_agg_top(&g, 10, &n);
	assert_int_equal(n, 2);
	assert_int_equal(top[0].pv + top[1].pv, 12);
	assert_int_equal(top[0].err, 0);
	free(top);
	lg_agg_free(&g);
	lg_agg_free(&h);
}

static void test_agg_switches_to_sketch(void **st)
{
	(void)st;
	lg_agg_t g;
	lg_agg_init(&g, 64u << 10);
	char line[128];
	uint64_t pv = 0;
	for (uint32_t i = 0; i < 50000; i++) {
		int n = snprintf(line, sizeof line, "10.%u.%u.%u - - [t] \"GET / HTTP/1.1\" 200 1\n", i >> 16, (i >> 8) & 255, i & 255);
		lg_parse_cfg_t c = { LG_SRC_REMOTE, 0 };
		lg_agg_feed(&g, &c, line, (size_t)n);
		pv++;
		if (i % 10 == 0) { /* one heavy client: 5,000 requests */
			lg_agg_feed(&g, &c, LINE("192.0.2.1 - - [t] \"GET / HTTP/1.1\" 200 1\n"));
			pv++;
		}
	}
	assert_true(g.sketch);
	assert_int_equal(g.pv, pv);
	double uv = lg_agg_uv(&g);
	assert_true(uv > 50001 * (1 - 4 * LG_HLL_RSE) && uv < 50001 * (1 + 4 * LG_HLL_RSE));
	size_t n;
	lg_client_t *top = lg_agg_top(&g, 1, &n);
	char out[LG_ADDR_STRLEN];
	lg_addr_format(&top[0].addr, out);
	assert_string_equal(out, "192.0.2.1");
	assert_true(top[0].pv >= 5000 && top[0].pv - top[0].err <= 5000);
	free(top);
	lg_agg_free(&g);
}

/* A temp file of `lines` lines of `width` bytes, with one overlong line (> LG_MAX_LINE) at `at`. */
static int temp_log(char *path, int lines, int width, int at)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char *l = malloc(LG_MAX_LINE + 100);
	for (int i = 0; i < lines; i++) {
		int n = i == at ? LG_MAX_LINE + 50 : width;
		int k = snprintf(l, 128, "10.0.%d.%d - - [21/Nov/2026:06:37:50 +0000] \"GET / HTTP/1.1\" 200 1 ", i >> 8 & 255, i & 255);
		memset(l + k, 'a', (size_t)(n - k - 1));
		l[n - 1] = '\n';
		assert_int_equal(write(fd, l, (size_t)n), n);
	}
	free(l);
	return fd;
}

/* The mapped reader cuts its range into the same lines as the buffered one, overlong line
 * included, across its 1 MiB chunks and 2 MiB unmapping steps. */
static void test_reader_mapped(void **st)
{
	(void)st;
	char path[] = "/tmp/logagg-test-XXXXXX";
	int fd = temp_log(path, 40000, 150, 20000); /* ~6 MB */
	off_t size = lseek(fd, 0, SEEK_END);
	lg_parse_cfg_t cfg = { LG_SRC_REMOTE, 0 };
	lg_err_t err;
	lg_agg_t whole, parts;
	lg_agg_init(&whole, 16u << 20);
	lg_agg_init(&parts, 16u << 20);
	lg_reader_t *r = lg_reader_open(path);
	assert_int_equal(lg_run_reader(&cfg, r, &whole, 0, path, &err), 0);
	lg_reader_close(r);
	off_t cut[] = { 0, lg_line_boundary(fd, size / 3, size), lg_line_boundary(fd, size / 3 * 2, size), size };
	for (int i = 0; i < 3; i++) {
		r = lg_reader_range(fd, cut[i], cut[i + 1]);
		assert_int_equal(lg_run_reader(&cfg, r, &parts, 0, path, &err), 0);
		lg_reader_close(r);
	}
	assert_int_equal(whole.pv, 39999);
	assert_int_equal(whole.lines[LG_LINE_OVERLONG], 1);
	assert_int_equal(parts.pv, whole.pv);
	assert_int_equal(parts.lines[LG_LINE_OVERLONG], 1);
	assert_int_equal(lg_agg_uv(&parts), 39999);
	lg_agg_free(&whole);
	lg_agg_free(&parts);
	close(fd);
	unlink(path);
}

/* A file truncated by another process (logrotate's copytruncate) while mapped: the read that
 * faults becomes an error for this run, not a SIGBUS that kills it. */
static void test_reader_truncated_under_us(void **st)
{
	(void)st;
	char path[] = "/tmp/logagg-test-XXXXXX";
	int fd = temp_log(path, 20000, 200, -1);
	lg_reader_t *r = lg_reader_range(fd, 0, lseek(fd, 0, SEEK_END));
	assert_int_equal(ftruncate(fd, 100), 0);
	lg_parse_cfg_t cfg = { LG_SRC_REMOTE, 0 };
	lg_agg_t g;
	lg_err_t err;
	lg_agg_init(&g, 1u << 20);
	assert_int_equal(lg_run_reader(&cfg, r, &g, 0, "x.log", &err), -1);
	assert_string_equal(err.msg, "x.log: file truncated while being read");
	lg_reader_close(r);
	lg_agg_free(&g);
	close(fd);
	unlink(path);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *d = malloc(1 << 20);
	*n = fread(d, 1, 1 << 20, f);
	fclose(f);
	return d;
}

static void test_state_roundtrip_and_corruption(void **st)
{
	(void)st;
	char path[] = "/tmp/logagg-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char why[256];
	for (int sketch = 0; sketch < 2; sketch++) {
		lg_agg_t g, back;
		lg_agg_init(&g, 1u << 20);
		feed_str(&g, LOG);
		if (sketch)
			assert_int_equal(lg_agg_to_sketch(&g), 0);
		assert_int_equal(lg_state_write(path, &g, why, sizeof why), 0);
		lg_agg_init(&back, 1u << 20);
		assert_int_equal(lg_state_read(path, &back, why, sizeof why), 0);
		assert_int_equal(back.pv, 4);
		assert_int_equal(back.sketch, sketch);
		assert_int_equal(back.lines[LG_LINE_HOSTNAME], 1);
		assert_int_equal((uint64_t)(lg_agg_uv(&back) + 0.5), 2);
		size_t n;
		lg_client_t *top = lg_agg_top(&back, 10, &n);
		assert_int_equal(n, 2);
		assert_int_equal(top[0].pv, 2);
		free(top);
		/* every truncation and every single-byte flip is rejected with a reason, never a crash */
		size_t len;
		uint8_t *d = slurp(path, &len);
		for (size_t cut = 0; cut < len; cut += 1 + cut / 50) {
			lg_agg_t x;
			lg_agg_init(&x, 1u << 20);
			why[0] = 0;
			assert_int_equal(lg_state_decode(d, cut, &x, why, sizeof why), -1);
			assert_true(strlen(why) > 0);
			lg_agg_free(&x);
		}
		for (size_t i = 0; i < len; i += 1 + i / 100) {
			lg_agg_t x;
			lg_agg_init(&x, 1u << 20);
			d[i] ^= 0x20;
			assert_int_equal(lg_state_decode(d, len, &x, why, sizeof why), -1);
			d[i] ^= 0x20;
			lg_agg_free(&x);
		}
		free(d);
		lg_agg_free(&g);
		lg_agg_free(&back);
	}
	assert_int_equal(lg_state_read("/nonexistent/x.lgs", &(lg_agg_t){ 0 }, why, sizeof why), -1);
	assert_string_equal(why, "No such file or directory");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_valid),
		cmocka_unit_test(test_addr_invalid),
		cmocka_unit_test(test_addr_fast_scans),
		cmocka_unit_test(test_parse_reasons),
		cmocka_unit_test(test_parse_field_xff),
		cmocka_unit_test(test_parse_next_matches_parse_line),
		cmocka_unit_test(test_table_exact),
		cmocka_unit_test(test_table_overflow_and_budget),
		cmocka_unit_test(test_hll_accuracy),
		cmocka_unit_test(test_topk_guarantees),
		cmocka_unit_test(test_agg_feed_and_merge),
		cmocka_unit_test(test_agg_switches_to_sketch),
		cmocka_unit_test(test_reader_mapped),
		cmocka_unit_test(test_reader_truncated_under_us),
		cmocka_unit_test(test_state_roundtrip_and_corruption),
	};
	return cmocka_run_group_tests_name("logagg", tests, NULL, NULL);
}
