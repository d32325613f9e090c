/* text.c — see text.h. Layout: "label      value" lines for the summary, aligned tables for the site
 * lists (report/table.h), numbers through report/units.h. */
#include "report/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/capfmt.h"
#include "report/table.h"
#include "report/units.h"

#define FILE_WIDTH 60  /* file names longer than this are cut from the left */
#define NAME_WIDTH 60  /* function names and META values are cut from the right */
#define LABEL "%-11s" /* summary labels */
#define SITES_INDENT "             "
#define S(n) ((n) == 1 ? "" : "s") /* plural ending */

static void putf(ml_buf_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(ml_buf_t *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	char *p = (char *)ml_buf_reserve(out, (size_t)n + 1);
	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	out->len += (size_t)n;
}

/* Appends len bytes of an untrusted string, control characters replaced by '?'. */
/* s right-aligned in `width` columns (UTF-8: one column per character, as units like "µs" need). */
static void put_right(ml_buf_t *out, const char *s, size_t width)
{
	size_t cols = 0;
	for (const char *p = s; *p; p++)
		cols += ((unsigned char)*p & 0xC0) != 0x80;
	for (; cols < width; cols++)
		ml_buf_put_u8(out, ' ');
	ml_buf_put(out, s, strlen(s));
}

static void put_clean(ml_buf_t *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		ml_buf_put_u8(out, c < 0x20 || c == 0x7f ? '?' : c);
	}
}

/* Appends a capture string cleaned and cut to width code points. */
static void put_fit(ml_buf_t *out, const ml_cap_str_t *s, size_t width, ml_rep_cut_t cut)
{
	ml_buf_t tmp = {0};
	char fit[4 * 2 * (FILE_WIDTH > NAME_WIDTH ? FILE_WIDTH : NAME_WIDTH) + 8]; /* widths up to twice these */
	put_clean(&tmp, s->s, s->len);
	ml_buf_put_u8(&tmp, '\0');
	if (ml_buf_failed(&tmp)) {
		out->failed = 1;
		return;
	}
	ml_rep_fit(fit, sizeof fit, (const char *)tmp.data, width, cut);
	ml_buf_put(out, fit, strlen(fit));
	ml_buf_free(&tmp);
}

void ml_rep_text_frame(ml_buf_t *out, const ml_capture_t *cap, uint32_t node)
{
	if (node == 0) {
		putf(out, "[no Python frame]");
		return;
	}
	const ml_cap_node_t *n = ml_capture_node(cap, node);
	const ml_cap_str_t *fn = ml_capture_str(cap, n->function);
	put_fit(out, ml_capture_str(cap, n->file), FILE_WIDTH, ML_REP_CUT_LEFT);
	putf(out, ":%llu", (unsigned long long)n->line);
	if (fn->len) {
		putf(out, " in ");
		put_fit(out, fn, NAME_WIDTH, ML_REP_CUT_RIGHT);
	}
}

/* The name of a top-view group, by the grouping of the view. */
static void put_group(ml_buf_t *out, const ml_capture_t *cap, uint32_t stack, ml_view_by_t by)
{
	const ml_cap_node_t *n = ml_capture_node(cap, stack);
	if (stack == 0 || by == ML_VIEW_BY_LINE || by == ML_VIEW_BY_STACK) {
		ml_rep_text_frame(out, cap, stack);
	} else if (by == ML_VIEW_BY_FUNCTION) {
		put_fit(out, ml_capture_str(cap, n->function), NAME_WIDTH, ML_REP_CUT_RIGHT);
		putf(out, " (");
		put_fit(out, ml_capture_str(cap, n->file), FILE_WIDTH, ML_REP_CUT_LEFT);
		putf(out, ")");
	} else {
		put_fit(out, ml_capture_str(cap, n->file), FILE_WIDTH, ML_REP_CUT_LEFT);
	}
}

/* ---- Status ---- */

