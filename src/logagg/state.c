/* state.c — see state.h. */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/crc32.h"
#include "core/varint.h"
#include "output.h"

static const uint8_t MAGIC[8] = { 'L', 'O', 'G', 'A', 'G', 'G', 'S', 0 };

enum { MODE_EXACT = 0, MODE_SKETCH = 1 };

/* A buffered writer that keeps the running CRC. */
typedef struct {
	FILE *f;
	ml_buf_t b;
	uint32_t crc;
} sink_t;

static void sink_flush(sink_t *s)
{
	if (!s->b.len)
		return;
	s->crc = ml_crc32(s->crc, s->b.data, s->b.len);
	fwrite(s->b.data, 1, s->b.len, s->f);
	ml_buf_clear(&s->b);
}

static void sink_maybe_flush(sink_t *s)
{
	if (s->b.len >= 65536)
		sink_flush(s);
}

int lg_state_write(const char *path, const lg_agg_t *g, char *why, size_t whylen)
{
	lg_atomic_t at;
	if (lg_atomic_open(&at, path) != 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	sink_t s = { .f = at.f };
	ml_buf_put(&s.b, MAGIC, sizeof MAGIC);
	ml_buf_put_u32le(&s.b, LG_STATE_VERSION);
	ml_buf_put_varint(&s.b, g->pv);
	ml_buf_put_varint(&s.b, LG_LINE_NREASONS);
	for (int r = 0; r < LG_LINE_NREASONS; r++)
		ml_buf_put_varint(&s.b, g->lines[r]);
	if (!g->sketch) {
		ml_buf_put_u8(&s.b, MODE_EXACT);
		const lg_table_t *t = &g->table;
		ml_buf_put_varint(&s.b, t->used4 - t->moved4);
		for (size_t i = 0; t->s4 && i <= t->mask4; i++) {
			if (!t->s4[i].count || t->s4[i].count == UINT32_MAX)
				continue;
			ml_buf_put_u32le(&s.b, t->s4[i].key);
			ml_buf_put_varint(&s.b, t->s4[i].count);
			sink_maybe_flush(&s);
		}
		ml_buf_put_varint(&s.b, t->used16);
		for (size_t i = 0; t->s16 && i <= t->mask16; i++) {
			if (!t->s16[i].count)
				continue;
			ml_buf_put(&s.b, t->s16[i].key.b, 16);
			ml_buf_put_varint(&s.b, t->s16[i].count);
			sink_maybe_flush(&s);
		}
	} else {
		ml_buf_put_u8(&s.b, MODE_SKETCH);
		ml_buf_put_u8(&s.b, LG_HLL_P);
		ml_buf_put(&s.b, g->hll->reg, LG_HLL_M);
		ml_buf_put_varint(&s.b, g->topk.k);
		ml_buf_put_varint(&s.b, g->topk.n);
		for (size_t i = 0; i < g->topk.n; i++) {
			ml_buf_put(&s.b, g->topk.heap[i].key.b, 16);
			ml_buf_put_varint(&s.b, g->topk.heap[i].count);
			ml_buf_put_varint(&s.b, g->topk.heap[i].err);
			sink_maybe_flush(&s);
		}
	}
	sink_flush(&s);
	uint8_t crc[4] = { (uint8_t)s.crc, (uint8_t)(s.crc >> 8), (uint8_t)(s.crc >> 16), (uint8_t)(s.crc >> 24) };
	fwrite(crc, 1, 4, s.f);
	int failed = ml_buf_failed(&s.b);
	ml_buf_free(&s.b);
	if (failed) {
		lg_atomic_abort(&at);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (lg_atomic_commit(&at) != 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

typedef struct {
	const uint8_t *p, *end;
	int bad;
} cur_t;

static uint64_t get_varint(cur_t *c)
{
	uint64_t v = 0;
	size_t k = c->bad ? 0 : ml_varint_get(c->p, c->end, &v);
	if (!k) {
		c->bad = 1;
		return 0;
	}
	c->p += k;
	return v;
}

static const uint8_t *get_bytes(cur_t *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return NULL;
	}
	const uint8_t *r = c->p;
	c->p += n;
	return r;
}

/* Reads one address family's clients — count, then count × (key, requests) — into g. Keys are
 * `width` bytes: 4 for IPv4 (little-endian), 16 for IPv6. The count is checked against the bytes
 * left before anything is read, and the requests against the PV still unaccounted for. Returns 0, or
 * -1 with the reason in why. */
static int read_clients(cur_t *c, lg_agg_t *g, size_t width, uint64_t *sum, char *why, size_t whylen)
{
	const char *family = width == 4 ? "IPv4" : "IPv6";
	uint64_t n = get_varint(c);
	if (c->bad || n > (uint64_t)(c->end - c->p) / (width + 1)) {
		snprintf(why, whylen, "corrupt state file (%s client count)", family);
		return -1;
	}
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *k = get_bytes(c, width);
		uint64_t cnt = get_varint(c);
		if (c->bad || cnt == 0 || cnt > g->pv - *sum) {
			snprintf(why, whylen, "corrupt state file (%s client %llu)", family, (unsigned long long)i);
			return -1;
		}
		*sum += cnt;
		lg_addr_t a;
		if (width == 4)
			lg_addr_from_v4(&a, (uint32_t)k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24);
		else
			memcpy(a.b, k, 16);
		lg_agg_add(g, &a, cnt);
	}
	return 0;
}

#define FAIL(...) do { snprintf(why, whylen, __VA_ARGS__); goto fail; } while (0)

int lg_state_decode(const uint8_t *p, size_t n, lg_agg_t *out, char *why, size_t whylen)
{
	lg_agg_t g;
	lg_agg_init(&g, out->table.budget);
	if (n < sizeof MAGIC + 8 || memcmp(p, MAGIC, sizeof MAGIC) != 0)
		FAIL("not a logagg state file");
	uint32_t ver = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 24;
	if (ver != LG_STATE_VERSION)
		FAIL("state file version %u, this logagg reads version %u", ver, LG_STATE_VERSION);
	uint32_t want = (uint32_t)p[n - 4] | (uint32_t)p[n - 3] << 8 | (uint32_t)p[n - 2] << 16 | (uint32_t)p[n - 1] << 24;
	if (ml_crc32(0, p, n - 4) != want)
		FAIL("corrupt state file (checksum mismatch)");
	cur_t c = { p + 12, p + n - 4, 0 };
	g.pv = get_varint(&c);
	uint64_t nr = get_varint(&c);
	if (c.bad || nr != LG_LINE_NREASONS)
		FAIL("corrupt state file (header)");
	for (int r = 0; r < LG_LINE_NREASONS; r++)
		g.lines[r] = get_varint(&c);
	if (c.bad || g.lines[LG_LINE_OK] != g.pv)
		FAIL("corrupt state file (line counts)");
	const uint8_t *mode = get_bytes(&c, 1);
	if (!mode)
		FAIL("corrupt state file (truncated)");
	uint64_t sum = 0;
	if (*mode == MODE_EXACT) {
		if (read_clients(&c, &g, 4, &sum, why, whylen) < 0 || read_clients(&c, &g, 16, &sum, why, whylen) < 0)
			goto fail;
		if (sum != g.pv)
			FAIL("corrupt state file (client counts do not add up to the requests)");
	} else if (*mode == MODE_SKETCH) {
		const uint8_t *pp = get_bytes(&c, 1);
		if (!pp || *pp != LG_HLL_P)
			FAIL("corrupt state file (sketch precision)");
		const uint8_t *reg = get_bytes(&c, LG_HLL_M);
		uint64_t k = get_varint(&c), nk = get_varint(&c);
		if (c.bad || k != LG_TOPK_K || nk > k)
			FAIL("corrupt state file (sketch size)");
		if (lg_agg_to_sketch(&g))
			FAIL("out of memory");
		for (uint32_t i = 0; i < LG_HLL_M; i++) {
			if (reg[i] > 64 - LG_HLL_P + 1)
				FAIL("corrupt state file (sketch register)");
			g.hll->reg[i] = reg[i];
		}
		for (uint64_t i = 0; i < nk; i++) {
			lg_topk_item_t it;
			const uint8_t *key = get_bytes(&c, 16);
			it.count = get_varint(&c);
			it.err = get_varint(&c);
			if (c.bad || it.count == 0 || it.err > it.count || it.count - it.err > g.pv)
				FAIL("corrupt state file (top client %llu)", (unsigned long long)i);
			memcpy(it.key.b, key, 16);
			lg_topk_add_item(&g.topk, &it);
		}
		if (g.topk.n != nk)
			FAIL("corrupt state file (duplicate top clients)");
	} else {
		FAIL("corrupt state file (unknown mode %u)", *mode);
	}
	if (c.p != c.end)
		FAIL("corrupt state file (trailing bytes)");
	if (g.oom)
		FAIL("out of memory");
	if (lg_agg_merge(out, &g) != 0)
		FAIL("out of memory");
	lg_agg_free(&g);
	return 0;
fail:
	lg_agg_free(&g);
	return -1;
}

int lg_state_read(const char *path, lg_agg_t *g, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	ml_buf_t b = { 0 };
	for (;;) {
		uint8_t *d = ml_buf_reserve(&b, 1 << 16);
		if (!d)
			break;
		size_t k = fread(d, 1, 1 << 16, f);
		b.len += k;
		if (k < (1 << 16))
			break;
	}
	int err = ferror(f);
	fclose(f);
	int rc;
	if (ml_buf_failed(&b)) {
		snprintf(why, whylen, "out of memory");
		rc = -1;
	} else if (err) {
		snprintf(why, whylen, "read error");
		rc = -1;
	} else {
		rc = lg_state_decode(b.data ? b.data : (const uint8_t *)"", b.len, g, why, whylen);
	}
	ml_buf_free(&b);
	return rc;
}
