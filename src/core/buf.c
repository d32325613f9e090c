/* buf.c — see buf.h. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "varint.h"

void ml_buf_free(ml_buf_t *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

uint8_t *ml_buf_reserve(ml_buf_t *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->failed = 1;
				return NULL;
			}
			cap *= 2;
		}
		uint8_t *d = realloc(b->data, cap);
		if (!d) {
			b->failed = 1;
			return NULL;
		}
		b->data = d;
		b->cap = cap;
	}
	return b->data + b->len;
}

void ml_buf_put(ml_buf_t *b, const void *p, size_t n)
{
	uint8_t *d = ml_buf_reserve(b, n);
	if (d && n) {
		memcpy(d, p, n);
		b->len += n;
	}
}

void ml_buf_put_u8(ml_buf_t *b, uint8_t v) { ml_buf_put(b, &v, 1); }

void ml_buf_put_u32le(ml_buf_t *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	ml_buf_put(b, le, 4);
}

void ml_buf_put_varint(ml_buf_t *b, uint64_t v)
{
	uint8_t *d = ml_buf_reserve(b, ML_VARINT_MAX);
	if (d)
		b->len += ml_varint_put(d, v);
}

void ml_buf_put_str(ml_buf_t *b, const char *s, size_t n)
{
	ml_buf_put_varint(b, n);
	ml_buf_put(b, s, n);
}

void ml_buf_put_record(ml_buf_t *b, uint8_t type, const void *payload, size_t n)
{
	ml_buf_put_u8(b, type);
	ml_buf_put_varint(b, n);
	ml_buf_put(b, payload, n);
}
