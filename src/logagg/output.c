/* output.c — see output.h. */
#include "output.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hll.h"

int lg_atomic_open(lg_atomic_t *a, const char *path)
{
	a->path = path;
	if (snprintf(a->tmp, sizeof a->tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof a->tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemp(a->tmp);
	if (fd < 0)
		return -1;
	/* mkstemp makes 0600; the final file gets the usual 0666 minus the umask. */
	mode_t um = umask(0);
	umask(um);
	fchmod(fd, 0666 & ~um);
	a->f = fdopen(fd, "w");
	if (!a->f) {
		int e = errno;
		close(fd);
		unlink(a->tmp);
		errno = e;
		return -1;
	}
	return 0;
}

void lg_atomic_abort(lg_atomic_t *a)
{
	fclose(a->f);
	unlink(a->tmp);
}

int lg_atomic_commit(lg_atomic_t *a)
{
	int bad = fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0;
	int e = errno;
	bad |= fclose(a->f) != 0;
	if (!bad && rename(a->tmp, a->path) == 0)
		return 0;
	e = errno ? errno : e;
	unlink(a->tmp);
	errno = e ? e : EIO;
	return -1;
}

const char *lg_thousands(unsigned long long v, char *buf)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%llu", v), k = 0;
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = tmp[i];
	}
	buf[k] = 0;
	return buf;
}

static void print_skipped(FILE *f, const lg_agg_t *g, const lg_report_t *rep)
{
	char b[32];
	uint64_t bad = lg_agg_malformed(g);
	if (bad) {
		fprintf(f, "skipped %s malformed line%s (", lg_thousands(bad, b), bad == 1 ? "" : "s");
		const char *sep = "";
		for (int r = LG_LINE_EMPTY; r < LG_LINE_NREASONS; r++) {
			if (!g->lines[r])
				continue;
			fprintf(f, "%s%s %s", sep, lg_thousands(g->lines[r], b), lg_line_reason_name((lg_line_t)r));
			sep = ", ";
		}
		fprintf(f, ")%s\n", rep->show_skipped || !g->nexamples ? "" : "; --show-skipped shows examples");
	}
	if (g->lines[LG_LINE_COMMENT])
		fprintf(f, "ignored %s comment line%s\n", lg_thousands(g->lines[LG_LINE_COMMENT], b),
			g->lines[LG_LINE_COMMENT] == 1 ? "" : "s");
	if (rep->show_skipped)
		for (int i = 0; i < g->nexamples; i++)
			fprintf(f, "  [%s] %s\n", lg_line_reason_name(g->example_reason[i]), g->example[i]);
}

void lg_print_table(FILE *f, const lg_agg_t *g, const lg_report_t *rep)
{
	char b1[32], b2[32];
	size_t n = 0;
	lg_client_t *top = lg_agg_top(g, rep->top, &n);
	fprintf(f, "requests (PV)  %15s\n", lg_thousands(g->pv, b1));
	if (g->sketch) {
		b2[0] = '~';
		lg_thousands((unsigned long long)(lg_agg_uv(g) + 0.5), b2 + 1);
		fprintf(f, "clients (UV)   %15s  estimate (HyperLogLog): +-%.2f%% standard error, +-%.1f%% at 3 sigma\n",
			b2, 100 * LG_HLL_RSE, 300 * LG_HLL_RSE);
	} else
		fprintf(f, "clients (UV)   %15s\n", lg_thousands((unsigned long long)lg_agg_uv(g), b1));
	print_skipped(f, g, rep);
	if (!top || n == 0) {
		free(top);
		return;
	}
	int w = 6;
	for (size_t i = 0; i < n; i++) {
		char a[LG_ADDR_STRLEN];
		int l = (int)lg_addr_format(&top[i].addr, a);
		w = l > w ? l : w;
	}
	fprintf(f, "\n%4s  %-*s  %15s  %7s%s\n", "rank", w, "client", "PV", "share", g->sketch ? "  max overcount" : "");
	for (size_t i = 0; i < n; i++) {
		char a[LG_ADDR_STRLEN];
		lg_addr_format(&top[i].addr, a);
		double share = g->pv ? 100.0 * (double)top[i].pv / (double)g->pv : 0;
		fprintf(f, "%4zu  %-*s  %15s  %6.2f%%", i + 1, w, a, lg_thousands(top[i].pv, b1), share);
		if (g->sketch)
			fprintf(f, "  %14s", lg_thousands(top[i].err, b2));
		fputc('\n', f);
	}
	if (g->sketch)
		fprintf(f, "top clients estimated (Space-Saving, %d counters): PV may overcount by the last column;\n"
			   "a client not listed has at most %s requests\n",
			LG_TOPK_K, lg_thousands(lg_topk_floor(&g->topk), b1));
	free(top);
}

