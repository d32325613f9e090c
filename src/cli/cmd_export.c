/* cmd_export.c — `memlens report`, `memlens flamegraph`, `memlens diff`, `memlens export`: load the
 * capture(s), render (report/html.h, report/export.h, report/pprof.h) into a buffer, and write it
 * whole to a temporary file next to the output, renamed over it at the end, so that a failed run
 * never leaves a half-written file. Usage errors exit ML_EXIT_USAGE, bad captures ML_EXIT_ERROR.
 *
 * The only I/O besides that: the report page shows the source line of each top site, read from the
 * file named in the capture (relative names from the current directory) when it is there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/capture.h"
#include "analysis/diff.h"
#include "analysis/views.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "report/export.h"
#include "report/html.h"
#include "report/pprof.h"
#include "report/table.h"
#include "report/units.h"

typedef enum { CMD_REPORT, CMD_FLAME, CMD_DIFF, CMD_EXPORT } cmd_t;

static const char *const helps[] = {
	[CMD_REPORT] = "usage: memlens report FILE [-o OUT.html]\n"
		       "\n"
		       "One self-contained HTML page (at most 2 MiB, nothing fetched from the network): summary,\n"
		       "memory over time, flame graphs at the peak, at exit and of everything allocated, the top\n"
		       "sites with their source lines, and the leaks. Default output: FILE with .html.\n",
	[CMD_FLAME] = "usage: memlens flamegraph FILE [-o OUT.html] [--at peak|end|leaks|total]\n"
		      "\n"
		      "An interactive flame graph (click to zoom, search, hover) of the memory alive at the peak\n"
		      "(default), at exit (end, or leaks), or allocated over the run (total).\n"
		      "Default output: FILE with .flame.html.\n",
	[CMD_DIFF] = "usage: memlens diff BEFORE AFTER [-o OUT.html] [--by line|function] [-n N]\n"
		     "       memlens diff FILE --from MARK [--to MARK] [--by line|function] [-n N]\n"
		     "\n"
		     "What changed between two captures of the same program, per site: memory alive at the peak\n"
		     "and at exit, before and after. Prints a table (the N largest changes, default 20); with -o,\n"
		     "writes an HTML page with the table and differential flame graphs (red grew, green shrank).\n"
		     "With --from, what grew in one run between two memlens.mark() points (--to: default the\n"
		     "end of the run), per site: memory alive at each and allocated in between.\n"
		     "  --by function  match sites by function instead of line (when edits moved the lines)\n",
	[CMD_EXPORT] = "usage: memlens export FILE --format pprof|speedscope|folded|json|csv -o OUT [--at peak|end|total]\n"
		       "\n"
		       "The capture for other tools (-o - writes to stdout):\n"
		       "  pprof       gzip'd profile.proto: inuse_space/objects (--at peak, default, or end),\n"
		       "              alloc_space/objects; go tool pprof, Pyroscope, Parca\n"
		       "  speedscope  speedscope.app JSON: three profiles (peak, exit, allocated)\n"
		       "  folded      'frame;frame;frame bytes' lines for flamegraph.pl/inferno (--at, default peak)\n"
		       "  json        the memlens JSON document, stable keys (docs/REPORTS.md)\n"
		       "  csv         one row per stack with all its counters\n",
};

typedef struct {
	const char *files[2];
	size_t n_files;
	const char *output;
	ml_view_at_t at;
	ml_view_by_t by;
	size_t n;
	int has_format;
	ml_export_fmt_t format;
	const char *from, *to; /* diff between marks of one capture */
} opts_t;

