/* crc32.h — CRC-32 (IEEE 802.3, same values as zlib's crc32()), used to validate capture flushes.
 * Table-driven, one byte per step: ~1 GB/s, far more than a flush needs. No allocation. */
#ifndef ML_CRC32_H
#define ML_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: start with crc = 0. */
uint32_t ml_crc32(uint32_t crc, const void *buf, size_t len);

#endif
