/* cmd_reports.c — `memlens summary`, `memlens top`, `memlens leaks`: parse the command line, load the
 * capture (analysis/capture.h), compute a view (analysis/views.h), render it (report/text.h) into a
 * buffer and print it. Usage errors exit ML_EXIT_USAGE, unreadable captures ML_EXIT_ERROR, each with
 * one line on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/capture.h"
#include "analysis/views.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "report/text.h"

typedef enum { REPORT_SUMMARY, REPORT_TOP, REPORT_LEAKS } report_t;

typedef struct {
	const char *file;
	ml_view_by_t by;
	ml_view_at_t at;
	size_t n;
} opts_t;

static const char *const helps[] = {
	[REPORT_SUMMARY] = "usage: memlens summary FILE\n"
			   "\n"
			   "The run at a glance: command, duration, memory allocated, the peak of the traced heap and\n"
			   "the lines responsible for it, peak RSS, what was still alive at exit, and the capture's notes.\n",
	[REPORT_TOP] = "usage: memlens top FILE [--by line|function|file|stack] [--at peak|end|total] [-n N]\n"
		       "\n"
		       "The largest allocation sites.\n"
		       "  --by line|function|file|stack  group by the innermost frame's line (default), function\n"
		       "                                 or file, or by the whole stack\n"
		       "  --at peak|end|total            memory alive at the peak of the traced heap (default),\n"
		       "                                 alive at exit, or allocated over the whole run\n"
		       "  -n N                           show the N largest (default 20; 0 = all)\n",
	[REPORT_LEAKS] = "usage: memlens leaks FILE [-n N]\n"
			 "\n"
			 "Memory still alive at exit, by allocation stack, largest first, each with its stack.\n"
			 "  -n N  show the N largest stacks (default 20; 0 = all)\n",
};

static int parse_count(const char *s, size_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || v > SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Returns -1 after printing --help (exit 0), ML_EXIT_USAGE after a usage error, 0 otherwise. */
static int parse(report_t rep, int argc, char **argv, opts_t *o)
{
	const char *cmd = argv[0];
	int only_files = 0;
	*o = (opts_t){.by = ML_VIEW_BY_LINE, .at = ML_VIEW_AT_PEAK, .n = 20};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		int missing = 0;
		if (only_files || a[0] != '-' || !a[1]) {
			if (o->file)
				return ml_args_usage_error(cmd, "unexpected argument '%s': one capture file only", a);
			o->file = a;
		} else if (!strcmp(a, "--")) {
			only_files = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(helps[rep], stdout);
			return -1;
		} else if (rep != REPORT_SUMMARY && ((v = ml_args_value(argc, argv, &i, "-n", &missing)) || missing)) {
			if (missing)
				return ml_args_usage_error(cmd, "%s needs a number", a);
			if (parse_count(v, &o->n))
				return ml_args_usage_error(cmd, "-n wants a number of rows, not '%s'", v);
		} else if (rep == REPORT_TOP && ((v = ml_args_value(argc, argv, &i, "--by", &missing)) || missing)) {
			if (missing)
				return ml_args_usage_error(cmd, "%s needs one of line, function, file, stack", a);
			if (ml_view_parse_by(v, &o->by))
				return ml_args_usage_error(cmd, "--by wants line, function, file or stack, not '%s'", v);
		} else if (rep == REPORT_TOP && ((v = ml_args_value(argc, argv, &i, "--at", &missing)) || missing)) {
			if (missing)
				return ml_args_usage_error(cmd, "%s needs one of peak, end, total", a);
			if (ml_view_parse_at(v, &o->at))
				return ml_args_usage_error(cmd, "--at wants peak, end or total, not '%s'", v);
		} else {
			return ml_args_usage_error(cmd, "unknown option '%s'", a);
		}
	}
	if (!o->file)
		return ml_args_usage_error(cmd, "missing the capture file");
	return 0;
}

static int report(report_t rep, int argc, char **argv)
{
	opts_t o;
	ml_capture_t *cap = NULL;
	ml_buf_t out = {0};
	char err[512];
	int status = ML_EXIT_ERROR;
	int rc = parse(rep, argc, argv, &o);
	if (rc)
		return rc < 0 ? ML_EXIT_OK : rc;

	if (ml_capture_open(o.file, &cap, err, sizeof err)) {
		fprintf(stderr, "memlens: %s: %s\n", o.file, err);
		return ML_EXIT_ERROR;
	}
	if (rep == REPORT_SUMMARY) {
		ml_view_summary_t s;
		if (ml_view_summary(cap, &s))
			goto fail;
		ml_rep_text_summary(&out, cap, &s);
		ml_view_summary_free(&s);
	} else {
		ml_view_top_t top;
		if (rep == REPORT_TOP ? ml_view_top(cap, o.by, o.at, o.n, &top) : ml_view_leaks(cap, o.n, &top))
			goto fail;
		if (rep == REPORT_TOP)
			ml_rep_text_top(&out, cap, &top, o.by, o.at);
		else
			ml_rep_text_leaks(&out, cap, &top);
		ml_view_top_free(&top);
	}
	if (ml_buf_failed(&out))
		goto fail;
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout)) {
		fprintf(stderr, "memlens: writing the report: %s\n", strerror(errno));
		goto done;
	}
	status = ML_EXIT_OK;
	goto done;
fail:
	fprintf(stderr, "memlens: %s: out of memory\n", o.file);
done:
	ml_buf_free(&out);
	ml_capture_free(cap);
	return status;
}

int ml_cmd_summary(int argc, char **argv) { return report(REPORT_SUMMARY, argc, argv); }
int ml_cmd_top(int argc, char **argv) { return report(REPORT_TOP, argc, argv); }
int ml_cmd_leaks(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "run")) /* memlens leaks run ...: cmd_leakcheck.c */
		return ml_cmd_leakcheck(argc - 1, argv + 1);
	return report(REPORT_LEAKS, argc, argv);
}