static int parse(cmd_t c, int argc, char **argv, opts_t *o)
{
	const char *cmd = argv[0];
	size_t want = c == CMD_DIFF ? 2 : 1;
	*o = (opts_t){.at = ML_VIEW_AT_PEAK, .by = ML_VIEW_BY_LINE, .n = 20};
	for (int i = 1; c == CMD_DIFF && i < argc; i++)
		if (!strcmp(argv[i], "--from") || !strcmp(argv[i], "--to"))
			want = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int missing = 0;
		if (a[0] != '-' || !a[1]) {
			if (o->n_files == want)
				return ml_args_usage_error(cmd, "unexpected argument '%s'", a);
			o->files[o->n_files++] = a;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(helps[c], stdout);
			return -1;
		} else if ((v = ml_args_value(argc, argv, &i, "-o", &missing)) || missing ||
			   (v = ml_args_value(argc, argv, &i, "--output", &missing)) || missing) {
			if (missing)
				return ml_args_usage_error(cmd, "%s needs a file name", a);
			o->output = v;
		} else if (c != CMD_REPORT && c != CMD_DIFF && ((v = ml_args_value(argc, argv, &i, "--at", &missing)) || missing)) {
			if (missing)
				return ml_args_usage_error(cmd, "%s needs peak, end or total", a);
			if (!strcmp(v, "leaks"))
				v = "end";
			if (ml_view_parse_at(v, &o->at))
				return ml_args_usage_error(cmd, "--at wants peak, end%s, not '%s'", c == CMD_FLAME ? ", leaks or total" : " or total", v);
		} else if (c == CMD_DIFF && ((v = ml_args_value(argc, argv, &i, "--by", &missing)) || missing)) {
			if (missing || ml_view_parse_by(v, &o->by) || (o->by != ML_VIEW_BY_LINE && o->by != ML_VIEW_BY_FUNCTION))
				return ml_args_usage_error(cmd, "--by wants line or function%s%s", missing ? "" : ", not ", missing ? "" : v);
		} else if (c == CMD_DIFF && ((v = ml_args_value(argc, argv, &i, "--from", &missing)) || missing ||
					     (v = ml_args_value(argc, argv, &i, "--to", &missing)) || missing)) {
			if (missing)
				return ml_args_usage_error(cmd, "%s needs the label of a mark", a);
			*(!strcmp(a, "--from") ? &o->from : &o->to) = v;
		} else if (c == CMD_DIFF && ((v = ml_args_value(argc, argv, &i, "-n", &missing)) || missing)) {
			char *end;
			errno = 0;
			unsigned long long n = missing ? 0 : strtoull(v, &end, 10);
			if (missing || errno || *end || *v < '0' || *v > '9')
				return ml_args_usage_error(cmd, "-n wants a number of rows");
			o->n = (size_t)n;
		} else if (c == CMD_EXPORT && ((v = ml_args_value(argc, argv, &i, "--format", &missing)) || missing)) {
			if (missing || ml_export_parse_format(v, &o->format))
				return ml_args_usage_error(cmd, "--format wants pprof, speedscope, folded, json or csv%s%s",
						   missing ? "" : ", not ", missing ? "" : v);
			o->has_format = 1;
		} else {
			return ml_args_usage_error(cmd, "unknown option '%s'", a);
		}
	}
	if (o->n_files < want)
		return ml_args_usage_error(cmd, want == 2 ? "needs two capture files, BEFORE and AFTER" : "missing the capture file");
	if (o->to && !o->from)
		return ml_args_usage_error(cmd, "--to needs --from (the mark to compare with)");
	if (o->from && o->output)
		return ml_args_usage_error(cmd, "between marks the diff is a table: drop -o");
	if (c == CMD_EXPORT && !o->has_format)
		return ml_args_usage_error(cmd, "--format is required");
	if (c == CMD_EXPORT && !o->output)
		return ml_args_usage_error(cmd, "-o is required (-o - for stdout)");
	if (c == CMD_EXPORT && o->format == ML_EXPORT_PPROF && o->at == ML_VIEW_AT_TOTAL)
		return ml_args_usage_error(cmd, "pprof always has alloc_space; --at chooses inuse: peak or end");
	return 0;
}

/* ---- Output ---- */

