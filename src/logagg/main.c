/* main.c — the logagg command line: options, the run, and every line logagg prints.
 *
 * The only file that writes to stdout/stderr. Exit status: 0 success (malformed lines do not make a
 * run fail: they are counted and reported), 1 bad input or I/O error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "follow.h"
#include "output.h"
#include "run.h"
#include "state.h"

#define DEFAULT_MAX_MEMORY (64ull << 20)

static const char USAGE[] =
	"usage: logagg [options] FILE...         aggregate access logs by client address\n"
	"       logagg [options] merge STATE...  combine state files written by --state\n"
	"\n"
	"FILE is an nginx/Apache access log in combined or common format, '-' for stdin;\n"
	"gzip files are read transparently. Prints requests (PV), distinct clients (UV) and the\n"
	"top clients by requests with their share.\n"
	"\n"
	"options:\n"
	"  -n, --top N            list the N busiest clients (default 10; 0: none)\n"
	"      --json FILE        write the result as JSON (schema in docs/LOGAGG.md; '-': stdout)\n"
	"      --csv FILE         write every client as CSV: client,requests,share,max_overcount ('-': stdout)\n"
	"      --state FILE       write a mergeable state file (combine with 'logagg merge')\n"
	"      --field N          the client address is the Nth blank-separated field (1-based),\n"
	"                         no other check of the line\n"
	"      --xff              use the first address of X-Forwarded-For (the last quoted field,\n"
	"                         as in nginx's default 'main' format); '-' there falls back to field 1\n"
	"  -m, --max-memory SIZE  bound on the counting tables of all threads, e.g. 16M, 1G (default 64M);\n"
	"                         past it UV and top clients become estimates with error bounds\n"
	"  -j, --threads N        worker threads for large files (default: one per core)\n"
	"  -f, --follow           keep reading FILE as it grows; survives rotation by rename or\n"
	"                         truncation; Ctrl-C prints the final result\n"
	"      --interval SEC     refresh period in follow mode (default 2)\n"
	"      --show-skipped     print examples of the malformed lines\n"
	"  -h, --help             this help\n"
	"\n"
	"A line counts as a request when it has a client address, [time], \"request\" and status.\n"
	"Malformed lines (empty, truncated, bad address, host name, longer than 64 KiB) are counted\n"
	"and reported, never fatal. Exit status: 0 ok, 1 input or I/O error, 2 usage error.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("logagg: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'logagg --help'.\n", stderr);
	return 2;
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case '\0': break;
	default: return -1;
	}
	if ((*end == 'b' || *end == 'B') && shift)
		end++;
	if (*end || v > (SIZE_MAX >> shift))
		return -1;
	*out = (size_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

typedef struct {
	const lg_report_t *rep;
	int tty;
} view_t;

static void refresh(void *ctx, const lg_agg_t *g)
{
	view_t *v = ctx;
	if (v->tty) {
		fputs("\033[H\033[J", stdout);
		lg_print_table(stdout, g, v->rep);
		fflush(stdout);
	} else {
		lg_print_line(stdout, g);
	}
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	const char *path = ctx;
	fprintf(stderr, "\rlogagg: %s: %.1f of %.1f GB (%.0f%%)\033[K", path, (double)done / 1e9,
		(double)total / 1e9, total ? 100.0 * (double)done / (double)total : 100.0);
}

typedef enum { OUT_JSON, OUT_CSV, OUT_STATE } out_kind_t;

static int write_output(out_kind_t kind, const char *path, const lg_agg_t *g, const lg_report_t *rep)
{
	char why[256];
	if (kind == OUT_STATE) {
		if (lg_state_write(path, g, why, sizeof why) == 0)
			return 0;
		fprintf(stderr, "logagg: %s: %s\n", path, why);
		return 1;
	}
	if (strcmp(path, "-") == 0) {
		int rc = kind == OUT_JSON ? lg_write_json(stdout, g, rep) : lg_write_csv(stdout, g);
		if (rc == 0 && fflush(stdout) == 0)
			return 0;
		fprintf(stderr, "logagg: <stdout>: %s\n", rc ? "out of memory" : strerror(errno));
		return 1;
	}
	lg_atomic_t at;
	if (lg_atomic_open(&at, path) != 0) {
		fprintf(stderr, "logagg: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((kind == OUT_JSON ? lg_write_json(at.f, g, rep) : lg_write_csv(at.f, g)) != 0) {
		lg_atomic_abort(&at);
		fprintf(stderr, "logagg: %s: out of memory\n", path);
		return 1;
	}
	if (lg_atomic_commit(&at) != 0) {
		fprintf(stderr, "logagg: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_JSON = 256, O_CSV, O_STATE, O_FIELD, O_XFF, O_INTERVAL, O_SHOW };
	static const struct option opts[] = {
		{ "top", required_argument, 0, 'n' },
		{ "json", required_argument, 0, O_JSON },
		{ "csv", required_argument, 0, O_CSV },
		{ "state", required_argument, 0, O_STATE },
		{ "field", required_argument, 0, O_FIELD },
		{ "xff", no_argument, 0, O_XFF },
		{ "max-memory", required_argument, 0, 'm' },
		{ "threads", required_argument, 0, 'j' },
		{ "follow", no_argument, 0, 'f' },
		{ "interval", required_argument, 0, O_INTERVAL },
		{ "show-skipped", no_argument, 0, O_SHOW },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *json = NULL, *csv = NULL, *state = NULL;
	unsigned long top = 10, threads = 0, interval = 2, field = 0;
	size_t budget = DEFAULT_MAX_MEMORY;
	int follow = 0, show = 0, xff = 0, c;
	while ((c = getopt_long(argc, argv, "n:m:j:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_uint(optarg, 1000000, &top))
				return usage_error("--top wants a number of clients, not '%s'", optarg);
			break;
		case O_JSON: json = optarg; break;
		case O_CSV: csv = optarg; break;
		case O_STATE: state = optarg; break;
		case O_FIELD:
			if (parse_uint(optarg, 1000, &field) || field == 0)
				return usage_error("--field wants a field number from 1, not '%s'", optarg);
			break;
		case O_XFF: xff = 1; break;
		case 'm':
			if (parse_size(optarg, &budget) || budget < (64u << 10))
				return usage_error("--max-memory wants a size of at least 64K (e.g. 64M, 1G), not '%s'", optarg);
			break;
		case 'j':
			if (parse_uint(optarg, 64, &threads) || threads == 0)
				return usage_error("--threads wants 1 to 64, not '%s'", optarg);
			break;
		case 'f': follow = 1; break;
		case O_INTERVAL:
			if (parse_uint(optarg, 3600, &interval) || interval == 0)
				return usage_error("--interval wants whole seconds from 1 to 3600, not '%s'", optarg);
			break;
		case O_SHOW: show = 1; break;
		case 'h': fputs(USAGE, stdout); return 0;
		default: return usage_error("%s", "unknown option");
		}
	}
	if (field && xff)
		return usage_error("%s", "--field and --xff are exclusive");
	int merge = optind < argc && strcmp(argv[optind], "merge") == 0;
	if (merge)
		optind++;
	int nin = argc - optind;
	if (nin == 0)
		return usage_error("%s", merge ? "merge needs state files" : "no input file (use - for stdin)");
	if (follow && (merge || nin != 1 || strcmp(argv[optind], "-") == 0))
		return usage_error("%s", "--follow takes exactly one log file");
	if (json && csv && strcmp(json, "-") == 0 && strcmp(csv, "-") == 0)
		return usage_error("%s", "--json and --csv cannot both go to stdout");
	if (!threads) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		threads = nc < 1 ? 1 : nc > 64 ? 64 : (unsigned long)nc;
	}

	lg_run_cfg_t cfg = { .threads = (int)threads, .budget = budget };
	cfg.parse.src = xff ? LG_SRC_XFF : field ? LG_SRC_FIELD : LG_SRC_REMOTE;
	cfg.parse.field = (unsigned)field;
	lg_report_t rep = { (const char *const *)argv + optind, nin, top, show };
	lg_agg_t g;
	lg_agg_init(&g, budget);
	lg_err_t err;
	int rc = 0;
	int tty_err = isatty(2);

	if (merge) {
		for (int i = optind; i < argc && rc == 0; i++) {
			char why[256];
			if (lg_state_read(argv[i], &g, why, sizeof why) != 0) {
				fprintf(stderr, "logagg: %s: %s\n", argv[i], why);
				rc = 1;
			}
		}
	} else if (follow) {
		struct sigaction sa = { .sa_handler = on_signal };
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		view_t v = { &rep, isatty(1) };
		if (lg_follow(&cfg.parse, argv[optind], &g, (unsigned)interval * 1000, &g_stop, refresh, &v, &err) != 0) {
			fprintf(stderr, "logagg: %s\n", err.msg);
			rc = 1;
		}
	} else {
		for (int i = optind; i < argc && rc == 0; i++) {
			cfg.progress = tty_err ? progress : NULL;
			cfg.progress_ctx = argv[i];
			if (lg_run_source(&cfg, argv[i], &g, &err) != 0) {
				if (tty_err)
					fputs("\r\033[K", stderr);
				fprintf(stderr, "logagg: %s\n", err.msg);
				rc = 1;
			}
		}
		if (tty_err)
			fputs("\r\033[K", stderr);
	}
	if (rc == 0) {
		int to_stdout = (json && strcmp(json, "-") == 0) || (csv && strcmp(csv, "-") == 0);
		if (!to_stdout) {
			lg_print_table(stdout, &g, &rep);
			fflush(stdout);
		}
		if (json)
			rc |= write_output(OUT_JSON, json, &g, &rep);
		if (csv)
			rc |= write_output(OUT_CSV, csv, &g, &rep);
		if (state)
			rc |= write_output(OUT_STATE, state, &g, &rep);
	}
	lg_agg_free(&g);
	return rc;
}
