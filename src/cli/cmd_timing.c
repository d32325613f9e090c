/* cmd_timing.c — memlens timeit / profile / lineprof: the speed commands.
 *
 * They measure inside the interpreter (the engines are in the _memlens extension, src/prof/), so the
 * CLI's part is to start it: find the interpreter (--python PATH, else python3 on PATH) and the
 * directory holding the memlens package, put that directory first on PYTHONPATH (the user's own
 * PYTHONPATH is kept in MEMLENS_PYTHONPATH and restored by memlens._runner before the program runs,
 * so child processes see the environment they would have seen), and exec
 *
 *   python3 -m memlens.timing ARGS      (timeit)
 *   python3 -m memlens.profiler ARGS    (profile)
 *   python3 -m memlens.lines --lineprof ARGS   (lineprof)
 *
 * exec, not fork: the status, signals and terminal are the program's own, with nothing in between.
 * Options other than --python are parsed by the Python side, which reports errors in the same
 * "memlens: <command>: <what is wrong>" form and exits 2 on a usage error.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"

static int exec_python(const char *command, const char *module, const char *extra, int argc, char **argv)
{
	const char *python_opt = NULL;
	int first = 1;
	/* --python PATH may come first (before any option the Python side reads) */
	while (first < argc && (!strcmp(argv[first], "--python") || !strncmp(argv[first], "--python=", 9))) {
		if (argv[first][8] == '=') {
			python_opt = argv[first] + 9;
			first++;
		} else if (first + 1 < argc) {
			python_opt = argv[first + 1];
			first += 2;
		} else {
			fprintf(stderr, "memlens: %s: --python needs a value\n", command);
			return ML_EXIT_USAGE;
		}
	}
	char python[PATH_MAX], libdir[PATH_MAX];
	if (ml_find_python(python_opt ? python_opt : "python3", python, sizeof python) < 0) {
		fprintf(stderr, "memlens: %s: %s%s\n", python_opt ? python_opt : "python3", strerror(errno),
			python_opt ? "" : " (on PATH; choose one with --python PATH)");
		return ML_EXIT_USAGE;
	}
	if (ml_find_libdir(libdir, sizeof libdir) < 0) {
		fprintf(stderr, "memlens: cannot find the memlens package next to the memlens binary (run make)\n");
		return ML_EXIT_ERROR;
	}
	char **args = calloc((size_t)argc + 5, sizeof *args);
	if (!args || ml_python_env(libdir, libdir) < 0) {
		fprintf(stderr, "memlens: %s: out of memory\n", command);
		free(args);
		return ML_EXIT_ERROR;
	}
	int n = 0;
	args[n++] = python;
	args[n++] = "-m";
	args[n++] = (char *)module;
	if (extra)
		args[n++] = (char *)extra;
	for (int i = first; i < argc; i++)
		args[n++] = argv[i];
	fflush(NULL);
	execv(python, args);
	fprintf(stderr, "memlens: %s: %s\n", python, strerror(errno));
	free(args);
	return ML_EXIT_ERROR;
}

int ml_cmd_timeit(int argc, char **argv) { return exec_python("timeit", "memlens.timing", NULL, argc, argv); }
int ml_cmd_profile(int argc, char **argv) { return exec_python("profile", "memlens.profiler", NULL, argc, argv); }
int ml_cmd_lineprof(int argc, char **argv) { return exec_python("lineprof", "memlens.lines", "--lineprof", argc, argv); }