void ml_rep_text_status(ml_buf_t *out, const ml_capture_t *cap, int warnings)
{
	char d[ML_UNITS_LEN];
	ml_units_duration(cap->duration_ns, d, sizeof d);
	if (!cap->complete)
		putf(out, "note: capture is incomplete (the program was killed or exited with os._exit); data up to %s\n", d);
	else if (cap->end_flags & ML_END_STOPPED_EARLY)
		putf(out, "note: tracing stopped before the program ended; data up to %s\n", d);
	for (size_t i = 0; warnings && i < cap->n_notes; i++)
		if (cap->notes[i].level == ML_NOTE_WARNING) {
			putf(out, "warning: ");
			put_clean(out, cap->notes[i].text.s, cap->notes[i].text.len);
			putf(out, "\n");
		}
}

/* ---- Tables of sites ---- */

/* Renders rows of a top view: share, bytes, [blocks,] location; whole is the 100% of the share. The
 * full form (top) has headers and blocks, the short one (summary) neither. */
static void put_sites(ml_buf_t *out, const ml_capture_t *cap, const ml_view_top_t *top, ml_view_by_t by,
		      uint64_t whole, const char *indent, int full)
{
	ml_rep_table_t *t = ml_rep_table_new(full ? 4 : 3);
	ml_buf_t loc = {0};
	if (!t) {
		out->failed = 1;
		return;
	}
	ml_rep_table_col(t, 0, full ? "share" : NULL, ML_REP_RIGHT, 0, ML_REP_CUT_RIGHT);
	ml_rep_table_col(t, 1, full ? "bytes" : NULL, ML_REP_RIGHT, 0, ML_REP_CUT_RIGHT);
	if (full)
		ml_rep_table_col(t, 2, "blocks", ML_REP_RIGHT, 0, ML_REP_CUT_RIGHT);
	ml_rep_table_col(t, full ? 3 : 2, full ? "location" : NULL, ML_REP_LEFT, 0, ML_REP_CUT_RIGHT);
	for (size_t i = 0; i < top->n_rows; i++) {
		const ml_view_row_t *r = &top->rows[i];
		char share[ML_UNITS_LEN], bytes[ML_UNITS_LEN], blocks[ML_UNITS_LEN];
		ml_buf_clear(&loc);
		put_group(&loc, cap, r->stack, by);
		ml_buf_put_u8(&loc, '\0');
		if (ml_buf_failed(&loc)) {
			out->failed = 1;
			break;
		}
		const char *cells[4] = {ml_units_percent(ml_view_share(r->bytes, whole), share, sizeof share),
					ml_units_bytes(r->bytes, bytes, sizeof bytes),
					ml_units_count(r->blocks, blocks, sizeof blocks), (const char *)loc.data};
		if (!full)
			cells[2] = cells[3];
		if (ml_rep_table_row(t, cells)) {
			out->failed = 1;
			break;
		}
	}
	ml_rep_table_render(t, out, indent);
	ml_rep_table_free(t);
	ml_buf_free(&loc);
}

/* ---- Summary ---- */

/* argv from META: NUL-separated elements, shown space-separated, quoted when they hold a space. */
static void put_argv(ml_buf_t *out, const ml_cap_str_t *argv)
{
	ml_buf_t line = {0};
	const char *p = argv->s, *end = argv->s + argv->len;
	for (;;) {
		const char *e = memchr(p, '\0', (size_t)(end - p));
		size_t len = e ? (size_t)(e - p) : (size_t)(end - p);
		int quote = !len || memchr(p, ' ', len);
		if (line.len)
			ml_buf_put_u8(&line, ' ');
		if (quote)
			ml_buf_put_u8(&line, '\'');
		put_clean(&line, p, len);
		if (quote)
			ml_buf_put_u8(&line, '\'');
		if (!e)
			break;
		p = e + 1;
		if (p == end)
			break; /* a trailing separator ends the list */
	}
	ml_cap_str_t s = {(const char *)line.data, line.len};
	if (ml_buf_failed(&line))
		out->failed = 1;
	else if (line.len)
		put_fit(out, &s, 2 * NAME_WIDTH, ML_REP_CUT_RIGHT);
	ml_buf_free(&line);
}

