/* garbage.c — see garbage.h. */
#include "objects/garbage.h"

#include <stdlib.h>
#include <string.h>

int64_t ml_obj_garbage(const ml_obj_heap_t *h, uint8_t **dead)
{
	size_t n = h->n, qn = 0;
	uint8_t *d = malloc(n + 1);
	uint32_t *queue = malloc((n + 1) * sizeof *queue);
	if (!d || !queue) {
		free(d);
		free(queue);
		return -1;
	}
	memset(d, 1, n + 1);
	for (uint32_t r = 0; r < n; r++)
		if (ml_obj_heap_unexplained(h, r) > 0) {
			d[r] = 0;
			queue[qn++] = r;
		}
	for (size_t head = 0; head < qn; head++) {
		uint32_t u = queue[head];
		for (uint32_t i = h->fwd_off[u]; i < h->fwd_off[u + 1]; i++) {
			uint32_t v = h->fwd_dst[i];
			if (d[v]) {
				d[v] = 0;
				queue[qn++] = v;
			}
		}
	}
	free(queue);
	*dead = d;
	return (int64_t)(n - qn);
}
