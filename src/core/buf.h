/* buf.h — a growable byte buffer for building capture records.
 *
 * Memory comes from libc malloc directly, never from the Python allocators the tracker hooks, so the
 * tracker can use it inside an allocation hook. On allocation failure the buffer is marked failed and
 * every later append is a no-op: callers check ml_buf_failed() once, at the end, instead of after
 * every append.
 */
#ifndef ML_BUF_H
#define ML_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap;
	int failed;
} ml_buf_t;

void ml_buf_free(ml_buf_t *b);
/* Makes room for n more bytes; returns a pointer to them or NULL (and marks the buffer failed). */
uint8_t *ml_buf_reserve(ml_buf_t *b, size_t n);
void ml_buf_put(ml_buf_t *b, const void *p, size_t n);
void ml_buf_put_u8(ml_buf_t *b, uint8_t v);
void ml_buf_put_u32le(ml_buf_t *b, uint32_t v);
void ml_buf_put_varint(ml_buf_t *b, uint64_t v);
void ml_buf_put_str(ml_buf_t *b, const char *s, size_t n); /* varint length + bytes */
/* Appends a whole record: type, varint length, payload. */
void ml_buf_put_record(ml_buf_t *b, uint8_t type, const void *payload, size_t n);

static inline int ml_buf_failed(const ml_buf_t *b) { return b->failed; }
static inline void ml_buf_clear(ml_buf_t *b) { b->len = 0; }

#endif