void ml_rep_text_summary(ml_buf_t *out, const ml_capture_t *cap, const ml_view_summary_t *s)
{
	char a[ML_UNITS_LEN], b[ML_UNITS_LEN], c[ML_UNITS_LEN];
	const ml_cap_str_t *argv = ml_capture_meta(cap, "argv");
	const ml_cap_str_t *py = ml_capture_meta(cap, "python_version");

	ml_rep_text_status(out, cap, 0);
	if (argv && argv->len) {
		putf(out, LABEL, "command");
		put_argv(out, argv);
		putf(out, "\n");
	}
	if (py) {
		putf(out, LABEL, "python");
		put_fit(out, py, 2 * NAME_WIDTH, ML_REP_CUT_RIGHT);
		putf(out, "\n");
	}
	putf(out, LABEL "%s%s\n", "duration", ml_units_duration(s->duration_ns, a, sizeof a),
	     cap->complete ? "" : " (incomplete)");
	putf(out, LABEL "%s in %s block%s\n", "allocated", ml_units_bytes(s->alloc_bytes, a, sizeof a),
	     ml_units_count(s->alloc_blocks, b, sizeof b), S(s->alloc_blocks));

	if (s->has_peak) {
		putf(out, LABEL "%s in %s block%s, at %s\n", "peak heap", ml_units_bytes(s->peak_bytes, a, sizeof a),
		     ml_units_count(s->peak_blocks, b, sizeof b), S(s->peak_blocks),
		     ml_units_duration(s->peak_t, c, sizeof c));
		put_sites(out, cap, &s->peak_sites, ML_VIEW_BY_LINE, s->peak_bytes, SITES_INDENT, 0);
	} else {
		putf(out, LABEL "%s\n", "peak heap", "not recorded");
	}
	if (s->has_rss)
		putf(out, LABEL "%s at %s\n", "peak RSS", ml_units_bytes(s->rss_peak, a, sizeof a),
		     ml_units_duration(s->rss_peak_t, b, sizeof b));

	const char *label = cap->complete ? "at exit" : "at the end";
	if (s->end_bytes || s->end_blocks) {
		putf(out, LABEL "%s in %s block%s", label, ml_units_bytes(s->end_bytes, a, sizeof a),
		     ml_units_count(s->end_blocks, b, sizeof b), S(s->end_blocks));
		putf(out, ", from %s line%s\n", ml_units_count(s->end_sites.n_groups, c, sizeof c),
		     S(s->end_sites.n_groups));
		put_sites(out, cap, &s->end_sites, ML_VIEW_BY_LINE, s->end_bytes, SITES_INDENT, 0);
	} else {
		putf(out, LABEL "%s\n", label, "nothing alive");
	}

	/* marks: at most the first 20; each with the traced heap at it */
	for (size_t i = 0; i < cap->n_marks && i < 20; i++) {
		putf(out, LABEL, i ? "" : "marks");
		put_right(out, ml_units_duration(cap->marks[i].t, a, sizeof a), 8);
		put_right(out, ml_units_bytes(cap->marks[i].heap, b, sizeof b), 12);
		putf(out, "  ");
		put_clean(out, cap->marks[i].label.s, cap->marks[i].label.len);
		putf(out, "\n");
	}
	if (cap->n_marks > 20)
		putf(out, LABEL "... and %zu more marks\n", "", cap->n_marks - 20);

	for (size_t i = 0; i < cap->n_notes; i++) {
		putf(out, LABEL "%s: ", i ? "" : "notes", cap->notes[i].level == ML_NOTE_WARNING ? "warning" : "info");
		put_clean(out, cap->notes[i].text.s, cap->notes[i].text.len);
		putf(out, "\n");
	}
}

/* ---- Top ---- */

