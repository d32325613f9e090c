/* run.h — one pass over the inputs: opens each source, splits large regular files at line boundaries
 * over the worker threads (one per core), feeds each thread's own aggregate and merges them.
 *
 * Per-thread aggregates instead of one shared table: no locks or atomics on the per-line path; the
 * price is a merge (~0.05 s per million clients) and a second table while merging, which the budget
 * split (budget / threads each) keeps within --max-memory. Owns the workers; never prints: errors
 * come back as an lg_err_t for main.c, progress as a callback.
 */
#ifndef LG_RUN_H
#define LG_RUN_H

#include <stdint.h>

#include "agg.h"
#include "parse.h"

typedef struct {
	char msg[512]; /* "path: reason", without the program name */
} lg_err_t;

typedef void (*lg_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct {
	lg_parse_cfg_t parse;
	int threads;
	size_t budget;
	lg_progress_fn progress; /* may be NULL; called from the calling thread ~5 times a second */
	void *progress_ctx;
} lg_run_cfg_t;

/* Adds the lines of path ("-": stdin) to g. Returns 0, or -1 with *err filled. */
int lg_run_source(const lg_run_cfg_t *cfg, const char *path, lg_agg_t *g, lg_err_t *err);

/* Feeds one reader to its end into g (follow mode and single-thread sources). */
int lg_run_reader(const lg_parse_cfg_t *pcfg, void *reader, lg_agg_t *g, int keep_partial, const char *path, lg_err_t *err);

#endif
