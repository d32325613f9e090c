/* hash.h — the 64-bit mixer the tracker's tables hash with (murmur3's finalizer).
 * Addresses and ids differ mostly in a few middle bits; this spreads them over all 64. ~2 ns. */
#ifndef ML_HASH_H
#define ML_HASH_H

#include <stdint.h>

static inline uint64_t ml_hash_mix(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64_C(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return k;
}

#endif
