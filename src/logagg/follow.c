/* follow.c — see follow.h. */
#include "follow.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "input.h"

#define POLL_MS 250

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lg_follow(const lg_parse_cfg_t *cfg, const char *path, lg_agg_t *g, unsigned interval_ms,
	      volatile sig_atomic_t *stop, lg_refresh_fn refresh, void *ctx, lg_err_t *err)
{
	lg_reader_t *r = lg_reader_open(path);
	if (!r) {
		snprintf(err->msg, sizeof err->msg, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (lg_reader_is_gz(r)) {
		lg_reader_close(r);
		snprintf(err->msg, sizeof err->msg, "%s: cannot follow a compressed file or a pipe", path);
		return -1;
	}
	struct stat cur;
	fstat(lg_reader_fd(r), &cur);
	long long next = now_ms();
	int rc = 0;
	while (!*stop) {
		if ((rc = lg_run_reader(cfg, r, g, 1, path, err)) != 0)
			break;
		struct stat st, fst;
		if (fstat(lg_reader_fd(r), &fst) == 0 && fst.st_size < (off_t)lg_reader_pos(r))
			lg_reader_reset(r, 0); /* truncated in place */
		if (stat(path, &st) == 0 && (st.st_ino != cur.st_ino || st.st_dev != cur.st_dev)) {
			/* Renamed away: finish the old file (its last line may lack '\n'), then switch. */
			if ((rc = lg_run_reader(cfg, r, g, 0, path, err)) != 0)
				break;
			lg_reader_t *nr = lg_reader_open(path);
			if (nr) {
				lg_reader_close(r);
				r = nr;
				fstat(lg_reader_fd(r), &cur);
				continue;
			}
		}
		if (now_ms() >= next) {
			refresh(ctx, g);
			next = now_ms() + interval_ms;
		}
		nanosleep(&(struct timespec){ 0, POLL_MS * 1000000L }, NULL);
	}
	if (rc == 0)
		rc = lg_run_reader(cfg, r, g, 0, path, err);
	lg_reader_close(r);
	return rc;
}
