/* output.h — what people and programs read: the aligned table, JSON (schema "logagg/1", documented
 * in docs/LOGAGG.md) and CSV; plus the temp-file-then-rename writer that every output file goes
 * through, so an interrupted or failed run never leaves a half-written file under the final name.
 * Writes to the FILE* it is given; it decides nothing about where (that is main.c's job).
 */
#ifndef LG_OUTPUT_H
#define LG_OUTPUT_H

#include <stdio.h>

#include "agg.h"

typedef struct {
	FILE *f;
	char tmp[4096];
	const char *path;
} lg_atomic_t;

/* Creates path.tmp.XXXXXX next to path; -1 with errno. */
int lg_atomic_open(lg_atomic_t *a, const char *path);
/* Flushes, fsyncs and renames into place; -1 with errno (the temp file is removed). */
int lg_atomic_commit(lg_atomic_t *a);
void lg_atomic_abort(lg_atomic_t *a);

typedef struct {
	const char *const *inputs;
	int ninputs;
	size_t top;        /* clients in the table and in JSON */
	int show_skipped;  /* print the kept examples of malformed lines */
} lg_report_t;

/* "1,234,567" into buf (at least 27 bytes). */
const char *lg_thousands(unsigned long long v, char *buf);
void lg_print_table(FILE *f, const lg_agg_t *g, const lg_report_t *rep);
/* One line for follow mode when not on a terminal: "time pv=… uv=… malformed=…". */
void lg_print_line(FILE *f, const lg_agg_t *g);
/* Both return -1 on allocation failure (nothing is written then). */
int lg_write_json(FILE *f, const lg_agg_t *g, const lg_report_t *rep);
int lg_write_csv(FILE *f, const lg_agg_t *g);

#endif
