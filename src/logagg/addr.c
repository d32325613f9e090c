/* addr.c — see addr.h. Hand-written because inet_pton needs a NUL-terminated copy of every field
 * and is ~3x slower on the hot path; the accepted syntax is the same as inet_pton's. */
#include "addr.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <tmmintrin.h> /* SSSE3, for one function compiled with target("ssse3") */
#endif

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

/* ---- The per-line IPv4 scan ---- */

static size_t scan16_portable(const char *p, uint32_t *out)
{
	const char *sp = memchr(p, ' ', 16);
	if (!sp || lg_ipv4_parse(p, (size_t)(sp - p), out) != 0)
		return 0;
	return (size_t)(sp - p);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
/* SSSE3 (W. Muła's method): the positions of the three dots and of the ' ' after the address form a
 * key; valid addresses have 81 keys (octets of 1-3 digits), which the multiplier below maps to
 * distinct slots of a 256-entry table. The slot holds the key (to reject everything else), a
 * pshufb pattern that moves each octet's digits to fixed lanes, and the positions where a '0'
 * would be a leading zero. No branch depends on the octet lengths: ~6 ns an address instead of ~20
 * for the byte-by-byte scan, whose branches mispredicted on the random lengths. The table is
 * built by the compiler (-Woverride-init would flag two keys sharing a slot). */
#define KEY(a, b, c, d) (1u << (a) | 1u << ((a) + (b) + 1) | 1u << ((a) + (b) + (c) + 2) | 1u << ((a) + (b) + (c) + (d) + 3))
#define SLOT(key) ((uint32_t)((key) * 0xe07bdb9fu) >> 24)
/* Shuffle bytes [hundreds, tens, units, 0] of an octet of l digits at s; 0x80 makes a zero. */
#define OCT(s, l) (l) == 3 ? (s) : 0x80, (l) >= 2 ? (s) + (l) - 2 : 0x80, (s) + (l) - 1, 0x80
#define LEAD(s, l) ((l) > 1 ? 1u << (s) : 0u)
#define PAT(a, b, c, d)                                                                                   \
	[SLOT(KEY(a, b, c, d))] = { { OCT(0, a), OCT((a) + 1, b), OCT((a) + (b) + 2, c), OCT((a) + (b) + (c) + 3, d) }, \
				    KEY(a, b, c, d),                                                         \
				    LEAD(0, a) | LEAD((a) + 1, b) | LEAD((a) + (b) + 2, c) | LEAD((a) + (b) + (c) + 3, d) }
#define PAT4(a, b, c) PAT(a, b, c, 1), PAT(a, b, c, 2), PAT(a, b, c, 3)
#define PAT3(a, b) PAT4(a, b, 1), PAT4(a, b, 2), PAT4(a, b, 3)
#define PAT2(a) PAT3(a, 1), PAT3(a, 2), PAT3(a, 3)

typedef struct {
	uint8_t shuffle[16];
	uint32_t key, lead;
} quad_pattern_t;

static const quad_pattern_t quad_pattern[256] = { PAT2(1), PAT2(2), PAT2(3) };

__attribute__((target("ssse3"))) static size_t scan16_ssse3(const char *p, uint32_t *out)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
	unsigned digit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
	unsigned dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
	unsigned zero = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128()));
	unsigned end = ((digit | dot) + 1) & ~(digit | dot); /* the first byte that is neither */
	unsigned key = (dot & (end - 1)) | end;
	const quad_pattern_t *pat = &quad_pattern[SLOT(key)];
	if (pat->key != key || p[__builtin_ctz(end)] != ' ' || (zero & pat->lead))
		return 0;
	/* Lanes of [h, t, u, 0] → h*100 + t*10 + u per 32-bit lane. */
	const __m128i digits = _mm_shuffle_epi8(d, _mm_loadu_si128((const __m128i *)(const void *)pat->shuffle));
	const __m128i oct = _mm_madd_epi16(_mm_maddubs_epi16(digits, _mm_set1_epi32(0x00010a64)), _mm_set1_epi16(1));
	if (_mm_movemask_epi8(_mm_cmpgt_epi32(oct, _mm_set1_epi32(255))))
		return 0;
	const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(oct, oct), oct);
	*out = __builtin_bswap32((uint32_t)_mm_cvtsi128_si32(bytes));
	return __builtin_ctz(end);
}

