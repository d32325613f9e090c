/* stackstats.c — see stackstats.h. */
#include "tracker/stackstats.h"

#include <stdlib.h>
#include <string.h>

#include "core/capfmt.h"

int ml_stats_init(ml_stats_t *st)
{
	memset(st, 0, sizeof *st);
	st->peak_epoch = 1;
	st->cap = 1024;
	st->s = calloc(st->cap, sizeof *st->s);
	return st->s ? 0 : -1;
}

void ml_stats_free(ml_stats_t *st)
{
	free(st->s);
	free(st->dirty);
	free(st->peak_dirty);
	memset(st, 0, sizeof *st);
}

static int push(uint32_t **list, size_t *n, size_t *cap, uint32_t id)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		uint32_t *p = realloc(*list, c * sizeof *p);
		if (!p)
			return -1;
		*list = p;
		*cap = c;
	}
	(*list)[(*n)++] = id;
	return 0;
}

int ml_stats_reserve(ml_stats_t *st, uint32_t stack)
{
	if (stack < st->cap)
		return 0;
	size_t c = st->cap;
	while (c <= stack)
		c *= 2;
	ml_stat_t *p = realloc(st->s, c * sizeof *p);
	if (!p)
		return -1;
	memset(p + st->cap, 0, (c - st->cap) * sizeof *p);
	st->s = p;
	st->cap = c;
	return 0;
}

int ml_stats_mark(ml_stats_t *st, ml_stat_t *s, uint32_t stack)
{
	if (!s->dirty) {
		if (push(&st->dirty, &st->ndirty, &st->capdirty, stack) < 0)
			return -1;
		s->dirty = 1;
	}
	if (!s->peak_dirty) {
		if (push(&st->peak_dirty, &st->npeak_dirty, &st->cappeak_dirty, stack) < 0)
			return -1;
		s->peak_dirty = 1;
	}
	return 0;
}

int ml_stats_clear_live(ml_stats_t *st)
{
	for (size_t i = 0; i < st->cap; i++) {
		ml_stat_t *s = &st->s[i];
		if (!s->live_blocks && !s->live_bytes)
			continue;
		if (ml_stats_touch(st, s, (uint32_t)i) < 0) {
			st->failed = 1;
			return -1;
		}
		s->live_bytes = s->live_blocks = 0;
	}
	st->heap_bytes = st->heap_blocks = st->user_peak = 0;
	return 0;
}

void ml_stats_at_peak(const ml_stats_t *st, uint32_t stack, uint64_t *bytes, uint64_t *blocks)
{
	if (stack >= st->cap) {
		*bytes = *blocks = 0;
		return;
	}
	const ml_stat_t *s = &st->s[stack];
	int changed_since_peak = s->epoch == st->peak_epoch;
	*bytes = changed_since_peak ? s->peak_bytes : s->live_bytes;
	*blocks = changed_since_peak ? s->peak_blocks : s->live_blocks;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void ml_stats_encode(ml_stats_t *st, ml_buf_t *out)
{
	ml_buf_t rec = {0};
	if (st->ndirty) {
		qsort(st->dirty, st->ndirty, sizeof *st->dirty, cmp_u32); /* ids ascend within a record */
		ml_buf_put_varint(&rec, st->ndirty);
		uint32_t prev = 0;
		for (size_t i = 0; i < st->ndirty; i++) {
			ml_stat_t *s = &st->s[st->dirty[i]];
			ml_buf_put_varint(&rec, st->dirty[i] - prev);
			ml_buf_put_varint(&rec, s->live_bytes);
			ml_buf_put_varint(&rec, s->live_blocks);
			ml_buf_put_varint(&rec, s->alloc_bytes);
			ml_buf_put_varint(&rec, s->alloc_blocks);
			prev = st->dirty[i];
			s->dirty = 0;
		}
		st->ndirty = 0;
		ml_buf_put_record(out, ML_REC_STACKS, rec.data, rec.len);
		ml_buf_clear(&rec);
	}
	if (st->peak_bytes > st->written_peak) {
		qsort(st->peak_dirty, st->npeak_dirty, sizeof *st->peak_dirty, cmp_u32);
		ml_buf_put_varint(&rec, st->peak_t);
		ml_buf_put_varint(&rec, st->peak_bytes);
		ml_buf_put_varint(&rec, st->peak_blocks);
		ml_buf_put_varint(&rec, st->npeak_dirty);
		uint32_t prev = 0;
		size_t keep = 0;
		for (size_t i = 0; i < st->npeak_dirty; i++) {
			uint32_t id = st->peak_dirty[i];
			uint64_t bytes, blocks;
			ml_stats_at_peak(st, id, &bytes, &blocks);
			ml_buf_put_varint(&rec, id - prev);
			ml_buf_put_varint(&rec, bytes);
			ml_buf_put_varint(&rec, blocks);
			prev = id;
			if (st->s[id].epoch == st->peak_epoch) /* changed after the peak: written value is stale */
				st->peak_dirty[keep++] = id;
			else
				st->s[id].peak_dirty = 0;
		}
		st->npeak_dirty = keep;
		st->written_peak = st->peak_bytes;
		ml_buf_put_record(out, ML_REC_PEAK, rec.data, rec.len);
	}
	if (ml_buf_failed(&rec))
		out->failed = 1;
	ml_buf_free(&rec);
}
