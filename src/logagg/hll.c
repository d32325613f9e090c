/* hll.c — see hll.h. */
#include "hll.h"

#include <math.h>
#include <string.h>

void lg_hll_init(lg_hll_t *h) { memset(h->reg, 0, sizeof h->reg); }

void lg_hll_merge(lg_hll_t *dst, const lg_hll_t *src)
{
	for (uint32_t i = 0; i < LG_HLL_M; i++)
		if (src->reg[i] > dst->reg[i])
			dst->reg[i] = src->reg[i];
}

double lg_hll_estimate(const lg_hll_t *h)
{
	const double m = LG_HLL_M;
	double sum = 0;
	uint32_t zeros = 0;
	for (uint32_t i = 0; i < LG_HLL_M; i++) {
		sum += ldexp(1.0, -h->reg[i]);
		zeros += h->reg[i] == 0;
	}
	double alpha = 0.7213 / (1 + 1.079 / m);
	double e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros);
	return e;
}
