/* crc32.c — see crc32.h. The table is computed on first use, guarded by a flag that
 * is safe to race on: every thread computes identical values. */
#include "crc32.h"

static uint32_t crc_table[256];
static volatile int crc_ready;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	crc_ready = 1;
}

uint32_t ml_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	if (!crc_ready)
		crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
