/* loggen.c — realistic nginx "combined" access logs with exact ground truth, for logagg's tests and
 * benchmark.
 *
 * Clients are ranks 1..C drawn from a Zipf(s) law (default s = 1.0: a few heavy clients, a long tail
 * that still appears a few times each). A rank maps bijectively to an address, so distinct ranks are
 * distinct clients; a share of clients are IPv6. To exercise normalisation, some IPv4 requests are
 * written as ::ffff:a.b.c.d and some IPv6 ones uncompressed in capitals: one client, several
 * spellings. Malformed lines are mixed in at a given rate (empty, cut before the status, binary
 * garbage, impossible address), and some valid lines carry non-UTF-8 bytes in the user agent, as real
 * logs do. The truth file (JSON) gives requests, clients, malformed lines and the top clients.
 *
 * usage: loggen [--size BYTES[K|M|G] | --lines N] [--clients C] [--zipf S] [--ipv6 PERCENT]
 *               [--bad PER_MILLION] [--seed N] [--top N] [--truth FILE] -o FILE
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* splitmix64: fast, good enough for synthetic traffic, reproducible from --seed */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static double rnd01(void) { return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0); }

/* A bijection on 32 bits (odd multiply and xorshifts are each invertible). */
static uint32_t bij32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

typedef struct {
	int v6;
	uint32_t v4;
	uint16_t g[8];
} client_t;

static client_t client_of(uint32_t rank, unsigned ipv6_pct, uint64_t seed)
{
	client_t c = { 0 };
	uint32_t h = bij32(rank ^ (uint32_t)seed);
	c.v6 = bij32(rank * 2654435761U + 7) % 100 < ipv6_pct;
	if (!c.v6) {
		c.v4 = h;
		/* keep out of 0.x.x.x so every address looks like a routable client */
		if ((c.v4 >> 24) == 0)
			c.v4 |= 0x01000000u ^ (h & 0x80000000u);
		return c;
	}
	/* 2001:db8:<rank-derived>: the rank in the low 32 bits keeps addresses distinct. */
	c.g[0] = 0x2001;
	c.g[1] = 0x0db8;
	c.g[2] = (uint16_t)(h >> 16);
	c.g[3] = (uint16_t)(rank % 3 == 0 ? 0 : h);
	c.g[4] = 0;
	c.g[5] = 0;
	c.g[6] = (uint16_t)(rank >> 16);
	c.g[7] = (uint16_t)rank;
	return c;
}

/* The canonical text (what logagg prints). */
static int fmt_canon(const client_t *c, char *o)
{
	if (!c->v6)
		return sprintf(o, "%u.%u.%u.%u", c->v4 >> 24, c->v4 >> 16 & 255, c->v4 >> 8 & 255, c->v4 & 255);
	int best = -1, bl = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && c->g[j] == 0)
			j++;
		if (j - i > bl)
			best = i, bl = j - i;
		i = j > i ? j : i + 1;
	}
	int n = 0;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			n += sprintf(o + n, "::");
			i += bl - 1;
			continue;
		}
		n += sprintf(o + n, "%s%x", i > 0 && i != best + bl ? ":" : "", c->g[i]);
	}
	return n;
}

/* Another spelling of the same client, one request in 50. */
static int fmt_alt(const client_t *c, char *o)
{
	if (!c->v6)
		return sprintf(o, "::ffff:%u.%u.%u.%u", c->v4 >> 24, c->v4 >> 16 & 255, c->v4 >> 8 & 255, c->v4 & 255);
	return sprintf(o, "%X:%X:%X:%X:%X:%X:%X:%X", c->g[0], c->g[1], c->g[2], c->g[3], c->g[4], c->g[5], c->g[6], c->g[7]);
}

static const char *const PATHS[] = {
	"/", "/index.html", "/api/v1/items?page=2", "/static/css/site.3f2a.css", "/static/js/app.91bc.js",
	"/images/logo.png", "/blog/2026/11/memory-bounded-aggregation", "/login", "/search?q=nginx+log",
	"/favicon.ico", "/robots.txt", "/products/1234567/reviews",
};
static const char *const METHODS[] = { "GET", "GET", "GET", "GET", "POST", "HEAD" };
static const char *const STATUS[] = { "200", "200", "200", "200", "304", "301", "404", "499", "500" };
static const char *const REFS[] = {
	"-", "https://www.google.com/", "https://example.com/", "https://example.com/blog/",
	"https://www.bing.com/search?q=access+log",
};
static const char *const UAS[] = {
	"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"curl/7.88.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) \xe9\xa6\xff\xfe-bad-utf8",
};
#define N(a) (sizeof(a) / sizeof *(a))

static unsigned long long parse_size(const char *s)
{
	char *e;
	double v = strtod(s, &e);
	switch (*e) {
	case 'k': case 'K': v *= 1e3; break;
	case 'm': case 'M': v *= 1e6; break;
	case 'g': case 'G': v *= 1e9; break;
	}
	return (unsigned long long)v;
}

typedef struct {
	uint32_t rank;
	uint64_t count;
} rc_t;

static int by_count(const void *a, const void *b)
{
	const rc_t *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : (x->rank > y->rank) - (x->rank < y->rank);
}

