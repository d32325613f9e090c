/* table.h — exact per-client request counts: two open-addressing tables with linear probing.
 *
 * IPv4 clients (the large majority in real logs) live in 8-byte slots {u32 address, u32 count};
 * everything else, and any IPv4 client whose count would pass 2^32-1, in 24-byte slots
 * {16-byte address, u64 count}. A 1M-client log (15% IPv6) thus needs ~14 MB instead of ~48 MB
 * for one uniform table, which is what lets two threads count exactly within the 64 MB goal.
 * Linear probing; an array doubles past load 0.85 for IPv4 slots (850k clients in 8 MB instead of
 * 16; at most ~3.8 slots probed per hit, mostly within one cache line; measured on the 10 GB
 * benchmark: same CPU time as with 0.7, peak RSS 55 -> 33 MB) and 0.7 for the wide slots (fewer
 * to a cache line).
 * It owns its slot arrays. It never grows past the byte budget it was given: lg_table_add returns
 * LG_TABLE_FULL instead, and the caller switches to sketches.
 */
#ifndef LG_TABLE_H
#define LG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

typedef struct {
	uint32_t key;
	uint32_t count; /* 0: empty slot; UINT32_MAX: the client moved to the wide table */
} lg_slot4_t;

typedef struct {
	lg_addr_t key;
	uint64_t count; /* 0: empty slot */
} lg_slot16_t;

typedef struct {
	lg_slot4_t *s4;
	size_t mask4, used4, moved4;
	lg_slot16_t *s16;
	size_t mask16, used16;
	size_t budget; /* bytes the two slot arrays may occupy together */
} lg_table_t;

enum { LG_TABLE_OK = 0, LG_TABLE_FULL = 1 };

/* Fibonacci hashing: the top bits of k * 2^64/phi spread consecutive addresses over the table. */
static inline size_t lg_table_hash4(uint32_t k, size_t mask)
{
	return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
}

/* Starts loading k's home slot into cache. The feeder calls it for a batch of addresses before
 * counting them, so the ~80 ns cache misses of the long tail overlap instead of adding up. */
static inline void lg_table_prefetch4(const lg_table_t *t, uint32_t k)
{
	if (t->s4)
		__builtin_prefetch(&t->s4[lg_table_hash4(k, t->mask4)], 1);
}

static inline void lg_table_prefetch16(const lg_table_t *t, const lg_addr_t *a)
{
	if (t->s16)
		__builtin_prefetch(&t->s16[(size_t)lg_addr_hash(a) & t->mask16], 1);
}

void lg_table_init(lg_table_t *t, size_t budget);
void lg_table_free(lg_table_t *t);
/* Adds n requests for a client. LG_TABLE_FULL: growing would pass the budget (or malloc failed);
 * nothing was added. */
int lg_table_add(lg_table_t *t, const lg_addr_t *a, uint64_t n);
int lg_table_add4(lg_table_t *t, uint32_t v4, uint64_t n);
size_t lg_table_count(const lg_table_t *t); /* distinct clients */
size_t lg_table_bytes(const lg_table_t *t);

/* Iteration: i from 0 while lg_table_next returns 1. */
int lg_table_next(const lg_table_t *t, size_t *i, lg_addr_t *a, uint64_t *count);

#endif
