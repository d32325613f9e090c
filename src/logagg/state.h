/* state.h — partial results as files ("state files", .lgs), to combine runs from many machines.
 *
 * Versioned and self-checking (CRC-32 over the whole file); the layout is documented in
 * docs/LOGAGG.md. The reader trusts nothing: every length and count is checked against the bytes
 * that are there, so a corrupt or truncated file yields a one-line error, never a crash (fuzzed by
 * tests/logagg/fuzz_state.c). Writing goes to a temporary file renamed into place at the end.
 */
#ifndef LG_STATE_H
#define LG_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

#define LG_STATE_VERSION 1

/* Writes g to path; returns 0 or -1 with a reason (errno text) in why. */
int lg_state_write(const char *path, const lg_agg_t *g, char *why, size_t whylen);
/* Decodes a state image and merges it into g; returns 0 or -1 with a reason in why. */
int lg_state_decode(const uint8_t *p, size_t n, lg_agg_t *g, char *why, size_t whylen);
/* Reads path and merges it into g. */
int lg_state_read(const char *path, lg_agg_t *g, char *why, size_t whylen);

#endif
