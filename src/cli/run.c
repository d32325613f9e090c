/* run.c — `memlens run`: trace a Python program from its first line.
 *
 * The program runs in a child `python3 script.py args...` (or `-m module`), exactly as the user would
 * start it, with the bootstrap (python/boot/sitecustomize.py) first on PYTHONPATH. Everything that
 * can be checked before the program runs is checked here: the interpreter, the script, the output
 * path, the tracer install. The bootstrap reports over a pipe that tracing started and closes it
 * before the program's first line, so the program never sees the descriptor.
 *
 * The parent waits, forwarding SIGTERM/SIGHUP/SIGUSR1/SIGUSR2 to the program and ignoring SIGINT and
 * SIGQUIT (the terminal sends those to the program too, as it does to a program run by a shell), then
 * exits the way the program did: same status, or the same signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/capture.h"
#include "analysis/views.h"
#include "cli/args.h"
#include "cli/child.h"
#include "cli/commands.h"
#include "report/units.h"

/* Exit status when a --fail-* threshold is exceeded. Not 1 or 2 (Python's own errors and usage),
 * not 3-9 (commonly used by programs), not 126-165 (shell and signals); overridable with
 * --fail-exit-code when a CI system reserves 97. */
#define ML_EXIT_GATE 97

typedef struct {
	const char *output;
	const char *python;
	const char *module;
	long max_depth;
	int quiet;
	uint64_t fail_peak, fail_leaks; /* 0: no gate */
	int fail_exit_code;
	char **prog_argv; /* script or module arguments: argv[0] is the script (absent for -m) */
	int prog_argc;
	char **lines;     /* --lines FUNC, in order: run the script under memlens.lines --func FUNC */
	int n_lines;
} run_opts_t;

static void run_usage(FILE *out)
{
	fputs("usage: memlens run [options] [--] script.py [args...]\n"
	      "       memlens run [options] -m module [args...]\n"
	      "\n"
	      "Runs the program under the tracer: every allocation, with its full Python stack, into a\n"
	      "capture file. The program behaves as under plain python3 (argv, stdout/stderr, exit status).\n"
	      "\n"
	      "options:\n"
	      "  -o, --output FILE    capture file (default: memlens-<script>.<pid>.mlens)\n"
	      "  --max-depth N        keep only the N innermost frames of each stack (default: all)\n"
	      "  --python PATH        interpreter to run (default: python3 on PATH)\n"
	      "  -q, --quiet          no closing message on stderr\n"
	      "  --fail-peak SIZE     exit 97 if the traced heap's peak is above SIZE (100MiB, 1.5GB, 512k)\n"
	      "  --fail-leaks SIZE    exit 97 if more than SIZE is still alive at exit\n"
	      "  --fail-exit-code N   exit status for --fail-* (default 97; the program's own failure wins)\n"
	      "  --leak-check         find leaks instead: the same as memlens leaks run (its options)\n"
	      "  --lines FUNC         also print memory per line of FUNC (MODULE:QUALNAME, or a function of the\n"
	      "                       script), memory_profiler's layout from exact bytes; repeatable\n"
	      "  -h, --help           this help\n",
	      out);
}


/* "100MiB", "1.5GB", "512k", "2048": binary units for k/K/KiB, M/MiB, G/GiB, T/TiB; decimal for
 * kB/KB, MB, GB, TB (as printed by the tools people compare with); a bare number is bytes. Must be > 0. */
static int parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {{"", 1},		{"b", 1},	  {"k", 1024.0},     {"kib", 1024.0}, {"kb", 1e3},
		     {"m", 1048576.0},	{"mib", 1048576.0}, {"mb", 1e6},       {"g", 1073741824.0},
		     {"gib", 1073741824.0}, {"gb", 1e9}, {"t", 1099511627776.0}, {"tib", 1099511627776.0}, {"tb", 1e12}};
	char *end, unit[8];
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v <= 0 || !(*s >= '0' && *s <= '9'))
		return -1;
	while (*end == ' ')
		end++;
	size_t n = strlen(end);
	if (n >= sizeof unit)
		return -1;
	for (size_t i = 0; i <= n; i++)
		unit[i] = (char)(end[i] >= 'A' && end[i] <= 'Z' ? end[i] - 'A' + 'a' : end[i]);
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (!strcmp(unit, units[i].unit)) {
			double b = v * units[i].mult;
			if (b >= 18446744073709549568.0)
				return -1;
			*out = (uint64_t)b ? (uint64_t)b : 1;
			return 0;
		}
	return -1;
}

