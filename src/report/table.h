/* table.h — aligned text tables for the terminal reports.
 *
 * A table owns copies of its cells. Columns are separated by two spaces; numbers are right-aligned,
 * text left-aligned; a column may have a maximum width, beyond which cells are cut with "…" — from
 * the left for file paths (the end of a path is what identifies it), from the right otherwise.
 * Widths count UTF-8 code points, which is right for the paths and names Python programs use but
 * not for wide (CJK) characters. Lines never end with spaces.
 */
#ifndef ML_REPORT_TABLE_H
#define ML_REPORT_TABLE_H

#include <stddef.h>

#include "core/buf.h"

typedef enum { ML_REP_LEFT, ML_REP_RIGHT } ml_rep_align_t;
typedef enum { ML_REP_CUT_RIGHT, ML_REP_CUT_LEFT } ml_rep_cut_t;

typedef struct ml_rep_table ml_rep_table_t;

/* A table of ncols columns; NULL when out of memory. */
ml_rep_table_t *ml_rep_table_new(size_t ncols);
void ml_rep_table_free(ml_rep_table_t *t);

/* Sets column i's header (may be NULL: then no header line is printed unless another column has
 * one), alignment, and maximum width of its cells in code points (0 = unlimited, else at least 2;
 * a header is never cut, so the column is at least as wide as its header). */
void ml_rep_table_col(ml_rep_table_t *t, size_t i, const char *header, ml_rep_align_t align, size_t max_width,
		      ml_rep_cut_t cut);

/* Appends a row of ncols cells (copied). Returns 0 or -1 when out of memory. */
int ml_rep_table_row(ml_rep_table_t *t, const char *const *cells);

/* Appends the table to out, each line starting with indent. Failures show in ml_buf_failed(out). */
void ml_rep_table_render(const ml_rep_table_t *t, ml_buf_t *out, const char *indent);

/* Copies s into dst (size dstlen), cut with "…" to at most max_width code points (>= 2). */
char *ml_rep_fit(char *dst, size_t dstlen, const char *s, size_t max_width, ml_rep_cut_t cut);

/* Display width of a UTF-8 string, in code points. */
size_t ml_rep_width(const char *s);

#endif
