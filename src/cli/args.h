/* args.h — command-line helpers shared by the subcommands. */
#ifndef ML_CLI_ARGS_H
#define ML_CLI_ARGS_H

/* Prints "memlens CMD: <message> (memlens CMD --help)" on stderr; returns ML_EXIT_USAGE. */
int ml_args_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Value of an option given as "--opt VALUE" or "--opt=VALUE"; NULL if argv[*i] is not that option
 * (advances *i past a separate value). *missing is set when the option is there but its value is not. */
const char *ml_args_value(int argc, char **argv, int *i, const char *opt, int *missing);

#endif
