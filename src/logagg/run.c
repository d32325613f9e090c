/* run.c — see run.h. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input.h"

/* Below this a second thread costs more (start, merge) than it saves. */
#define SPLIT_MIN (64ll << 20)
#define MAX_THREADS 64

static void set_err(lg_err_t *err, const char *path, const char *what)
{
	snprintf(err->msg, sizeof err->msg, "%s: %s", strcmp(path, "-") == 0 ? "<stdin>" : path, what);
}

static int feed(const lg_parse_cfg_t *pcfg, lg_reader_t *r, lg_agg_t *g, int keep_partial, const char *path, lg_err_t *err)
{
	for (;;) {
		const char *chunk, *gzmsg;
		size_t len;
		switch (lg_reader_next(r, keep_partial, &chunk, &len, &gzmsg)) {
		case LG_CHUNK_LINES:
			lg_agg_feed(g, pcfg, chunk, len);
			break;
		case LG_CHUNK_OVERLONG:
			lg_agg_skip(g, LG_LINE_OVERLONG, chunk, len);
			break;
		case LG_CHUNK_EOF:
			return 0;
		case LG_CHUNK_ERROR:
			set_err(err, path, gzmsg ? gzmsg : strerror(errno));
			return -1;
		}
		if (g->oom) {
			set_err(err, path, "out of memory for the sketches");
			return -1;
		}
	}
}

int lg_run_reader(const lg_parse_cfg_t *pcfg, void *reader, lg_agg_t *g, int keep_partial, const char *path, lg_err_t *err)
{
	sigjmp_buf landing;
	if (sigsetjmp(landing, 1)) {
		lg_reader_guard(NULL, NULL);
		set_err(err, path, "file truncated while being read");
		return -1;
	}
	lg_reader_guard(reader, &landing);
	int rc = feed(pcfg, reader, g, keep_partial, path, err);
	lg_reader_guard(NULL, NULL);
	return rc;
}

typedef struct {
	const lg_parse_cfg_t *pcfg;
	lg_reader_t *r;
	lg_agg_t agg;
	const char *path;
	lg_err_t err;
	int rc;
	volatile int done;
} worker_t;

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	w->rc = lg_run_reader(w->pcfg, w->r, &w->agg, 0, w->path, &w->err);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int run_split(const lg_run_cfg_t *cfg, const char *path, int fd, off_t size, lg_agg_t *g, lg_err_t *err)
{
	int nt = cfg->threads > MAX_THREADS ? MAX_THREADS : cfg->threads;
	worker_t w[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	off_t bound[MAX_THREADS + 1];
	bound[0] = 0;
	bound[nt] = size;
	for (int i = 1; i < nt; i++) {
		bound[i] = lg_line_boundary(fd, size / nt * i, size);
		if (bound[i] < 0) {
			set_err(err, path, strerror(errno));
			return -1;
		}
	}
	int started = 0, rc = 0;
	/* What earlier inputs already hold in g is not available to the workers. */
	size_t held = lg_agg_bytes(g), share = cfg->budget > held ? (cfg->budget - held) / (size_t)nt : 0;
	for (int i = 0; i < nt; i++) {
		w[i] = (worker_t){ .pcfg = &cfg->parse, .path = path };
		lg_agg_init(&w[i].agg, share);
		w[i].r = lg_reader_range(fd, bound[i], bound[i + 1]);
		if (!w[i].r || pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0) {
			lg_reader_close(w[i].r);
			lg_agg_free(&w[i].agg);
			set_err(err, path, "cannot start a worker thread");
			rc = -1;
			break;
		}
		started++;
	}
	if (cfg->progress) {
		for (;;) {
			int all = 1;
			uint64_t done = 0;
			for (int i = 0; i < started; i++) {
				all &= __atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE);
				done += lg_reader_pos(w[i].r);
			}
			if (all)
				break;
			cfg->progress(cfg->progress_ctx, done, (uint64_t)size);
			nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
		}
	}
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < started; i++) {
		if (rc == 0 && w[i].rc != 0) {
			*err = w[i].err;
			rc = -1;
		}
		if (rc == 0) {
			/* Merge within what is left of the budget while the worker's table is still alive. */
			if (g->pv == 0 && lg_agg_malformed(g) == 0 && g->lines[LG_LINE_COMMENT] == 0 && !g->sketch) {
				lg_agg_move(g, &w[i].agg);
				lg_reader_close(w[i].r);
				continue;
			}
			size_t other = lg_agg_bytes(&w[i].agg);
			g->table.budget = cfg->budget > other ? cfg->budget - other : 0;
			if (lg_agg_merge(g, &w[i].agg) != 0) {
				set_err(err, path, "out of memory for the sketches");
				rc = -1;
			}
			g->table.budget = cfg->budget;
		}
		lg_reader_close(w[i].r);
		lg_agg_free(&w[i].agg);
	}
	return rc;
}

int lg_run_source(const lg_run_cfg_t *cfg, const char *path, lg_agg_t *g, lg_err_t *err)
{
	lg_reader_t *r = lg_reader_open(path);
	if (!r) {
		set_err(err, path, strerror(errno));
		return -1;
	}
	int rc, fd = lg_reader_fd(r);
	off_t size = lg_reader_is_gz(r) ? -1 : lg_splittable_size(fd);
	if (cfg->threads > 1 && size >= SPLIT_MIN) {
		rc = run_split(cfg, path, fd, size, g, err);
	} else if (size >= 0) {
		/* A plain regular file is read mapped: what it holds now, as the split does. */
		lg_reader_t *m = lg_reader_range(fd, 0, size);
		rc = m ? lg_run_reader(&cfg->parse, m, g, 0, path, err) : -1;
		if (!m)
			set_err(err, path, strerror(ENOMEM));
		lg_reader_close(m);
	} else {
		rc = lg_run_reader(&cfg->parse, r, g, 0, path, err);
	}
	lg_reader_close(r);
	return rc;
}
