/* commands.h — the memlens subcommands. Each takes the arguments after its name (argv[0] is the
 * subcommand name) and returns the process exit status. The CLI is the only layer that prints to the
 * user; errors are one line on stderr, "memlens: <subject>: <what is wrong>". */
#ifndef ML_CLI_COMMANDS_H
#define ML_CLI_COMMANDS_H

/* Exit statuses of the report commands. `memlens run` exits with the traced program's status. */
#define ML_EXIT_OK 0
#define ML_EXIT_ERROR 1 /* bad input file, I/O error */
#define ML_EXIT_USAGE 2 /* bad command line */

int ml_cmd_run(int argc, char **argv);     /* run.c */
int ml_cmd_summary(int argc, char **argv); /* cmd_reports.c */
int ml_cmd_top(int argc, char **argv);     /* cmd_reports.c */
int ml_cmd_leaks(int argc, char **argv);   /* cmd_reports.c */
int ml_cmd_leakcheck(int argc, char **argv); /* cmd_leakcheck.c: memlens leaks run ... */
int ml_cmd_report(int argc, char **argv);     /* cmd_export.c */
int ml_cmd_flamegraph(int argc, char **argv); /* cmd_export.c */
int ml_cmd_diff(int argc, char **argv);       /* cmd_export.c */
int ml_cmd_export(int argc, char **argv);     /* cmd_export.c */
int ml_cmd_timeit(int argc, char **argv);     /* cmd_timing.c */
int ml_cmd_profile(int argc, char **argv);    /* cmd_timing.c */
int ml_cmd_lineprof(int argc, char **argv);   /* cmd_timing.c */

/* Shared by the commands that start Python (run.c). Full path of an executable (as given if it has a
 * slash, else searched on PATH); the directory holding memlens/ and boot/. 0, or -1 with errno. */
int ml_find_python(const char *name, char *out, size_t outlen);
int ml_find_libdir(char *out, size_t outlen);
/* The environment of a Python child: `first` ahead of the user's PYTHONPATH (kept in
 * MEMLENS_PYTHONPATH, which memlens puts back before the program runs) and MEMLENS_LIBDIR.
 * 0, or -1 when out of memory. */
int ml_python_env(const char *first, const char *libdir);

#endif
