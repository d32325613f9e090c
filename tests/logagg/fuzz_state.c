/* fuzz_state.c — libFuzzer target for the state-file reader: any bytes must give 0 or a one-line
 * reason, never a crash, a hang or a leak. The CRC is recomputed over the input half of the time,
 * so mutations reach the decoder behind the checksum instead of all stopping at it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32.h"
#include "logagg/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *d = malloc(size + 4);
	memcpy(d, data, size);
	size_t n = size;
	if (size > 0 && data[0] & 1) {
		/* the first byte is the magic's 'L' (even) in real files: odd means "fix the CRC" */
		d[0] = 'L';
		uint32_t c = ml_crc32(0, d, size);
		d[n++] = (uint8_t)c;
		d[n++] = (uint8_t)(c >> 8);
		d[n++] = (uint8_t)(c >> 16);
		d[n++] = (uint8_t)(c >> 24);
	}
	lg_agg_t g;
	lg_agg_init(&g, 1u << 16);
	char why[256] = "";
	if (lg_state_decode(d, n, &g, why, sizeof why) != 0 && (why[0] == 0 || strchr(why, '\n')))
		abort();
	lg_agg_free(&g);
	free(d);
	return 0;
}
