/* fuzz_parse.c — libFuzzer target for the line parser and the per-line counting path.
 *
 * The first byte picks the address source (remote / field N / X-Forwarded-For); the rest is fed as
 * a chunk of log lines to lg_agg_feed with a tiny memory budget, so the exact table, its growth and
 * the switch to sketches are all reached. Checks the invariant every report relies on: each line is
 * counted exactly once, as a request, a comment or a malformed line of some reason. Then checks
 * that the one-pass lg_parse_next (SIMD fast path included) finds every line's end, verdict and
 * address exactly as memchr + lg_parse_line do.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logagg/agg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	lg_parse_cfg_t cfg = { (lg_src_t)(data[0] % 3), (unsigned)(data[0] / 3 % 8) + 1 };
	/* An exact-size heap copy, so ASan catches any read past the end of the chunk. */
	size_t n = size - 1;
	char *buf = malloc(n ? n : 1);
	memcpy(buf, data + 1, n);
	lg_agg_t g;
	lg_agg_init(&g, 16384);
	lg_agg_feed(&g, &cfg, buf, n);
	uint64_t lines = 0, total = 0;
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	if (n && buf[n - 1] != '\n')
		lines++;
	for (int r = 0; r < LG_LINE_NREASONS; r++)
		total += g.lines[r];
	if (total != lines || g.lines[LG_LINE_OK] != g.pv)
		abort();
	for (const char *p = buf, *end = buf + n; p < end;) {
		const char *e, *nl = memchr(p, '\n', (size_t)(end - p)), *we = nl ? nl : end;
		lg_addr_t a, b;
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		lg_line_t r = lg_parse_next(&cfg, p, end, &e, &a);
		lg_line_t want = we - p > LG_MAX_LINE ? LG_LINE_OVERLONG : lg_parse_line(&cfg, p, (size_t)(we - p), &b);
		if (e != we || r != want || ((r == LG_LINE_OK || r == LG_LINE_HOSTNAME) && memcmp(&a, &b, sizeof a) != 0))
			abort();
		p = e + 1;
	}
	size_t k;
	free(lg_agg_top(&g, 5, &k));
	lg_agg_free(&g);
	free(buf);
	return 0;
}
