/* cmd_leakcheck.c — `memlens leaks run`: run a program under the leak checker and print its report.
 *
 * The checker runs inside the program's interpreter (python/memlens/leaks.py): snapshots while the
 * program runs, then growing sites, sample objects, their reference chains and the leak's kind. This
 * front end finds the interpreter and the memlens package, starts
 *   python -c "<import memlens.leaks; main()>" [checker options] -- script.py args...
 * with the package first on PYTHONPATH (memlens._runner puts the user's PYTHONPATH back before the
 * program's first line, as for `memlens profile`), waits the way `memlens run` does (SIGTERM/SIGHUP/SIGUSR1/SIGUSR2 forwarded,
 * SIGINT/SIGQUIT left to the program), prints the text report on stdout once the program is gone,
 * and exits as the program did — or 97 with --fail-on-leak when the program succeeded but leaked.
 *
 * Options the checker knows (--interval, --around, --json, --html, --min-growth, --max-findings,
 * --samples, --nframe, --tracer) are passed through; it rejects bad values before the program runs.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/child.h"
#include "cli/commands.h"

#define ML_EXIT_LEAKED 97 /* --fail-on-leak: the same status as the run gates (run.c) */

/* The checker's options that take a value, passed through as they are. */
static const char *const passed_with_value[] = {"--interval", "--around",   "--json",    "--html",   "--min-growth",
						"--max-findings", "--samples", "--nframe", "--tracer", NULL};

static const char runner[] =
	"import sys\n"
	"try:\n"
	"    from memlens.leaks import main\n"
	"except ImportError as e:\n"
	"    sys.stderr.write('memlens: leaks run: no memlens for Python %d.%d (%s): %s; build it with: make pyext "
	"PYTHONS=%s\\n' % (sys.version_info[0], sys.version_info[1], sys.executable, e, sys.executable))\n"
	"    sys.exit(2)\n"
	"sys.exit(main())\n";

static void usage(FILE *out)
{
	fputs("usage: memlens leaks run [options] [--] script.py [args...]\n"
	      "\n"
	      "Runs the program, snapshots its heap as it runs, and reports the allocation sites whose live\n"
	      "memory keeps growing: the objects' type, growth rate, what keeps them alive (the reference\n"
	      "chain from a root) and the leak's kind with its fix. Also: gc collections and pauses, the\n"
	      "lines whose objects only the cyclic gc frees, pymalloc arenas.\n"
	      "\n"
	      "options:\n"
	      "  --interval S          seconds between timed snapshots (default 1; 0: marks/--around only)\n"
	      "  --around MOD:FUNC     snapshot after each call of this function (repeatable)\n"
	      "  --json FILE           the report as JSON          --html FILE   as one HTML page\n"
	      "  --min-growth BYTES    report sites that grow by at least this much (default 65536)\n"
	      "  --max-findings N      explain at most N sites (default 10)\n"
	      "  --samples N           reference chains per site (default 2)\n"
	      "  --nframe N            frames per allocation stack (default 16)\n"
	      "  --tracer memlens|tracemalloc   (default: memlens's own, when built)\n"
	      "  --python PATH         interpreter (default: python3 on PATH)\n"
	      "  --fail-on-leak        exit 97 when the program succeeded but leaked (CI)\n"
	      "  -q, --quiet           no text report on stdout\n"
	      "\n"
	      "In the program, memlens.mark(\"label\") takes a snapshot (e.g. once per request).\n",
	      out);
}

typedef struct {
	const char *python;
	int quiet, fail_on_leak;
	char **pass; /* checker options, then "--", then the program */
	int npass;
} opts_t;