static int write_out(const char *path, const ml_buf_t *b)
{
	if (!strcmp(path, "-")) {
		if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout)) {
			fprintf(stderr, "memlens: writing to stdout: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	size_t n = strlen(path);
	char *tmp = malloc(n + 32);
	if (!tmp)
		return -1;
	snprintf(tmp, n + 32, "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "wb");
	int ok = f && fwrite(b->data, 1, b->len, f) == b->len;
	ok = f && !fclose(f) && ok;
	if (!ok || rename(tmp, path)) {
		fprintf(stderr, "memlens: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static char *default_output(const char *capture, const char *suffix)
{
	size_t n = strlen(capture);
	if (n > 6 && !strcmp(capture + n - 6, ".mlens"))
		n -= 6;
	const char *slash = strrchr(capture, '/');
	size_t skip = slash ? (size_t)(slash + 1 - capture) : 0;
	char *out = malloc(n - skip + strlen(suffix) + 1);
	if (out)
		sprintf(out, "%.*s%s", (int)(n - skip), capture + skip, suffix);
	return out;
}

/* Source lines for the report page: one file kept in memory at a time (sites cluster by file). A
 * capture names files, and a page is shared: only regular files whose name ends in .py are read, so
 * that a crafted capture cannot copy a line of /etc/shadow into a report, or block on a FIFO. */
typedef struct {
	char *name, *text;
	size_t len;
} source_t;

static const char *source_line(void *ctx, const ml_cap_str_t *file, uint64_t line, char *buf, size_t len)
{
	source_t *s = ctx;
	if (!file->len || memchr(file->s, 0, file->len) || file->s[0] == '<')
		return NULL;
	if (!s->name || strcmp(s->name, file->s)) {
		free(s->name);
		free(s->text);
		*s = (source_t){.name = strdup(file->s)};
		struct stat st;
		int fd = file->len > 3 && !strcmp(file->s + file->len - 3, ".py")
				 ? open(file->s, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
				 : -1;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			enum { MAX_SOURCE = 4 << 20 };
			s->text = malloc(MAX_SOURCE);
			ssize_t got = 0, n;
			while (s->text && got < MAX_SOURCE && (n = read(fd, s->text + got, (size_t)(MAX_SOURCE - got))) > 0)
				got += n;
			s->len = (size_t)got;
		}
		if (fd >= 0)
			close(fd);
	}
	const char *p = s->text, *end = s->text + s->len;
	for (uint64_t l = 1; p && p < end && l < line; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		p = p ? p + 1 : NULL;
	}
	if (!p || p >= end || !line)
		return NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = (size_t)((nl ? nl : end) - p);
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

/* ---- The diff as a text table ---- */

/* "file:line in function", NUL-terminated, control characters shown as '?'. */
static void site_name(ml_buf_t *site, const ml_diff_row_t *r)
{
	if (r->file) {
		for (size_t k = 0; k < r->file->len; k++)
			ml_buf_put_u8(site, (unsigned char)r->file->s[k] < 0x20 ? '?' : (uint8_t)r->file->s[k]);
		if (r->line)
			ml_export_printf(site, ":%llu", (unsigned long long)r->line);
		ml_buf_put(site, " in ", 4);
	}
	for (size_t k = 0; k < r->function->len; k++)
		ml_buf_put_u8(site, (unsigned char)r->function->s[k] < 0x20 ? '?' : (uint8_t)r->function->s[k]);
	ml_buf_put_u8(site, 0);
}

static void diff_text(ml_buf_t *out, const ml_diff_t *d, size_t n)
{
	char a[ML_UNITS_LEN], b[ML_UNITS_LEN], c[ML_UNITS_LEN + 1], e0[ML_UNITS_LEN], e1[ML_UNITS_LEN];
	ml_rep_table_t *t = ml_rep_table_new(6);
	if (!t) {
		out->failed = 1;
		return;
	}
	const char *heads[] = {"peak before", "peak after", "change", "exit before", "exit after"};
	for (size_t i = 0; i < 5; i++)
		ml_rep_table_col(t, i, heads[i], ML_REP_RIGHT, 0, ML_REP_CUT_RIGHT);
	ml_rep_table_col(t, 5, "site", ML_REP_LEFT, 70, ML_REP_CUT_LEFT);
	for (size_t i = 0; i < d->n_changed && (!n || i < n); i++) {
		const ml_diff_row_t *r = &d->rows[i];
		ml_buf_t site = {0};
		site_name(&site, r);
		uint64_t up = r->peak[1] >= r->peak[0];
		c[0] = up ? '+' : '-';
		ml_units_bytes(up ? r->peak[1] - r->peak[0] : r->peak[0] - r->peak[1], c + 1, sizeof c - 1);
		const char *cells[6] = {ml_units_bytes(r->peak[0], a, sizeof a), ml_units_bytes(r->peak[1], b, sizeof b), c,
					ml_units_bytes(r->end[0], e0, sizeof e0), ml_units_bytes(r->end[1], e1, sizeof e1),
					site.data ? (const char *)site.data : "?"};
		if (ml_rep_table_row(t, cells))
			out->failed = 1;
		ml_buf_free(&site);
	}
	ml_units_bytes(d->peak[0], a, sizeof a);
	ml_units_bytes(d->peak[1], b, sizeof b);
	ml_units_bytes(d->end[0], e0, sizeof e0);
	ml_units_bytes(d->end[1], e1, sizeof e1);
	ml_export_printf(out, "peak of the traced heap: %s -> %s;  alive at exit: %s -> %s\n\n", a, b, e0, e1);
	if (d->n_changed)
		ml_rep_table_render(t, out, "");
	if (n && d->n_changed > n)
		ml_export_printf(out, "... and %zu more changed sites (-n 0 shows all)\n", d->n_changed - n);
	ml_export_printf(out, "%zu sites unchanged at the peak and at exit\n", d->n_rows - d->n_changed);
	ml_rep_table_free(t);
}

/* ---- The diff between two marks of one run ---- */

static int by_end_change(const void *a, const void *b)
{
	const ml_diff_row_t *x = a, *y = b;
	uint64_t dx = x->end[1] > x->end[0] ? x->end[1] - x->end[0] : x->end[0] - x->end[1];
	uint64_t dy = y->end[1] > y->end[0] ? y->end[1] - y->end[0] : y->end[0] - y->end[1];
	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

/* Per site: alive at the first mark, at the second, the change, and what was allocated in between;
 * largest change first. Rows are reordered in place. */
static void diff_marks_text(ml_buf_t *out, ml_diff_t *d, const char *from, const char *to, size_t n)
{
	char a[ML_UNITS_LEN], b[ML_UNITS_LEN], c[ML_UNITS_LEN + 1], al[ML_UNITS_LEN], ha[64], hb[64];
	ml_rep_table_t *t = ml_rep_table_new(5);
	if (!t) {
		out->failed = 1;
		return;
	}
	snprintf(ha, sizeof ha, "at %.50s", from);
	snprintf(hb, sizeof hb, "at %.50s", to);
	const char *heads[] = {ha, hb, "change", "allocated between"};
	for (size_t i = 0; i < 4; i++)
		ml_rep_table_col(t, i, heads[i], ML_REP_RIGHT, 0, ML_REP_CUT_RIGHT);
	ml_rep_table_col(t, 4, "site", ML_REP_LEFT, 70, ML_REP_CUT_LEFT);
	size_t changed = 0;
	for (size_t i = 0; i < d->n_rows; i++)
		if (d->rows[i].end[0] != d->rows[i].end[1])
			d->rows[changed++] = d->rows[i];
	qsort(d->rows, changed, sizeof *d->rows, by_end_change);
	for (size_t i = 0; i < changed && (!n || i < n); i++) {
		const ml_diff_row_t *r = &d->rows[i];
		ml_buf_t site = {0};
		site_name(&site, r);
		int up = r->end[1] >= r->end[0];
		c[0] = up ? '+' : '-';
		ml_units_bytes(up ? r->end[1] - r->end[0] : r->end[0] - r->end[1], c + 1, sizeof c - 1);
		const char *cells[5] = {ml_units_bytes(r->end[0], a, sizeof a), ml_units_bytes(r->end[1], b, sizeof b), c,
					ml_units_bytes(r->alloc[1] - r->alloc[0], al, sizeof al),
					site.data ? (const char *)site.data : "?"};
		if (ml_rep_table_row(t, cells))
			out->failed = 1;
		ml_buf_free(&site);
	}
	int up = d->end[1] >= d->end[0];
	ml_units_bytes(d->end[0], a, sizeof a);
	ml_units_bytes(d->end[1], b, sizeof b);
	ml_units_bytes(up ? d->end[1] - d->end[0] : d->end[0] - d->end[1], c, sizeof c);
	ml_export_printf(out, "traced heap alive: %s at %s -> %s at %s (%c%s)\n\n", a, from, b, to, up ? '+' : '-', c);
	if (changed)
		ml_rep_table_render(t, out, "");
	if (n && changed > n)
		ml_export_printf(out, "... and %zu more changed sites (-n 0 shows all)\n", changed - n);
	ml_export_printf(out, "%zu sites unchanged between the marks\n", d->n_rows - changed);
	ml_rep_table_free(t);
}

/* ---- Commands ---- */

static int load(const char *path, ml_capture_t **cap)
{
	char err[512];
	if (ml_capture_open(path, cap, err, sizeof err)) {
		fprintf(stderr, "memlens: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

static int load_at_mark(const char *path, const char *label, ml_capture_t **cap)
{
	char err[512];
	if (ml_capture_open_at_mark(path, label, cap, err, sizeof err)) {
		fprintf(stderr, "memlens: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int run(cmd_t c, int argc, char **argv)
{
	opts_t o;
	ml_capture_t *cap[2] = {NULL, NULL};
	ml_buf_t out = {0};
	char *defout = NULL;
	source_t src = {0};
	int status = ML_EXIT_ERROR, rc = parse(c, argc, argv, &o);
	if (rc)
		return rc < 0 ? ML_EXIT_OK : rc;
	for (size_t i = 0; i < o.n_files; i++)
		if (load(o.files[i], &cap[i]))
			goto done;
	if (o.from) { /* the whole capture loaded (and validated); now as it was at each mark */
		ml_capture_t *whole = cap[0];
		cap[0] = NULL;
		if (load_at_mark(o.files[0], o.from, &cap[0]) || (o.to && load_at_mark(o.files[0], o.to, &cap[1]))) {
			ml_capture_free(whole);
			goto done;
		}
		if (!o.to)
			cap[1] = whole;
		else
			ml_capture_free(whole);
		ml_diff_t d;
		if (ml_diff_sites(cap[0], cap[1], o.by, &d))
			goto oom;
		diff_marks_text(&out, &d, o.from, o.to ? o.to : "the end", o.n);
		ml_diff_free(&d);
		if (ml_buf_failed(&out))
			goto oom;
		status = write_out("-", &out) ? ML_EXIT_ERROR : ML_EXIT_OK;
		goto done;
	}
	const char *output = o.output;
	if (!output && c != CMD_DIFF) {
		output = defout = default_output(o.files[0], c == CMD_REPORT ? ".html" : ".flame.html");
		if (!defout)
			goto oom;
	}
	ml_html_opts_t ho = {.title = base_name(o.files[0]), .source = source_line, .source_ctx = &src};
	rc = 0;
	if (c == CMD_REPORT) {
		rc = ml_html_report(&out, cap[0], &ho);
	} else if (c == CMD_FLAME) {
		rc = ml_html_flamegraph(&out, cap[0], o.at, &ho);
	} else if (c == CMD_DIFF) {
		ml_diff_t d;
		if (ml_diff_sites(cap[0], cap[1], o.by, &d))
			goto oom;
		char title[512];
		snprintf(title, sizeof title, "%s → %s", base_name(o.files[0]), base_name(o.files[1]));
		ho.title = title;
		if (o.output)
			rc = ml_html_diff(&out, cap[0], cap[1], &d, &ho);
		else
			diff_text(&out, &d, o.n);
		ml_diff_free(&d);
		if (!o.output)
			output = "-";
	} else if (o.format == ML_EXPORT_PPROF) {
		rc = ml_pprof_write(&out, cap[0], o.at == ML_VIEW_AT_END ? ML_VIEW_AT_END : ML_VIEW_AT_PEAK);
	} else if (o.format == ML_EXPORT_SPEEDSCOPE) {
		ml_export_speedscope(&out, cap[0], base_name(o.files[0]));
	} else if (o.format == ML_EXPORT_FOLDED) {
		ml_export_folded(&out, cap[0], o.at);
	} else if (o.format == ML_EXPORT_CSV) {
		ml_export_csv(&out, cap[0]);
	} else {
		ml_view_summary_t s;
		if (ml_view_summary(cap[0], &s))
			goto oom;
		ml_export_json(&out, cap[0], &s);
		ml_view_summary_free(&s);
	}
	if (rc == -2) {
		fprintf(stderr, "memlens: %s: the page would be larger than %u bytes even with its flame graphs cut down\n",
			o.files[0], ML_HTML_MAX_BYTES);
		goto done;
	}
	if (rc || ml_buf_failed(&out))
		goto oom;
	if (write_out(output, &out))
		goto done;
	if (strcmp(output, "-")) {
		char size[ML_UNITS_LEN];
		fprintf(stderr, "memlens: wrote %s (%s)\n", output, ml_units_bytes(out.len, size, sizeof size));
	}
	status = ML_EXIT_OK;
	goto done;
oom:
	fprintf(stderr, "memlens: %s: out of memory\n", o.files[0]);
done:
	free(src.name);
	free(src.text);
	free(defout);
	ml_buf_free(&out);
	ml_capture_free(cap[0]);
	ml_capture_free(cap[1]);
	return status;
}

int ml_cmd_report(int argc, char **argv) { return run(CMD_REPORT, argc, argv); }
int ml_cmd_flamegraph(int argc, char **argv) { return run(CMD_FLAME, argc, argv); }
int ml_cmd_diff(int argc, char **argv) { return run(CMD_DIFF, argc, argv); }
int ml_cmd_export(int argc, char **argv) { return run(CMD_EXPORT, argc, argv); }
