/* addr.c — see addr.h. Hand-written because inet_pton needs a NUL-terminated copy of every field
 * and is ~3x slower on the hot path; the accepted syntax is the same as inet_pton's. */
#include "addr.h"

int lg_ipv4_parse(const char *p, size_t n, uint32_t *out)
{
	const char *end = p + n;
	uint32_t v = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (p >= end || *p != '.')
				return -1;
			p++;
		}
		if (p >= end || (unsigned)(*p - '0') > 9)
			return -1;
		unsigned oct = (unsigned)(*p++ - '0');
		int digits = 1;
		while (p < end && (unsigned)(*p - '0') <= 9) {
			if (oct == 0 || ++digits > 3)
				return -1; /* leading zero (octal ambiguity) or too long */
			oct = oct * 10 + (unsigned)(*p++ - '0');
		}
		if (oct > 255)
			return -1;
		v = v << 8 | oct;
	}
	if (p != end)
		return -1;
	*out = v;
	return 0;
}

size_t lg_ipv4_scan(const char *p, const char *end, uint32_t *out)
{
	const char *s = p;
	uint32_t v = 0;
	for (int part = 0;; part++) {
		/* Up to three digits, no leading zero; unrolled because this runs once per line. */
		if (p >= end || (unsigned)(*p - '0') > 9)
			return 0;
		unsigned oct = (unsigned)(*p++ - '0');
		if (p < end && (unsigned)(*p - '0') <= 9) {
			if (oct == 0)
				return 0;
			oct = oct * 10 + (unsigned)(*p++ - '0');
			if (p < end && (unsigned)(*p - '0') <= 9) {
				oct = oct * 10 + (unsigned)(*p++ - '0');
				if (oct > 255 || (p < end && (unsigned)(*p - '0') <= 9))
					return 0;
			}
		}
		v = v << 8 | oct;
		if (part == 3)
			break;
		if (p >= end || *p != '.')
			return 0;
		p++;
	}
	if (p < end && *p == '.')
		return 0;
	*out = v;
	return (size_t)(p - s);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int ipv6_parse(const char *p, size_t n, lg_addr_t *out)
{
	const char *end = p + n;
	uint16_t g[8];
	int ng = 0, gap = -1;
	if (n < 2 || n > 45)
		return -1;
	if (p[0] == ':') {
		if (p[1] != ':')
			return -1;
		gap = 0;
		p += 2;
	}
	while (p < end) {
		if (ng == 8)
			return -1;
		/* One pass per group; a '.' after it means the group was the start of an IPv4 tail. */
		const char *s = p;
		unsigned v = 0;
		int d = 0, h;
		while (p < end && d < 5 && (h = hexval(*p)) >= 0) {
			v = v << 4 | (unsigned)h;
			p++;
			d++;
		}
		if (p < end && *p == '.') {
			uint32_t v4;
			if (ng > 6 || lg_ipv4_parse(s, (size_t)(end - s), &v4) != 0)
				return -1;
			g[ng++] = (uint16_t)(v4 >> 16);
			g[ng++] = (uint16_t)v4;
			p = end;
			break;
		}
		if (d == 0 || d > 4)
			return -1;
		g[ng++] = (uint16_t)v;
		if (p == end)
			break;
		if (*p != ':')
			return -1;
		p++;
		if (p < end && *p == ':') {
			if (gap >= 0)
				return -1;
			gap = ng;
			p++;
		} else if (p == end) {
			return -1; /* trailing single ':' */
		}
	}
	if (gap < 0 ? ng != 8 : ng > 7)
		return -1;
	uint16_t full[8] = { 0 };
	if (gap < 0) {
		memcpy(full, g, sizeof g);
	} else {
		for (int i = 0; i < gap; i++)
			full[i] = g[i];
		for (int i = gap; i < ng; i++)
			full[8 - (ng - i)] = g[i];
	}
	for (int i = 0; i < 8; i++) {
		out->b[2 * i] = (uint8_t)(full[i] >> 8);
		out->b[2 * i + 1] = (uint8_t)full[i];
	}
	return 0;
}

int lg_addr_parse(const char *p, size_t n, lg_addr_t *out)
{
	uint32_t v4;
	if (n >= 7 && n <= 15 && lg_ipv4_parse(p, n, &v4) == 0) {
		lg_addr_from_v4(out, v4);
		return 0;
	}
	return ipv6_parse(p, n, out);
}

size_t lg_addr_format(const lg_addr_t *a, char out[LG_ADDR_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	uint32_t v4;
	size_t n = 0;
	if (lg_addr_is_v4(a, &v4)) {
		for (int i = 3; i >= 0; i--) {
			unsigned o = v4 >> (8 * i) & 0xff;
			if (o >= 100)
				out[n++] = (char)('0' + o / 100);
			if (o >= 10)
				out[n++] = (char)('0' + o / 10 % 10);
			out[n++] = (char)('0' + o % 10);
			if (i)
				out[n++] = '.';
		}
		out[n] = 0;
		return n;
	}
	uint16_t g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (uint16_t)(a->b[2 * i] << 8 | a->b[2 * i + 1]);
	/* RFC 5952: the longest run of two or more zero groups (the first on a tie) becomes "::". */
	int best = -1, bestlen = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			out[n++] = ':';
			out[n++] = ':';
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			out[n++] = ':';
		int started = 0;
		for (int s = 12; s >= 0; s -= 4) {
			unsigned d = g[i] >> s & 0xf;
			if (d || started || s == 0) {
				out[n++] = hex[d];
				started = 1;
			}
		}
	}
	out[n] = 0;
	return n;
}
