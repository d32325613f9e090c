/* cmd_timing.c — memlens timeit / profile / lineprof (placeholder until they land). */
#include <stdio.h>

#include "cli/commands.h"

static int not_yet(const char *name)
{
	fprintf(stderr, "memlens: %s: not available in this build\n", name);
	return ML_EXIT_USAGE;
}

int ml_cmd_timeit(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int ml_cmd_profile(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int ml_cmd_lineprof(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
