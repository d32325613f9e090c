/* agg.h — the aggregate: requests (PV) and per-client counts for one stream or a merge of streams.
 *
 * Exact while the per-client table fits its byte budget; past it, converted once and for good to
 * sketches (HyperLogLog for UV, Space-Saving for the top clients), fed from the table it replaces so
 * no request seen so far is lost. Also counts comments and malformed lines by reason, and keeps the
 * first few malformed lines as examples (for --show-skipped). Owns its table/sketches and examples.
 * Never prints and never reads files.
 */
#ifndef LG_AGG_H
#define LG_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "hll.h"
#include "parse.h"
#include "table.h"
#include "topk.h"

/* Space-Saving counters: error bound N/4096 (0.024% of requests) for a 160 KiB summary. */
#define LG_TOPK_K 4096
#define LG_EXAMPLES 5
#define LG_EXAMPLE_LEN 160

typedef struct {
	uint64_t pv;
	uint64_t lines[LG_LINE_NREASONS]; /* by lg_line_t; lines[LG_LINE_OK] == pv */
	int sketch;                       /* 0: exact table; 1: hll + topk */
	lg_table_t table;
	lg_hll_t *hll;
	lg_topk_t topk;
	int oom; /* the sketches themselves could not be allocated: the run must fail */
	int nexamples;
	char example[LG_EXAMPLES][LG_EXAMPLE_LEN];
	lg_line_t example_reason[LG_EXAMPLES];
} lg_agg_t;

void lg_agg_init(lg_agg_t *g, size_t budget);
void lg_agg_free(lg_agg_t *g);
/* Counts every complete line in [buf, buf+len) (lines end with '\n'; a last line without one counts). */
void lg_agg_feed(lg_agg_t *g, const lg_parse_cfg_t *cfg, const char *buf, size_t len);
void lg_agg_skip(lg_agg_t *g, lg_line_t reason, const char *line, size_t len);
void lg_agg_add(lg_agg_t *g, const lg_addr_t *a, uint64_t n);
/* dst += src (src is left valid). Returns -1 only when memory for sketches cannot be had. */
int lg_agg_merge(lg_agg_t *dst, const lg_agg_t *src);
/* dst = src, src emptied: the first merge of a run is a move, not a re-insertion of every client. */
void lg_agg_move(lg_agg_t *dst, lg_agg_t *src);
/* Switches to sketches now (merge of an exact and a sketch aggregate, or table full). */
int lg_agg_to_sketch(lg_agg_t *g);

uint64_t lg_agg_malformed(const lg_agg_t *g);
double lg_agg_uv(const lg_agg_t *g);
size_t lg_agg_bytes(const lg_agg_t *g);

typedef struct {
	lg_addr_t addr;
	uint64_t pv;
	uint64_t err; /* 0 when exact */
} lg_client_t;

/* The n clients with the most requests (all with n == SIZE_MAX), descending, ties by address.
 * Returns a malloc'd array and its length in *out_n, or NULL on allocation failure. */
lg_client_t *lg_agg_top(const lg_agg_t *g, size_t n, size_t *out_n);

#endif