static int have_ssse3;

/* Before main, so worker threads only ever read the flag. */
__attribute__((constructor)) static void detect_ssse3(void)
{
	__builtin_cpu_init();
	have_ssse3 = __builtin_cpu_supports("ssse3");
}

size_t lg_ipv4_scan16(const char *p, uint32_t *out)
{
	return have_ssse3 ? scan16_ssse3(p, out) : scan16_portable(p, out);
}
#else
size_t lg_ipv4_scan16(const char *p, uint32_t *out)
{
	return scan16_portable(p, out);
}
#endif

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Eight 16-bit groups into the key, in network order. */
static inline void put_groups(const uint16_t g[8], lg_addr_t *out)
{
	for (int i = 0; i < 8; i++) {
		out->b[2 * i] = (uint8_t)(g[i] >> 8);
		out->b[2 * i + 1] = (uint8_t)g[i];
	}
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
	put_groups(full, out);
	return 0;
}

/* ---- The per-line IPv6 scan ---- */

#if defined(__SSE2__)
/* One group of len (1..4) hex digits at s, branch-free: nibbles from the ASCII codes ('a'/'A' have
 * bit 6 set), shifted to the top of 32 bits so each digit's place is fixed, then paired up. */
static inline unsigned hex_group(const char *s, unsigned len)
{
	uint32_t x;
	memcpy(&x, s, 4);
	uint64_t nib = (x & 0x0f0f0f0fu) + 9 * ((x >> 6) & 0x01010101u);
	uint64_t y = (nib << (8 * (4 - len))) & 0xffffffffu;
	uint64_t t = ((y & 0x00ff00ffu) << 4) | ((y >> 8) & 0x00ff00ffu);
	return (unsigned)(((t & 0xff) << 8) | ((t >> 16) & 0xff));
}

/* Set bits of a value below 2^48, without the POPCNT instruction (not in baseline x86-64). */
static inline unsigned popcount48(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

int lg_ipv6_scan48(const char *p, size_t n, lg_addr_t *out)
{
	if (n < 2 || n > 39)
		return -1; /* 39: eight groups of four; longer forms have an IPv4 tail */
	uint64_t hex = 0, colon = 0, field = (1ull << n) - 1;
	for (int i = 0; i < 3; i++) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
		const __m128i l = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
		const __m128i h = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d),
					       _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l));
		hex |= (uint64_t)(unsigned)_mm_movemask_epi8(h) << 16 * i;
		colon |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))) << 16 * i;
	}
	if (((hex | colon) & field) != field)
		return -1;
	hex &= field;
	colon &= field;
	/* At most one "::" (no ":::"); every other ':' between two groups; groups of at most 4 digits. */
	uint64_t pair = colon & (colon >> 1), single = colon & ~pair & ~(pair << 1);
	if ((pair & (pair - 1)) || (single & ~(hex << 1)) || (single & ~(hex >> 1)) ||
	    (hex & hex >> 1 & hex >> 2 & hex >> 3 & hex >> 4))
		return -1;
	uint64_t starts = hex & ~(hex << 1);
	unsigned ng = popcount48(starts);
	if (pair ? ng > 7 : ng != 8)
		return -1;
	/* Groups after the "::" move to the end; absent ones (i >= ng) write to slot 8, dropped. */
	unsigned gap = pair ? (unsigned)__builtin_ctzll(pair) : 64, shift = 8 - ng;
	uint16_t g[9] = { 0 };
#pragma GCC unroll 8
	for (unsigned i = 0; i < 8; i++) {
		unsigned at = (unsigned)__builtin_ctzll(starts | 1ull << 40), here = i < ng;
		starts &= starts - 1;
		unsigned len = (unsigned)__builtin_ctzll(~(hex >> at));
		g[here ? i + (at > gap) * shift : 8] = (uint16_t)hex_group(p + at, len);
	}
	put_groups(g, out);
	return 0;
}
#else
int lg_ipv6_scan48(const char *p, size_t n, lg_addr_t *out)
{
	return ipv6_parse(p, n, out);
}
#endif

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
