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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "report/units.h"

typedef struct {
	const char *output;
	const char *python;
	const char *module;
	long max_depth;
	int quiet;
	char **prog_argv; /* script or module arguments: argv[0] is the script (absent for -m) */
	int prog_argc;
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
	      "  -h, --help           this help\n",
	      out);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("memlens run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (memlens run --help)\n", stderr);
	va_end(ap);
	return ML_EXIT_USAGE;
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
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--python") ||
			   !strcmp(a, "--max-depth") || !strcmp(a, "-m")) {
			if (!val)
				return usage_error("%s needs a value", a);
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
					return usage_error("--max-depth needs a positive integer, not '%s'", val);
			} else {
				o->output = val;
			}
		} else {
			return usage_error("unknown option %s", a);
		}
	}
	o->prog_argv = argv + i;
	o->prog_argc = argc - i;
	if (!o->module && o->prog_argc < 1)
		return usage_error("no script given");
	return 0;
}

/* Full path of an executable: as given if it has a slash, else searched on PATH. */
static int find_python(const char *name, char *out, size_t outlen)
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
static int find_libdir(char *out, size_t outlen)
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

static const char *stem_of(const run_opts_t *o, char *buf, size_t len)
{
	const char *base = o->module ? o->module : strrchr(o->prog_argv[0], '/');
	base = base ? (base == o->module ? base : base + 1) : o->prog_argv[0];
	snprintf(buf, len, "%s", base);
	char *dot = strrchr(buf, '.');
	if (dot && !strcmp(dot, ".py"))
		*dot = 0;
	return buf;
}

static volatile pid_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static void exec_child(const run_opts_t *o, const char *python, const char *libdir, const char *output, int status_fd)
{
	char buf[PATH_MAX + 32];
	const char *old = getenv("PYTHONPATH");
	if (old)
		setenv("MEMLENS_PYTHONPATH", old, 1);
	else
		unsetenv("MEMLENS_PYTHONPATH");
	snprintf(buf, sizeof buf, "%s/boot%s%s", libdir, old && *old ? ":" : "", old && *old ? old : "");
	setenv("PYTHONPATH", buf, 1);
	setenv("MEMLENS_LIBDIR", libdir, 1);
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

int ml_cmd_run(int argc, char **argv)
{
	run_opts_t o = {0};
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? ML_EXIT_OK : rc;

	char python[PATH_MAX], libdir[PATH_MAX], output[PATH_MAX + 64], stem[256];
	if (find_python(o.python ? o.python : "python3", python, sizeof python) < 0) {
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
	if (find_libdir(libdir, sizeof libdir) < 0) {
		fprintf(stderr, "memlens: cannot find the tracer files next to the memlens binary (run make)\n");
		return ML_EXIT_ERROR;
	}
	if (o.output)
		snprintf(output, sizeof output, "%s", o.output);
	else
		snprintf(output, sizeof output, "memlens-%s.%d.mlens", stem_of(&o, stem, sizeof stem), (int)getpid());
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
	fflush(NULL);

	struct sigaction ign = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = forward_signal}, old_int, old_quit;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "memlens: fork: %s\n", strerror(errno));
		return ML_EXIT_ERROR;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		close(pipefd[0]);
		exec_child(&o, python, libdir, output, pipefd[1]);
	}
	child_pid = pid;
	int fwd_sigs[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof fwd_sigs / sizeof fwd_sigs[0]; i++)
		sigaction(fwd_sigs[i], &fwd, NULL);
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

	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
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
	if (WIFSIGNALED(ws)) {
		int sig = WTERMSIG(ws);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		return 128 + sig;
	}
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : ML_EXIT_ERROR;
}