static int parse(int argc, char **argv, run_opts_t *o)
{
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			run_usage(stdout);
			return -1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o->quiet = 1;
		} else if (!strcmp(a, "--fail-peak") || !strcmp(a, "--fail-leaks") || !strcmp(a, "--fail-exit-code")) {
			if (!val)
				return ml_args_usage_error("run", "%s needs a value", a);
			i++;
			if (!strcmp(a, "--fail-exit-code")) {
				char *end;
				errno = 0;
				long code = strtol(val, &end, 10);
				if (errno || *end || end == val || code < 1 || code > 125)
					return ml_args_usage_error("run", "--fail-exit-code needs a status from 1 to 125, not '%s'", val);
				o->fail_exit_code = (int)code;
			} else if (parse_size(val, !strcmp(a, "--fail-peak") ? &o->fail_peak : &o->fail_leaks)) {
				return ml_args_usage_error("run", "%s needs a size such as 100MiB, 1.5GB or 512k, not '%s'", a, val);
			}
		} else if (!strcmp(a, "--lines")) {
			if (!val)
				return ml_args_usage_error("run", "--lines needs a function (MODULE:QUALNAME or a name in the script)");
			o->lines[o->n_lines++] = argv[++i];
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--python") ||
			   !strcmp(a, "--max-depth") || !strcmp(a, "-m")) {
			if (!val)
				return ml_args_usage_error("run", "%s needs a value", a);
			i++;
			if (!strcmp(a, "-m")) {
				o->module = val;
				i++;
				break;
			} else if (!strcmp(a, "--python")) {
				o->python = val;
			} else if (!strcmp(a, "--max-depth")) {
				char *end;
				errno = 0;
				o->max_depth = strtol(val, &end, 10);
				if (errno || *end || end == val || o->max_depth < 1)
					return ml_args_usage_error("run", "--max-depth needs a positive integer, not '%s'", val);
			} else {
				o->output = val;
			}
		} else {
			return ml_args_usage_error("run", "unknown option %s", a);
		}
	}
	o->prog_argv = argv + i;
	o->prog_argc = argc - i;
	if (!o->module && o->prog_argc < 1)
		return ml_args_usage_error("run", "no script given");
	if (o->n_lines && o->module)
		return ml_args_usage_error("run", "--lines works with a script, not -m");
	return 0;
}

/* Full path of an executable: as given if it has a slash, else searched on PATH. */
int ml_find_python(const char *name, char *out, size_t outlen)
{
	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return access(out, X_OK);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(out, outlen, "%.*s/%s", (int)n, n ? path : ".", name);
		if (access(out, X_OK) == 0)
			return 0;
		path += n + (path[n] == ':');
	}
	errno = ENOENT;
	return -1;
}

/* Directory with memlens/ (the tracer) and boot/ (the bootstrap): next to the binary (build tree) or
 * in ../lib/memlens (installed). */
