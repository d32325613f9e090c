/* follow.h — `-f`: count a log file, then keep counting the lines appended to it, like tail -F.
 *
 * Survives rotation by rename (the path now names a new inode: the old file is read to its end, then
 * the new one from its start) and by truncation (copytruncate: the size drops below what was read:
 * start again at 0). Polls every 250 ms rather than inotify: portable, and at most a quarter second
 * late on a view refreshed every few seconds. Owns the open reader; prints nothing itself: the
 * refresh callback (main.c) does.
 */
#ifndef LG_FOLLOW_H
#define LG_FOLLOW_H

#include <signal.h>

#include "agg.h"
#include "run.h"

typedef void (*lg_refresh_fn)(void *ctx, const lg_agg_t *g);

/* Runs until *stop becomes non-zero; refresh is called every interval_ms. 0, or -1 with *err. */
int lg_follow(const lg_parse_cfg_t *cfg, const char *path, lg_agg_t *g, unsigned interval_ms,
	      volatile sig_atomic_t *stop, lg_refresh_fn refresh, void *ctx, lg_err_t *err);

#endif
