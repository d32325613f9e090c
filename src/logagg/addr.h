/* addr.h — client addresses: IPv4 and IPv6 text → one normalised 16-byte binary key, and back.
 *
 * IPv4 a.b.c.d is stored as the IPv4-mapped IPv6 address ::ffff:a.b.c.d, so "10.0.0.1" and
 * "::ffff:10.0.0.1" are one client with one key. The parsers read only [p, p+n) (no NUL needed),
 * never allocate and accept only the strict textual forms (no leading zeros in IPv4 octets, no
 * zone ids): anything else is a bad address, counted by the caller. The hash is part of the
 * state-file format (HyperLogLog registers depend on it): it must never change within a version.
 */
#ifndef LG_ADDR_H
#define LG_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
	uint8_t b[16];
} lg_addr_t;

/* Longest text lg_addr_format writes, with its NUL ("ffff:...:255.255.255.255" is 45 chars). */
#define LG_ADDR_STRLEN 46

/* Parses exactly n bytes as an IPv4 address; returns 0 and fills *out with the 32-bit host-order value. */
int lg_ipv4_parse(const char *p, size_t n, uint32_t *out);
/* The per-line fast path: if the 16 bytes at p (all must be readable) start with a dotted quad
 * followed by ' ', returns its length (7..15) and fills *out; else 0, and the caller falls back to
 * lg_addr_parse, which accepts the same IPv4 syntax. SSSE3 when the CPU has it (checked once at
 * start-up), else memchr + lg_ipv4_parse. */
size_t lg_ipv4_scan16(const char *p, uint32_t *out);
/* The per-line IPv6 path: the n-byte field at p (p[0..48) must be readable) in plain hex-and-colon
 * form; returns 0 and fills *out, or -1, in which case lg_addr_parse decides (IPv4 tails, and
 * anything that is not an address). Branch-free on SSE2: ~12 mispredicted branches an address
 * fewer than lg_addr_parse's digit loop. */
int lg_ipv6_scan48(const char *p, size_t n, lg_addr_t *out);
/* Parses exactly n bytes as IPv4 or IPv6; returns 0 on success, -1 if it is not an address. */
int lg_addr_parse(const char *p, size_t n, lg_addr_t *out);
/* Writes the canonical text (dotted quad for IPv4-mapped, RFC 5952 otherwise); returns its length. */
size_t lg_addr_format(const lg_addr_t *a, char out[LG_ADDR_STRLEN]);

static inline void lg_addr_from_v4(lg_addr_t *a, uint32_t v4)
{
	memset(a->b, 0, 10);
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = (uint8_t)(v4 >> 24);
	a->b[13] = (uint8_t)(v4 >> 16);
	a->b[14] = (uint8_t)(v4 >> 8);
	a->b[15] = (uint8_t)v4;
}

/* Returns 1 and the host-order IPv4 value if a is IPv4-mapped. */
static inline int lg_addr_is_v4(const lg_addr_t *a, uint32_t *v4)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a->b, prefix, 12) != 0)
		return 0;
	*v4 = (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 | a->b[15];
	return 1;
}

/* splitmix64's finaliser: a full-avalanche 64-bit mixer, cheap enough for every line. */
static inline uint64_t lg_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* The stable 64-bit hash of a normalised address (HyperLogLog, Space-Saving index, IPv6 table). */
static inline uint64_t lg_addr_hash(const lg_addr_t *a)
{
	uint64_t hi, lo;
	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return lg_mix64(hi * 0x9e3779b97f4a7c15ULL ^ lg_mix64(lo));
}

#endif