static int parse(int argc, char **argv, opts_t *o)
{
	const char *cmd = "leaks run";
	o->pass = calloc((size_t)argc + 8, sizeof *o->pass);
	if (!o->pass)
		return ml_args_usage_error(cmd, "out of memory");
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return -1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o->quiet = 1;
		} else if (!strcmp(a, "--fail-on-leak")) {
			o->fail_on_leak = 1;
		} else if (!strcmp(a, "--python")) {
			if (i + 1 >= argc)
				return ml_args_usage_error(cmd, "--python needs a path");
			o->python = argv[++i];
		} else {
			int known = 0, missing = 0;
			for (const char *const *p = passed_with_value; *p && !known; p++) {
				int j = i;
				const char *v = ml_args_value(argc, argv, &j, *p, &missing);
				if (missing)
					return ml_args_usage_error(cmd, "%s needs a value", *p);
				if (v) {
					for (int k = i; k <= j; k++)
						o->pass[o->npass++] = argv[k];
					i = j;
					known = 1;
				}
			}
			if (!known)
				return ml_args_usage_error(cmd, "unknown option %s", a);
		}
	}
	if (i >= argc)
		return ml_args_usage_error(cmd, "no script given");
	o->pass[o->npass++] = "--";
	for (; i < argc; i++)
		o->pass[o->npass++] = argv[i];
	return 0;
}

/* Copies a file to stdout; 0, or -1 if it cannot be read. */
static int cat(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	fflush(stdout);
	return 0;
}

/* The first line of the status file the checker writes: "leaks", "no_leaks", "too_short". */
static int leaked(const char *path)
{
	char line[32] = "";
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int yes = fgets(line, sizeof line, f) && !strncmp(line, "leaks", 5) && (line[5] == '\n' || !line[5]);
	fclose(f);
	return yes;
}

int ml_cmd_leakcheck(int argc, char **argv)
{
	opts_t o = {0};
	int rc = parse(argc, argv, &o);
	if (rc) {
		free(o.pass);
		return rc < 0 ? ML_EXIT_OK : rc;
	}
	char python[PATH_MAX], libdir[PATH_MAX], dir[PATH_MAX], text[PATH_MAX + 16], status[PATH_MAX + 16];
	if (ml_find_python(o.python ? o.python : "python3", python, sizeof python) < 0) {
		fprintf(stderr, "memlens: %s: %s%s\n", o.python ? o.python : "python3", strerror(errno),
			o.python ? "" : " (on PATH; choose one with --python PATH)");
		free(o.pass);
		return ML_EXIT_USAGE;
	}
	if (ml_find_libdir(libdir, sizeof libdir) < 0) {
		fprintf(stderr, "memlens: cannot find the memlens package next to the memlens binary (run make)\n");
		free(o.pass);
		return ML_EXIT_ERROR;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/memlens-leaks.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "memlens: cannot create a temporary directory: %s\n", strerror(errno));
		free(o.pass);
		return ML_EXIT_ERROR;
	}
	snprintf(text, sizeof text, "%s/report.txt", dir);
	snprintf(status, sizeof status, "%s/status", dir);

	char **args = calloc((size_t)o.npass + 10, sizeof *args);
	if (!args) {
		free(o.pass);
		return ML_EXIT_ERROR;
	}
	int n = 0;
	args[n++] = python;
	args[n++] = "-c";
	args[n++] = (char *)runner;
	args[n++] = "--text";
	args[n++] = text;
	args[n++] = "--status";
	args[n++] = status;
	for (int i = 0; i < o.npass; i++)
		args[n++] = o.pass[i];

	pid_t pid = ml_child_fork();
	if (pid < 0) {
		fprintf(stderr, "memlens: fork: %s\n", strerror(errno));
		free(args);
		free(o.pass);
		return ML_EXIT_ERROR;
	}
	if (pid == 0) {
		if (ml_python_env(libdir, libdir) == 0)
			execv(python, args);
		fprintf(stderr, "memlens: %s: %s\n", python, strerror(errno));
		_exit(127);
	}
	int ws = ml_child_wait(pid);
	free(args);
	free(o.pass);

	int have_report = access(text, R_OK) == 0, leak = leaked(status);
	if (have_report && !o.quiet)
		cat(text);
	if (!have_report && WIFSIGNALED(ws))
		fprintf(stderr, "memlens: the program was killed by signal %d (%s) before the leak check could report\n",
			WTERMSIG(ws), strsignal(WTERMSIG(ws)));
	unlink(text);
	unlink(status);
	rmdir(dir);
	int code = ml_child_exit_status(ws);
	if (code == 0 && leak && o.fail_on_leak) {
		fprintf(stderr, "memlens: leaks found; exiting with status %d (--fail-on-leak)\n", ML_EXIT_LEAKED);
		return ML_EXIT_LEAKED;
	}
	return code;
}