int main(int argc, char **argv)
{
	unsigned long long size = 0, lines = 0;
	uint32_t nclients = 1000000;
	double zipf = 1.0;
	unsigned ipv6 = 15, bad_ppm = 100, top = 20;
	uint64_t seed = 1;
	const char *out = NULL, *truth = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "loggen: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "--size")) size = parse_size(v);
		else if (!strcmp(a, "--lines")) lines = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--clients")) nclients = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--zipf")) zipf = strtod(v, NULL);
		else if (!strcmp(a, "--ipv6")) ipv6 = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--bad")) bad_ppm = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--top")) top = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--truth")) truth = v;
		else if (!strcmp(a, "-o")) out = v;
		else {
			fprintf(stderr, "loggen: unknown option %s\n", a);
			return 2;
		}
		i++;
	}
	if (!out || (!size && !lines) || nclients == 0) {
		fprintf(stderr, "usage: loggen (--size BYTES | --lines N) [--clients C] [--zipf S] [--ipv6 PCT] "
				"[--bad PPM] [--seed N] [--top N] [--truth FILE] -o FILE\n");
		return 2;
	}
	rng_state = seed;
	/* Zipf CDF over ranks; sampling is a binary search (~20 steps). */
	double *cdf = malloc(sizeof *cdf * nclients);
	uint64_t *count = calloc(nclients, sizeof *count);
	if (!cdf || !count)
		return 1;
	double sum = 0;
	for (uint32_t r = 0; r < nclients; r++)
		cdf[r] = (sum += 1.0 / pow(r + 1, zipf));
	for (uint32_t r = 0; r < nclients; r++)
		cdf[r] /= sum;
	FILE *f = fopen(out, "wb");
	if (!f) {
		perror(out);
		return 1;
	}
	static char iobuf[1 << 20];
	setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
	unsigned long long written = 0, nlines = 0, pv = 0, bad = 0;
	unsigned sec = 0;
	char line[1024];
	while (lines ? nlines < lines : written < size) {
		int n;
		if (rnd() % 1000000 < bad_ppm) {
			switch (rnd() % 4) {
			case 0: n = 0; break;
			case 1: n = sprintf(line, "10.%u.%u.%u - - [21/Nov/2026:06:", (unsigned)(rnd() % 256), (unsigned)(rnd() % 256), (unsigned)(rnd() % 256)); break;
			case 2:
				n = 20 + (int)(rnd() % 200);
				for (int i = 0; i < n; i++) {
					line[i] = (char)(rnd() % 256);
					if (line[i] == '\n')
						line[i] = 0;
				}
				line[0] = (char)(0x80 | (rnd() & 0x7f)); /* never starts like an address or '#' */
				break;
			default:
				n = sprintf(line, "%u.1.2.3 - - [21/Nov/2026:06:37:50 +0000] \"GET / HTTP/1.1\" 200 12 \"-\" \"curl/7.88.1\"",
					    256 + (unsigned)(rnd() % 700));
			}
			bad++;
		} else {
			double u = rnd01();
			uint32_t lo = 0, hi = nclients - 1;
			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;
				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			count[lo]++;
			pv++;
			client_t c = client_of(lo + 1, ipv6, seed);
			n = rnd() % 50 == 0 ? fmt_alt(&c, line) : fmt_canon(&c, line);
			sec += rnd() % 3 == 0;
			n += sprintf(line + n, " - - [21/Nov/2026:%02u:%02u:%02u +0000] \"%s %s HTTP/1.1\" %s %u \"%s\" \"%s\"",
				     sec / 3600 % 24, sec / 60 % 60, sec % 60, METHODS[rnd() % N(METHODS)],
				     PATHS[rnd() % N(PATHS)], STATUS[rnd() % N(STATUS)], (unsigned)(rnd() % 60000),
				     REFS[rnd() % N(REFS)], UAS[rnd() % N(UAS)]);
		}
		line[n++] = '\n';
		fwrite(line, 1, (size_t)n, f);
		written += (unsigned long long)n;
		nlines++;
	}
	if (fclose(f) != 0) {
		perror(out);
		return 1;
	}
	if (truth) {
		FILE *t = fopen(truth, "w");
		if (!t) {
			perror(truth);
			return 1;
		}
		rc_t *v = malloc(sizeof *v * nclients);
		uint32_t uv = 0;
		for (uint32_t r = 0; r < nclients; r++)
			if (count[r])
				v[uv++] = (rc_t){ r + 1, count[r] };
		qsort(v, uv, sizeof *v, by_count);
		fprintf(t, "{\"lines\": %llu, \"bytes\": %llu, \"requests\": %llu, \"clients\": %u, \"malformed\": %llu, \"top\": [",
			nlines, written, pv, uv, bad);
		for (uint32_t i = 0; i < uv && i < top; i++) {
			char a[64];
			client_t c = client_of(v[i].rank, ipv6, seed);
			fmt_canon(&c, a);
			fprintf(t, "%s{\"client\": \"%s\", \"requests\": %llu}", i ? ", " : "", a, (unsigned long long)v[i].count);
		}
		fprintf(t, "]}\n");
		free(v);
		fclose(t);
	}
	free(cdf);
	free(count);
	return 0;
}