void lg_print_line(FILE *f, const lg_agg_t *g)
{
	char ts[32], b1[32], b2[32], b3[32];
	time_t now = time(NULL);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", localtime(&now));
	fprintf(f, "%s pv=%s uv=%s%s malformed=%s\n", ts, lg_thousands(g->pv, b1),
		g->sketch ? "~" : "", lg_thousands((unsigned long long)(lg_agg_uv(g) + 0.5), b2),
		lg_thousands(lg_agg_malformed(g), b3));
	fflush(f);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int lg_write_json(FILE *f, const lg_agg_t *g, const lg_report_t *rep)
{
	size_t n = 0;
	lg_client_t *top = lg_agg_top(g, rep->top, &n);
	if (!top)
		return -1;
	uint64_t total = 0;
	for (int r = 0; r < LG_LINE_NREASONS; r++)
		total += g->lines[r];
	fprintf(f, "{\n  \"schema\": \"logagg/1\",\n  \"inputs\": [");
	for (int i = 0; i < rep->ninputs; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, rep->inputs[i]);
	}
	fprintf(f, "],\n  \"exact\": %s,\n", g->sketch ? "false" : "true");
	fprintf(f, "  \"requests\": %llu,\n", (unsigned long long)g->pv);
	fprintf(f, "  \"clients\": %llu,\n", (unsigned long long)(lg_agg_uv(g) + 0.5));
	if (g->sketch)
		fprintf(f, "  \"clients_relative_standard_error\": %.4f,\n", LG_HLL_RSE);
	else
		fprintf(f, "  \"clients_relative_standard_error\": 0,\n");
	fprintf(f, "  \"lines\": {\"total\": %llu, \"requests\": %llu, \"comments\": %llu, \"malformed\": %llu, \"malformed_by_reason\": {",
		(unsigned long long)total, (unsigned long long)g->pv,
		(unsigned long long)g->lines[LG_LINE_COMMENT], (unsigned long long)lg_agg_malformed(g));
	for (int r = LG_LINE_EMPTY; r < LG_LINE_NREASONS; r++)
		fprintf(f, "%s\"%s\": %llu", r == LG_LINE_EMPTY ? "" : ", ", lg_line_reason_key((lg_line_t)r),
			(unsigned long long)g->lines[r]);
	fprintf(f, "}},\n  \"unlisted_max_requests\": %llu,\n  \"top\": [",
		(unsigned long long)(g->sketch ? lg_topk_floor(&g->topk) : (n < rep->top || n == 0 ? 0 : top[n - 1].pv)));
	for (size_t i = 0; i < n; i++) {
		char a[LG_ADDR_STRLEN];
		lg_addr_format(&top[i].addr, a);
		fprintf(f, "%s\n    {\"rank\": %zu, \"client\": \"%s\", \"requests\": %llu, \"share\": %.6f, \"max_overcount\": %llu}",
			i ? "," : "", i + 1, a, (unsigned long long)top[i].pv,
			g->pv ? (double)top[i].pv / (double)g->pv : 0.0, (unsigned long long)top[i].err);
	}
	fprintf(f, "%s]\n}\n", n ? "\n  " : "");
	free(top);
	return 0;
}

int lg_write_csv(FILE *f, const lg_agg_t *g)
{
	size_t n = 0;
	lg_client_t *all = lg_agg_top(g, SIZE_MAX, &n);
	if (!all)
		return -1;
	fputs("client,requests,share,max_overcount\n", f);
	for (size_t i = 0; i < n; i++) {
		char a[LG_ADDR_STRLEN];
		lg_addr_format(&all[i].addr, a);
		fprintf(f, "%s,%llu,%.6f,%llu\n", a, (unsigned long long)all[i].pv,
			g->pv ? (double)all[i].pv / (double)g->pv : 0.0, (unsigned long long)all[i].err);
	}
	free(all);
	return 0;
}
