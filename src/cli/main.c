/* main.c — memlens command-line entry: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/version.h"

typedef struct {
	const char *name;
	int (*fn)(int, char **);
	const char *synopsis;
} command_t;

static const command_t commands[] = {
	{"run", ml_cmd_run, "run [-o FILE] [--max-depth N] [--python PATH] [--fail-peak SIZE] [--fail-leaks SIZE] [--] script.py|-m module [args...]"},
	{"summary", ml_cmd_summary, "summary FILE          duration, allocated, peak, leaks at exit"},
	{"top", ml_cmd_top, "top FILE [--by line|function|file|stack] [--at peak|end|total] [-n N]"},
	{"leaks", ml_cmd_leaks, "leaks FILE [-n N]     blocks alive at exit, by allocation stack\n"
				"  memlens leaks run [--html F] [--json F] script.py   find growing sites, what keeps them alive, the fix"},
	{"report", ml_cmd_report, "report FILE [-o OUT.html]   one self-contained HTML page"},
	{"flamegraph", ml_cmd_flamegraph, "flamegraph FILE [-o OUT.html] [--at peak|end|leaks|total]"},
	{"diff", ml_cmd_diff, "diff BEFORE AFTER [-o OUT.html] [--by line|function]   change per site"},
	{"export", ml_cmd_export, "export FILE --format pprof|speedscope|folded|json|csv -o OUT"},
	{"timeit", ml_cmd_timeit, "timeit [-n N] [-r R] [-s SETUP] STMT...   python -m timeit's arguments"},
	{"profile", ml_cmd_profile, "profile [-o out.prof] [--sort KEY] script.py [args...]   functions: time and memory"},
	{"lineprof", ml_cmd_lineprof, "lineprof [--func module:qualname] script.py [args...]   lines: time and memory"},
};

static void usage(FILE *out)
{
	fprintf(out, "memlens %s — exact memory tracing for Python programs\n\nusage:\n", ML_VERSION);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  memlens %s\n", commands[i].synopsis);
	fprintf(out, "\nmemlens COMMAND --help for the options of one command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return ML_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return ML_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("memlens %s\n", ML_VERSION);
		return ML_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "memlens: unknown command '%s' (memlens --help lists them)\n", argv[1]);
	return ML_EXIT_USAGE;
}
