/* parse.c — see parse.h. */
#include "parse.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* A DNS-looking name (letters, digits, '-', '.', with at least one letter): reported as its own
 * reason because a log full of host names is a configuration choice, not corruption. */
static int looks_like_hostname(const char *p, size_t n)
{
	int alpha = 0;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = (char)(p[i] | 0x20);
		if (c >= 'a' && c <= 'z')
			alpha = 1;
		else if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '.' || p[i] == '_'))
			return 0;
	}
	return alpha;
}

static lg_line_t classify(const char *p, size_t n, lg_addr_t *out)
{
	if (lg_addr_parse(p, n, out) == 0)
		return LG_LINE_OK;
	return looks_like_hostname(p, n) ? LG_LINE_HOSTNAME : LG_LINE_BAD_ADDR;
}

/* Skips one blank-free token and the single space after it; returns the new position or NULL. */
static const char *skip_token(const char *p, const char *end)
{
	const char *s = p;
	while (p < end && *p != ' ')
		p++;
	if (p == s || p >= end)
		return NULL;
	return p + 1;
}

/* `ident SP user SP [time] SP "request" SP ddd` after the address and its space. */
static int common_prefix_ok(const char *p, const char *end)
{
	if (!(p = skip_token(p, end)) || !(p = skip_token(p, end)))
		return 0;
	if (p >= end || *p != '[')
		return 0;
	/* "[21/Nov/2026:06:37:50 +0000]" is 28 bytes in every nginx log: check there before searching. */
	const char *q = end - p > 27 && p[27] == ']' ? p + 27 : memchr(p, ']', (size_t)(end - p));
	if (!q || end - q < 3 || q[1] != ' ' || q[2] != '"')
		return 0;
	/* nginx escapes '"' inside the request as \x22, so the next quote closes it. */
	q = memchr(q + 3, '"', (size_t)(end - (q + 3)));
	if (!q || end - q < 5 || q[1] != ' ')
		return 0;
	for (int i = 2; i < 5; i++)
		if ((unsigned)(q[i] - '0') > 9)
			return 0;
	return end - q == 5 || q[5] == ' ';
}

static lg_line_t parse_remote(const char *line, size_t len, lg_addr_t *out)
{
	const char *sp = memchr(line, ' ', len);
	if (!sp) {
		lg_line_t r = classify(line, len, out);
		return r == LG_LINE_BAD_ADDR ? r : LG_LINE_TRUNCATED;
	}
	lg_line_t r = classify(line, (size_t)(sp - line), out);
	if (r != LG_LINE_BAD_ADDR && !common_prefix_ok(sp + 1, line + len))
		return LG_LINE_TRUNCATED;
	return r;
}

static lg_line_t parse_field(unsigned field, const char *line, size_t len, lg_addr_t *out)
{
	const char *p = line, *end = line + len;
	for (unsigned f = 1;; f++) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			return LG_LINE_TRUNCATED;
		const char *s = p;
		while (p < end && !is_blank(*p))
			p++;
		if (f == field)
			return classify(s, (size_t)(p - s), out);
	}
}

/* nginx's default "main" format is combined plus a fourth quoted field, "$http_x_forwarded_for":
 * with at least four quoted fields (8 quotes: nginx escapes quotes inside values), the first
 * comma-separated entry of the last one is the client, without blanks or a ":port" suffix. With
 * fewer quoted fields, or "-" there, the request came directly: the client is field 1. */
static lg_line_t parse_xff(const char *line, size_t len, lg_addr_t *out)
{
	lg_line_t r = parse_remote(line, len, out);
	if (r != LG_LINE_OK && r != LG_LINE_HOSTNAME)
		return r;
	const char *end = line + len;
	int quotes = 0;
	for (const char *q = line; (q = memchr(q, '"', (size_t)(end - q))) != NULL; q++)
		quotes++;
	while (end > line && is_blank(end[-1]))
		end--;
	if (quotes < 8 || end[-1] != '"')
		return r;
	const char *close = end - 1, *open = close;
	while (open[-1] != '"')
		open--;
	const char *p = open, *e = memchr(open, ',', (size_t)(close - open));
	if (!e)
		e = close;
	while (p < e && is_blank(*p))
		p++;
	while (e > p && is_blank(e[-1]))
		e--;
	if (e == p || (e - p == 1 && *p == '-'))
		return r;
	/* "[v6]:port" and "v4:port" appear when a proxy appends the port. */
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(e - p));
		if (!rb)
			return LG_LINE_BAD_ADDR;
		p++;
		e = rb;
	} else {
		const char *c = memchr(p, ':', (size_t)(e - p));
		if (c && !memchr(c + 1, ':', (size_t)(e - c - 1)) && memchr(p, '.', (size_t)(c - p)))
			e = c;
	}
	return classify(p, (size_t)(e - p), out);
}

