/* varint.h — unsigned LEB128, the integer encoding of the capture format.
 *
 * Hot enough on the writer side to be inline; the decoder is bounds-checked because it reads
 * untrusted files: it never reads past `end` and rejects encodings longer than 10 bytes or with
 * bits beyond 64.
 */
#ifndef ML_VARINT_H
#define ML_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define ML_VARINT_MAX 10

/* Writes v at p (room for ML_VARINT_MAX bytes needed); returns the number of bytes written. */
static inline size_t ml_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Reads one varint from [p, end); returns bytes consumed, or 0 if truncated or malformed. */
static inline size_t ml_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < ML_VARINT_MAX && p + i < end; i++) {
		uint64_t b = p[i] & 0x7f;
		if (i == 9 && b > 1)
			return 0; /* more than 64 bits */
		v |= b << (7 * i);
		if (!(p[i] & 0x80)) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}

#endif
