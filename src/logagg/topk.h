/* topk.h — Space-Saving heavy hitters (Metwally et al. 2005) with k counters.
 *
 * Every client whose true PV exceeds N/k (N: requests seen) is guaranteed to be tracked, and each
 * tracked count overestimates by at most its own `err` (itself ≤ N/k). Cost per request: one hash
 * probe and a sift in a min-heap of k entries, O(log k) worst case, O(1) for the usual repeat hit on
 * a heavy client. Owns its heap and index (~40 bytes per counter). Mergeable (Agarwal et al. 2012):
 * counts of shared keys add; a key missing from a full summary gets that summary's minimum added to
 * its count and error, then the k largest are kept.
 */
#ifndef LG_TOPK_H
#define LG_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

typedef struct {
	lg_addr_t key;
	uint64_t count; /* estimate, ≥ true PV */
	uint64_t err;   /* count - err ≤ true PV */
} lg_topk_item_t;

typedef struct {
	lg_topk_item_t *heap; /* min-heap on count */
	uint32_t *index;      /* open addressing: heap position + 1, 0 empty */
	uint32_t *islot;      /* per heap position: its index slot, so a swap updates two slots directly */
	size_t k, n, imask;
} lg_topk_t;

/* Returns -1 on allocation failure. */
int lg_topk_init(lg_topk_t *t, size_t k);
void lg_topk_free(lg_topk_t *t);
size_t lg_topk_bytes(size_t k);
void lg_topk_add(lg_topk_t *t, const lg_addr_t *a, uint64_t n);
/* Weighted insert of a (count, err) pair, for building from an exact table and for merging. */
void lg_topk_add_item(lg_topk_t *t, const lg_topk_item_t *it);
/* dst ∪ src: dst must have been initialised with the same k. Returns -1 on allocation failure. */
int lg_topk_merge(lg_topk_t *dst, const lg_topk_t *src);
/* The smallest tracked count when full (the N/k bound a missing client stays under), else 0. */
uint64_t lg_topk_floor(const lg_topk_t *t);

#endif