lg_line_t lg_parse_line(const lg_parse_cfg_t *cfg, const char *line, size_t len, lg_addr_t *out)
{
	size_t i = 0;
	while (i < len && is_blank(line[i]))
		i++;
	if (i == len)
		return LG_LINE_EMPTY;
	if (line[0] == '#')
		return LG_LINE_COMMENT;
	switch (cfg->src) {
	case LG_SRC_FIELD:
		return parse_field(cfg->field, line, len, out);
	case LG_SRC_XFF:
		return parse_xff(line, len, out);
	default:
		return parse_remote(line, len, out);
	}
}

/* ---- One pass for the default format ---- */

#if defined(__SSE2__)
/* Bit i set where p[i] is a or b, for the 32 bytes at p. */
static inline unsigned match32(const char *p, char a, char b)
{
	const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	unsigned lo = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
	unsigned hi = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(y, va), _mm_cmpeq_epi8(y, vb)));
	return lo | hi << 16;
}
#else
static inline unsigned match32(const char *p, char a, char b)
{
	unsigned m = 0;
	for (unsigned i = 0; i < 32; i++)
		m |= (unsigned)(p[i] == a || p[i] == b) << i;
	return m;
}
#endif

/* The first a or b in [p, end), or end: 32 bytes a step, without memchr's per-call cost (most
 * searches here end within 100 bytes). */
static inline const char *find2(const char *p, const char *end, char a, char b)
{
	for (; end - p >= 32; p += 32) {
		unsigned m = match32(p, a, b);
		if (m)
			return p + __builtin_ctz(m);
	}
	while (p < end && *p != a && *p != b)
		p++;
	return p;
}

/* The most the one-pass path reads at fixed offsets from a line start: 64 bytes to find the end of
 * an IPv6 field, or up to 82 for the time field after it. Closer to the end of the buffer, the
 * general path takes the line. */
#define FAST_READ 96

/* The line as nginx writes it by default, in one pass: client, "- - [", a 26-byte time, "request",
 * status; then the '\n' is searched from the status on, not from the line start. Returns 0 and
 * the line end, or -1 for anything else (other spellings of the prefix, malformed lines, host
 * names), which lg_parse_next gives to the general path: every line this accepts, lg_parse_line
 * accepts with the same address (checked by the unit tests and fuzz_parse.c). */
static int fast_remote(const char *p, const char *end, const char **eol, lg_addr_t *out)
{
	if (end - p < FAST_READ)
		return -1;
	uint32_t v4;
	size_t n = lg_ipv4_scan16(p, &v4);
	const char *s;
	if (n) {
		lg_addr_from_v4(out, v4);
		s = p + n + 1;
	} else {
		/* IPv6 (45 bytes at most): the field ends at the first ' ', which must come before any '\n'. */
		uint64_t m = match32(p, ' ', '\n') | (uint64_t)match32(p + 32, ' ', '\n') << 32;
		const char *sp = p + (m ? __builtin_ctzll(m) : 64);
		if (sp == p + 64 || *sp != ' ' ||
		    (lg_ipv6_scan48(p, (size_t)(sp - p), out) != 0 && lg_addr_parse(p, (size_t)(sp - p), out) != 0))
			return -1;
		s = sp + 1;
	}
	if (memcmp(s, "- - [", 5) != 0)
		return -1;
	/* "[21/Nov/2026:06:37:50 +0000] \"": ']' at 27, no '\n' inside. */
	const char *t = s + 4;
	if (t[27] != ']' || t[28] != ' ' || t[29] != '"' || (match32(t, '\n', '\n') & 0x0ffffffeu))
		return -1;
	const char *q = find2(t + 30, end, '"', '\n');
	if (end - q < 6 || *q != '"' || q[1] != ' ' || (unsigned)(q[2] - '0') > 9 || (unsigned)(q[3] - '0') > 9 ||
	    (unsigned)(q[4] - '0') > 9)
		return -1;
	if (q[5] == '\n')
		*eol = q + 5;
	else if (q[5] == ' ')
		*eol = find2(q + 6, end, '\n', '\n');
	else
		return -1;
	return 0;
}

lg_line_t lg_parse_next(const lg_parse_cfg_t *cfg, const char *p, const char *end, const char **eol, lg_addr_t *out)
{
	if (cfg->src == LG_SRC_REMOTE && fast_remote(p, end, eol, out) == 0 && *eol - p <= LG_MAX_LINE)
		return LG_LINE_OK;
	const char *e = memchr(p, '\n', (size_t)(end - p));
	*eol = e ? e : end;
	if (*eol - p > LG_MAX_LINE)
		return LG_LINE_OVERLONG;
	return lg_parse_line(cfg, p, (size_t)(*eol - p), out);
}

static const char *const reason_name[LG_LINE_NREASONS] = {
	"ok", "comment", "empty", "truncated", "bad address", "host name instead of address", "overlong",
};
static const char *const reason_key[LG_LINE_NREASONS] = {
	"ok", "comment", "empty", "truncated", "bad_address", "host_name", "overlong",
};

const char *lg_line_reason_name(lg_line_t r) { return r < LG_LINE_NREASONS ? reason_name[r] : "?"; }
const char *lg_line_reason_key(lg_line_t r) { return r < LG_LINE_NREASONS ? reason_key[r] : "?"; }
