/* table.c — see table.h. Cells are kept as individually allocated strings in row-major order;
 * rendering is two passes (widths, then lines), O(cells). */
#include "report/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *header;
	ml_rep_align_t align;
	size_t max_width;
	ml_rep_cut_t cut;
} col_t;

struct ml_rep_table {
	size_t ncols;
	col_t *cols;
	char **cells; /* nrows * ncols */
	size_t nrows, cap_rows;
};

static const char ellipsis[] = "…";

size_t ml_rep_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* Byte offset in s of code point number cp (s has at least cp code points). */
static size_t cp_offset(const char *s, size_t cp)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && cp-- == 0)
			break;
	return i;
}

char *ml_rep_fit(char *dst, size_t dstlen, const char *s, size_t max_width, ml_rep_cut_t cut)
{
	size_t sw = ml_rep_width(s);
	if (sw <= max_width || max_width < 2)
		snprintf(dst, dstlen, "%s", s);
	else if (cut == ML_REP_CUT_LEFT)
		snprintf(dst, dstlen, "%s%s", ellipsis, s + cp_offset(s, sw - (max_width - 1)));
	else
		snprintf(dst, dstlen, "%.*s%s", (int)cp_offset(s, max_width - 1), s, ellipsis);
	return dst;
}

ml_rep_table_t *ml_rep_table_new(size_t ncols)
{
	ml_rep_table_t *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ncols = ncols;
	t->cols = calloc(ncols ? ncols : 1, sizeof *t->cols);
	if (!t->cols) {
		free(t);
		return NULL;
	}
	return t;
}

void ml_rep_table_free(ml_rep_table_t *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	for (size_t i = 0; i < t->ncols; i++)
		free(t->cols[i].header);
	free(t->cells);
	free(t->cols);
	free(t);
}

void ml_rep_table_col(ml_rep_table_t *t, size_t i, const char *header, ml_rep_align_t align, size_t max_width,
		      ml_rep_cut_t cut)
{
	col_t *c = &t->cols[i];
	free(c->header);
	c->header = header ? strdup(header) : NULL;
	c->align = align;
	c->max_width = max_width && max_width < 2 ? 2 : max_width;
	c->cut = cut;
}

int ml_rep_table_row(ml_rep_table_t *t, const char *const *cells)
{
	if (t->nrows == t->cap_rows) {
		size_t n = t->cap_rows ? 2 * t->cap_rows : 16;
		char **c = realloc(t->cells, n * t->ncols * sizeof *c);
		if (!c)
			return -1;
		t->cells = c;
		t->cap_rows = n;
	}
	char **row = &t->cells[t->nrows * t->ncols];
	for (size_t i = 0; i < t->ncols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (!row[i]) {
			while (i-- > 0)
				free(row[i]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

/* Appends cell s of column c padded to width w (no padding when last and left-aligned), cut to
 * max code points if max is not 0. */
static void put_cell(ml_buf_t *out, const col_t *c, const char *s, size_t w, size_t max, int last)
{
	size_t sw = ml_rep_width(s), len = strlen(s);
	const char *cut_at = s;
	int cut = max && sw > max;
	if (cut) {
		size_t keep = max - 1;
		if (c->cut == ML_REP_CUT_LEFT)
			cut_at = s + cp_offset(s, sw - keep);
		len = c->cut == ML_REP_CUT_LEFT ? strlen(cut_at) : cp_offset(s, keep);
		sw = max;
	}
	size_t pad = w > sw ? w - sw : 0;
	if (c->align == ML_REP_RIGHT)
		for (size_t i = 0; i < pad; i++)
			ml_buf_put_u8(out, ' ');
	if (cut && c->cut == ML_REP_CUT_LEFT)
		ml_buf_put(out, ellipsis, sizeof ellipsis - 1);
	ml_buf_put(out, cut_at, len);
	if (cut && c->cut == ML_REP_CUT_RIGHT)
		ml_buf_put(out, ellipsis, sizeof ellipsis - 1);
	if (c->align == ML_REP_LEFT && !last)
		for (size_t i = 0; i < pad; i++)
			ml_buf_put_u8(out, ' ');
}

static void put_line(ml_buf_t *out, const ml_rep_table_t *t, const size_t *w, const char *indent, char *const *cells,
		     int header)
{
	ml_buf_put(out, indent, strlen(indent));
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = header ? (t->cols[i].header ? t->cols[i].header : "") : cells[i];
		if (i)
			ml_buf_put(out, "  ", 2);
		/* headers are never cut: they set a minimum width */
		put_cell(out, &t->cols[i], s, w[i], header ? 0 : t->cols[i].max_width, i + 1 == t->ncols);
	}
	/* a left-aligned empty last cell leaves trailing separators: trim them */
	while (out->len && !out->failed && out->data[out->len - 1] == ' ')
		out->len--;
	ml_buf_put_u8(out, '\n');
}

void ml_rep_table_render(const ml_rep_table_t *t, ml_buf_t *out, const char *indent)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof *w);
	int has_header = 0;
	if (!w) {
		out->failed = 1;
		return;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		const col_t *c = &t->cols[i];
		if (c->header) {
			has_header = 1;
			w[i] = ml_rep_width(c->header);
		}
		for (size_t r = 0; r < t->nrows; r++) {
			size_t cw = ml_rep_width(t->cells[r * t->ncols + i]);
			if (c->max_width && cw > c->max_width)
				cw = c->max_width;
			if (cw > w[i])
				w[i] = cw;
		}
	}
	if (has_header)
		put_line(out, t, w, indent, NULL, 1);
	for (size_t r = 0; r < t->nrows; r++)
		put_line(out, t, w, indent, &t->cells[r * t->ncols], 0);
	free(w);
}