int ml_find_libdir(char *out, size_t outlen)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	*slash = 0;
	for (int i = 0; i < 2; i++) {
		char probe[PATH_MAX + 64];
		if (snprintf(out, outlen, i ? "%s/../lib/memlens" : "%s/lib", exe) >= (int)outlen)
			return -1;
		snprintf(probe, sizeof probe, "%s/boot/sitecustomize.py", out);
		if (access(probe, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* Can we create/overwrite `path`? Leaves nothing behind if it did not exist. */
static int check_output(const char *path)
{
	struct stat st;
	int existed = stat(path, &st) == 0;
	if (existed && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	if (!existed)
		unlink(path);
	return 0;
}

/* Name part of the default capture: the module, or the script's file name without ".py". */
static const char *stem_of(const run_opts_t *o, char *buf, size_t len)
{
	const char *name = o->module;
	if (!name) {
		const char *slash = strrchr(o->prog_argv[0], '/');
		name = slash ? slash + 1 : o->prog_argv[0];
	}
	snprintf(buf, len, "%s", name);
	char *dot = strrchr(buf, '.');
	if (!o->module && dot && !strcmp(dot, ".py"))
		*dot = 0;
	return buf;
}

int ml_python_env(const char *first, const char *libdir)
{
	const char *old = getenv("PYTHONPATH");
	if (old)
		setenv("MEMLENS_PYTHONPATH", old, 1);
	else
		unsetenv("MEMLENS_PYTHONPATH");
	char *path;
	if (asprintf(&path, "%s%s%s", first, old && *old ? ":" : "", old && *old ? old : "") < 0)
		return -1;
	int rc = setenv("PYTHONPATH", path, 1);
	free(path);
	return rc < 0 ? -1 : setenv("MEMLENS_LIBDIR", libdir, 1);
}

static void exec_child(const run_opts_t *o, const char *python, const char *libdir, const char *output, int status_fd)
{
	char buf[PATH_MAX + 32];
	snprintf(buf, sizeof buf, "%s/boot", libdir);
	if (ml_python_env(buf, libdir) < 0)
		_exit(127);
	setenv("MEMLENS_OUTPUT", output, 1);
	snprintf(buf, sizeof buf, "%d", status_fd);
	setenv("MEMLENS_STATUS_FD", buf, 1);
	snprintf(buf, sizeof buf, "%ld", o->max_depth);
	setenv("MEMLENS_MAX_DEPTH", buf, 1);
	if (o->module)
		setenv("MEMLENS_MODULE", o->module, 1);
	else
		unsetenv("MEMLENS_MODULE");

	char **args = calloc((size_t)o->prog_argc + 4, sizeof *args);
	if (!args)
		_exit(127);
	int n = 0;
	args[n++] = (char *)python;
	if (o->module) {
		args[n++] = "-m";
		args[n++] = (char *)o->module;
	}
	for (int i = 0; i < o->prog_argc; i++)
		args[n++] = o->prog_argv[i];
	execv(python, args);
	fprintf(stderr, "memlens: %s: %s\n", python, strerror(errno));
	_exit(127);
}

/* One threshold: returns 1 if exceeded, after printing by how much and the top 3 sites. */
static int gate(const ml_capture_t *cap, const char *what, const char *opt, uint64_t value, uint64_t limit,
		ml_view_at_t at)
{
	char v[ML_UNITS_LEN], l[ML_UNITS_LEN], d[ML_UNITS_LEN];
	if (value <= limit)
		return 0;
	fprintf(stderr, "memlens: FAILED %s: %s is %s over the limit of %s\n", opt, what,
		ml_units_bytes(value - limit, d, sizeof d), ml_units_bytes(limit, l, sizeof l));
	fprintf(stderr, "memlens:   %s: %s; the largest sites:\n", what, ml_units_bytes(value, v, sizeof v));
	ml_view_top_t top;
	if (ml_view_top(cap, ML_VIEW_BY_LINE, at, 3, &top) == 0) {
		for (size_t i = 0; i < top.n_rows; i++) {
			const ml_view_row_t *r = &top.rows[i];
			const ml_cap_node_t *nd = ml_capture_node(cap, r->stack);
			fprintf(stderr, "memlens:     %10s  %5.1f%%  ", ml_units_bytes(r->bytes, v, sizeof v),
				ml_view_share(r->bytes, top.total_bytes));
			if (r->stack)
				fprintf(stderr, "%.*s:%llu in %.*s\n", (int)ml_capture_str(cap, nd->file)->len,
					ml_capture_str(cap, nd->file)->s, (unsigned long long)nd->line,
					(int)ml_capture_str(cap, nd->function)->len, ml_capture_str(cap, nd->function)->s);
			else
				fprintf(stderr, "[no Python frame]\n");
		}
		ml_view_top_free(&top);
	}
	return 1;
}

/* Checks the --fail-* thresholds on the capture; returns the gate's exit status or 0. */
static int check_gates(const run_opts_t *o, const char *output)
{
	ml_capture_t *cap;
	char err[512];
	if (ml_capture_open(output, &cap, err, sizeof err)) {
		fprintf(stderr, "memlens: %s: %s (cannot check --fail-*)\n", output, err);
		return o->fail_exit_code;
	}
	uint64_t leaked = 0;
	for (size_t i = 0; i < cap->n_nodes; i++)
		leaked += cap->stacks[i].live_bytes;
	int failed = 0;
	if (o->fail_peak)
		failed |= gate(cap, "the peak of the traced heap", "--fail-peak", cap->peak_bytes, o->fail_peak, ML_VIEW_AT_PEAK);
	if (o->fail_leaks)
		failed |= gate(cap, "memory alive at exit", "--fail-leaks", leaked, o->fail_leaks, ML_VIEW_AT_END);
	ml_capture_free(cap);
	if (failed)
		fprintf(stderr, "memlens: exiting with status %d (--fail-exit-code)\n", o->fail_exit_code);
	return failed ? o->fail_exit_code : 0;
}

/* --lines: the traced interpreter runs `-m memlens.lines --func F ... script args`, which runs the
 * script as __main__ with the line engine on F and prints the table at exit. */
static int lines_argv(run_opts_t *o)
{
	char **args = calloc((size_t)(2 * o->n_lines + o->prog_argc + 1), sizeof *args);
	if (!args)
		return -1;
	int n = 0;
	for (int i = 0; i < o->n_lines; i++) {
		args[n++] = "--func";
		if (strchr(o->lines[i], ':')) {
			args[n++] = o->lines[i];
		} else if (asprintf(&args[n++], "__main__:%s", o->lines[i]) < 0) {
			return -1; /* (process exits: nothing to free) */
		}
	}
	for (int i = 0; i < o->prog_argc; i++)
		args[n++] = o->prog_argv[i];
	o->prog_argv = args;
	o->prog_argc = n;
	o->module = "memlens.lines";
	return 0;
}

int ml_cmd_run(int argc, char **argv)
{
	/* memlens run --leak-check [options] script.py: the same as memlens leaks run [options] script.py */
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--leak-check")) {
			memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof *argv); /* argv[argc] is NULL */
			return ml_cmd_leakcheck(argc - 1, argv);
		}
	char *lines[argc > 0 ? argc : 1];
	run_opts_t o = {.fail_exit_code = ML_EXIT_GATE, .lines = lines};
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? ML_EXIT_OK : rc;

	char python[PATH_MAX], libdir[PATH_MAX], output[PATH_MAX + 64], stem[256];
	if (ml_find_python(o.python ? o.python : "python3", python, sizeof python) < 0) {
		fprintf(stderr, "memlens: %s: %s%s\n", o.python ? o.python : "python3", strerror(errno),
			o.python ? "" : " (on PATH; choose one with --python PATH)");
		return ML_EXIT_USAGE;
	}
	if (!o.module) {
		struct stat st;
		int fd = open(o.prog_argv[0], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			fprintf(stderr, "memlens: %s: %s\n", o.prog_argv[0], strerror(errno));
			return ML_EXIT_USAGE;
		}
		close(fd);
	}
	if (ml_find_libdir(libdir, sizeof libdir) < 0) {
		fprintf(stderr, "memlens: cannot find the tracer files next to the memlens binary (run make)\n");
		return ML_EXIT_ERROR;
	}
	if (o.output)
		snprintf(output, sizeof output, "%s", o.output);
	else
		snprintf(output, sizeof output, "memlens-%s.%d.mlens", stem_of(&o, stem, sizeof stem), (int)getpid());
	if (o.n_lines && lines_argv(&o) < 0) {
		fprintf(stderr, "memlens: out of memory\n");
		return ML_EXIT_ERROR;
	}
	if (check_output(output) < 0) {
		fprintf(stderr, "memlens: %s: %s\n", output, strerror(errno));
		return ML_EXIT_USAGE;
	}

	int pipefd[2];
	if (pipe(pipefd) < 0) {
		fprintf(stderr, "memlens: pipe: %s\n", strerror(errno));
		return ML_EXIT_ERROR;
	}
	fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);

	pid_t pid = ml_child_fork();
	if (pid < 0) {
		fprintf(stderr, "memlens: fork: %s\n", strerror(errno));
		return ML_EXIT_ERROR;
	}
	if (pid == 0) {
		close(pipefd[0]);
		exec_child(&o, python, libdir, output, pipefd[1]);
	}
	close(pipefd[1]);

	char status[8];
	ssize_t got, total = 0;
	while ((got = read(pipefd[0], status + total, sizeof status - (size_t)total)) != 0) {
		if (got < 0 && errno != EINTR)
			break;
		if (got > 0)
			total += got;
		if ((size_t)total == sizeof status)
			break;
	}
	close(pipefd[0]);
	int started = total == 2 && !memcmp(status, "ok", 2);

	int ws = ml_child_wait(pid);
	if (started && !o.quiet) {
		struct stat st;
		char size[32] = "?";
		if (stat(output, &st) == 0)
			ml_units_bytes((uint64_t)st.st_size, size, sizeof size);
		if (WIFSIGNALED(ws))
			fprintf(stderr, "memlens: the program was killed by signal %d (%s); the capture holds its data up to the last flush\n",
				WTERMSIG(ws), strsignal(WTERMSIG(ws)));
		fprintf(stderr, "memlens: capture written to %s (%s); see: memlens summary %s\n", output, size, output);
	}
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && started && (o.fail_peak || o.fail_leaks))
		return check_gates(&o, output);
	return ml_child_exit_status(ws);
}
