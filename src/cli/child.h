/* child.h — the program a command runs as its child (memlens run, memlens leaks run), waited for the
 * way a shell user expects: Ctrl-C and Ctrl-\ reach the child only (they go to the whole foreground
 * group; memlens ignores them and waits), SIGTERM/SIGHUP/SIGUSR1/SIGUSR2 sent to memlens are forwarded,
 * and a child killed by a signal makes memlens die of the same signal. One child at a time. */
#ifndef ML_CLI_CHILD_H
#define ML_CLI_CHILD_H

#include <sys/types.h>

/* fork(): 0 in the child (signal dispositions as memlens found them), the pid in memlens (forwarding
 * installed), -1 with errno. Flushes stdio first. */
pid_t ml_child_fork(void);

/* Waits for the child; returns its wait status. */
int ml_child_wait(pid_t pid);

/* The status to exit with for wait status ws: the child's exit code, or, if a signal killed it,
 * that signal raised again in memlens (128 + sig returned only if it did not end memlens). */
int ml_child_exit_status(int ws);

#endif
