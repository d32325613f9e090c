/* hll.h — HyperLogLog distinct counter (Flajolet et al. 2007), precision 14: 16,384 one-byte
 * registers (16 KiB), relative standard error 1.04/sqrt(16384) = 0.81%, with linear counting below
 * 2.5m where raw HLL is biased. Mergeable: the union of two streams is the register-wise maximum,
 * so per-thread and per-machine sketches combine exactly as if one had seen everything.
 * Fed with lg_addr_hash(), which is therefore frozen for a state-file version.
 */
#ifndef LG_HLL_H
#define LG_HLL_H

#include <stdint.h>

#define LG_HLL_P 14
#define LG_HLL_M (1u << LG_HLL_P)
#define LG_HLL_RSE 0.0081 /* 1.04 / sqrt(LG_HLL_M) */

typedef struct {
	uint8_t reg[LG_HLL_M];
} lg_hll_t;

void lg_hll_init(lg_hll_t *h);
static inline void lg_hll_add(lg_hll_t *h, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> (64 - LG_HLL_P));
	uint64_t rest = hash << LG_HLL_P | (1ULL << (LG_HLL_P - 1)); /* sentinel bounds the rank */
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}
void lg_hll_merge(lg_hll_t *dst, const lg_hll_t *src);
double lg_hll_estimate(const lg_hll_t *h);

#endif