static const char *at_phrase(const ml_capture_t *cap, ml_view_at_t at)
{
	switch (at) {
	case ML_VIEW_AT_PEAK: return "alive at the peak";
	case ML_VIEW_AT_END: return cap->complete ? "alive at exit" : "alive at the end of the data";
	default: return "allocated over the run";
	}
}

/* The frames of a stack, innermost first, one per line. */
static void put_stack(ml_buf_t *out, const ml_capture_t *cap, uint32_t stack, const char *indent)
{
	uint32_t id = stack;
	do {
		putf(out, "%s", indent);
		ml_rep_text_frame(out, cap, id);
		putf(out, "\n");
		id = ml_capture_node(cap, id)->parent;
	} while (id);
}

static void put_stack_groups(ml_buf_t *out, const ml_capture_t *cap, const ml_view_top_t *top)
{
	char a[ML_UNITS_LEN], b[ML_UNITS_LEN], c[ML_UNITS_LEN];
	for (size_t i = 0; i < top->n_rows; i++) {
		const ml_view_row_t *r = &top->rows[i];
		putf(out, "\n%s in %s block%s (%s)\n", ml_units_bytes(r->bytes, a, sizeof a),
		     ml_units_count(r->blocks, b, sizeof b), S(r->blocks),
		     ml_units_percent(ml_view_share(r->bytes, top->total_bytes), c, sizeof c));
		put_stack(out, cap, r->stack, "    ");
	}
}

void ml_rep_text_top(ml_buf_t *out, const ml_capture_t *cap, const ml_view_top_t *top, ml_view_by_t by,
		     ml_view_at_t at)
{
	static const char *const plural[] = {"lines", "functions", "files", "stacks"};
	char a[ML_UNITS_LEN], b[ML_UNITS_LEN], c[ML_UNITS_LEN], d[ML_UNITS_LEN];

	ml_rep_text_status(out, cap, 1);
	if (at == ML_VIEW_AT_PEAK && !cap->has_peak) {
		putf(out, "the capture records no peak (no PEAK record)\n");
		return;
	}
	if (!top->n_groups) {
		putf(out, "nothing %s\n", at_phrase(cap, at));
		return;
	}
	putf(out, "top %s of %s %s by memory %s: %s in %s block%s", ml_units_count(top->n_rows, a, sizeof a),
	     ml_units_count(top->n_groups, b, sizeof b), plural[by], at_phrase(cap, at),
	     ml_units_bytes(top->total_bytes, c, sizeof c), ml_units_count(top->total_blocks, d, sizeof d),
	     S(top->total_blocks));
	if (at == ML_VIEW_AT_PEAK && cap->has_peak)
		putf(out, ", at %s", ml_units_duration(cap->peak_t, a, sizeof a));
	putf(out, "\n");
	if (by == ML_VIEW_BY_STACK) {
		put_stack_groups(out, cap, top);
		return;
	}
	putf(out, "\n");
	put_sites(out, cap, top, by, top->total_bytes, "", 1);
}

/* ---- Leaks ---- */

void ml_rep_text_leaks(ml_buf_t *out, const ml_capture_t *cap, const ml_view_top_t *leaks)
{
	char a[ML_UNITS_LEN], b[ML_UNITS_LEN], c[ML_UNITS_LEN];
	const char *when = cap->complete ? "at exit" : "at the end of the data";

	ml_rep_text_status(out, cap, 1);
	if (!leaks->n_groups) {
		putf(out, "nothing alive %s\n", when);
		return;
	}
	putf(out, "%s alive %s in %s block%s, from %s stack%s", ml_units_bytes(leaks->total_bytes, a, sizeof a), when,
	     ml_units_count(leaks->total_blocks, b, sizeof b), S(leaks->total_blocks),
	     ml_units_count(leaks->n_groups, c, sizeof c), S(leaks->n_groups));
	if (leaks->n_rows < leaks->n_groups)
		putf(out, " (the largest %s shown)", ml_units_count(leaks->n_rows, a, sizeof a));
	putf(out, "\n");
	put_stack_groups(out, cap, leaks);
}
