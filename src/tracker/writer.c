/* writer.c — see writer.h. */
#include "tracker/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/capfmt.h"
#include "core/crc32.h"
#include "core/varint.h"
#include "tracker/state.h"

#define TICK_MIN_NS 10000000ull    /* 10 ms */
#define TICK_MAX_NS 1000000000ull  /* 1 s: the most a killed process can lose */
#define TICK_TARGET 2000ull        /* timeline points over a whole run */

/* Owned by the writer thread once started; by the starting/stopping thread (GIL held) otherwise.
 * `wake` and `stop` are shared with ml_writer_finish under `wake_lock`. */
static struct {
	int fd;
	int open;
	off_t good;         /* file size after the last complete flush */
	uint64_t t0;        /* CLOCK_MONOTONIC at start */
	uint64_t t0_coarse; /* CLOCK_MONOTONIC_COARSE at start: the two clocks differ by up to a tick */
	ml_buf_t buf;
	int statm;          /* /proc/self/statm, or -1 */
	long page;
	pthread_t thread;
	int running;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	int stop;
	pthread_mutex_t io_lock; /* one flush at a time: the thread's, a mark's, the final one */
} w = {.fd = -1, .statm = -1, .wake_lock = PTHREAD_MUTEX_INITIALIZER, .io_lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t mono(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ml_writer_now(void) { return mono(CLOCK_MONOTONIC) - w.t0; }

uint64_t ml_writer_now_coarse(void)
{
	uint64_t t = mono(CLOCK_MONOTONIC_COARSE);
	return t > w.t0_coarse ? t - w.t0_coarse : 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void read_rss(uint64_t *rss, uint64_t *rss_file)
{
	char line[128];
	unsigned long size, res, shared;
	*rss = *rss_file = 0;
	if (w.statm < 0)
		return;
	ssize_t n = pread(w.statm, line, sizeof line - 1, 0);
	if (n <= 0)
		return;
	line[n] = 0;
	if (sscanf(line, "%lu %lu %lu", &size, &res, &shared) == 3) {
		*rss = (uint64_t)res * (uint64_t)w.page;
		*rss_file = (uint64_t)shared * (uint64_t)w.page;
	}
}

static void put_fields(ml_buf_t *b, uint8_t type, const uint64_t *v, size_t n)
{
	uint8_t p[8 * ML_VARINT_MAX], *q = p;
	for (size_t i = 0; i < n; i++)
		q += ml_varint_put(q, v[i]);
	ml_buf_put_record(b, type, p, (size_t)(q - p));
}

/* Closes the flush in w.buf (from `start`) and writes it. Returns 0, or -1 after a write error. */
static int write_flush(size_t start, uint64_t t)
{
	uint8_t p[ML_VARINT_MAX + 4], *q = p;
	uint32_t crc = ml_crc32(0, w.buf.data + start, w.buf.len - start);
	q += ml_varint_put(q, t);
	for (int i = 0; i < 4; i++)
		*q++ = (uint8_t)(crc >> (8 * i));
	ml_buf_put_record(&w.buf, ML_REC_FLUSH, p, (size_t)(q - p));
	int rc = ml_buf_failed(&w.buf) ? -1 : write_all(w.fd, w.buf.data, w.buf.len);
	if (rc == 0) {
		w.good += (off_t)w.buf.len;
	} else {
		/* a partial flush would make the file corrupt; cut it back so it stays readable */
		int saved = errno;
		int cut = ftruncate(w.fd, w.good);
		(void)cut; /* if even this fails, readers report the partial flush as corruption */
		errno = saved;
	}
	ml_buf_clear(&w.buf);
	return rc;
}

/* One flush: everything that changed since the last, a TICK, END when final; with a label, a MARK
 * record right after the counters, so that they are the values at the mark. Returns 0, or -1 if
 * the capture is closed or the write failed. */
static int flush(int final, const char *label, size_t label_len)
{
	uint64_t tick[7], rss, rss_file;
	pthread_mutex_lock(&w.io_lock);
	ml_spin_lock(&ml_g.lock);
	if (!w.open) {
		ml_spin_unlock(&ml_g.lock);
		pthread_mutex_unlock(&w.io_lock);
		return -1;
	}
	ml_trie_encode_new(&ml_g.trie, &w.buf);
	ml_stats_encode(&ml_g.stats, &w.buf);
	if (label) {
		uint8_t p[2 * ML_VARINT_MAX], *q = p;
		q += ml_varint_put(q, ml_writer_now());
		q += ml_varint_put(q, ml_g.stats.heap_bytes);
		ml_buf_t rec = {0};
		ml_buf_put(&rec, p, (size_t)(q - p));
		ml_buf_put_str(&rec, label, label_len);
		ml_buf_put_record(&w.buf, ML_REC_MARK, rec.data, rec.len);
		if (ml_buf_failed(&rec))
			w.buf.failed = 1;
		ml_buf_free(&rec);
	}
	int stopped_early = ml_g.stopped_early;
	char note[200];
	int note_len = 0;
	if (final) {
		uint64_t peak_blocks = ml_g.stats.peak_blocks ? ml_g.stats.peak_blocks : 1;
		note_len = snprintf(note, sizeof note,
				    "tracker memory: live table at most %zu bytes, %llu blocks at the peak (%.1f bytes per block)",
				    ml_live_max_bytes(&ml_g.live), (unsigned long long)ml_g.stats.peak_blocks,
				    (double)ml_live_max_bytes(&ml_g.live) / (double)peak_blocks);
	}
	tick[1] = ml_g.stats.heap_bytes;
	tick[2] = ml_g.stats.heap_blocks;
	tick[3] = ml_g.stats.peak_bytes;
	tick[4] = ml_g.stats.alloc_bytes;
	ml_spin_unlock(&ml_g.lock);

	uint64_t t = ml_writer_now();
	read_rss(&rss, &rss_file);
	tick[0] = t;
	tick[5] = rss;
	tick[6] = rss_file;
	put_fields(&w.buf, ML_REC_TICK, tick, 7);
	if (note_len > 0 && (size_t)note_len < sizeof note) {
		ml_buf_t rec = {0};
		ml_buf_put_varint(&rec, ML_NOTE_INFO);
		ml_buf_put_str(&rec, note, (size_t)note_len);
		ml_buf_put_record(&w.buf, ML_REC_NOTE, rec.data, rec.len);
		if (ml_buf_failed(&rec))
			w.buf.failed = 1;
		ml_buf_free(&rec);
	}
	if (final) {
		uint64_t end[2] = {t, stopped_early ? ML_END_STOPPED_EARLY : 0};
		put_fields(&w.buf, ML_REC_END, end, 2);
	}
	int rc = write_flush(0, t);
	if (rc < 0) {
		char what[300];
		snprintf(what, sizeof what, "cannot write the capture: %s", strerror(errno));
		ml_spin_lock(&ml_g.lock);
		ml_tracker_fail_locked(what);
		w.open = 0;
		ml_spin_unlock(&ml_g.lock);
	}
	pthread_mutex_unlock(&w.io_lock);
	return rc;
}

int ml_writer_mark(const char *label, size_t len)
{
	return flush(0, label, len) < 0 ? -1 : 1;
}

int ml_writer_open(const char *path, const ml_buf_t *meta, char *err, size_t errlen)
{
	if (!path) { /* in memory only: the clock, no file, no thread */
		w.t0 = mono(CLOCK_MONOTONIC);
		w.t0_coarse = mono(CLOCK_MONOTONIC_COARSE);
		w.open = 0;
		return 0;
	}
	w.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w.fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	w.t0 = mono(CLOCK_MONOTONIC);
	w.t0_coarse = mono(CLOCK_MONOTONIC_COARSE);
	w.page = sysconf(_SC_PAGESIZE);
	w.statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	w.stop = 0;
	w.good = 0;
	ml_buf_clear(&w.buf);
	ml_buf_put(&w.buf, ML_CAP_MAGIC, ML_CAP_MAGIC_LEN);
	ml_buf_put_u32le(&w.buf, ML_CAP_VERSION);
	ml_buf_put_record(&w.buf, ML_REC_META, meta->data, meta->len);
	if (write_flush(ML_CAP_HEADER_LEN, 0) < 0) {
		snprintf(err, errlen, "%s: %s", path, ml_buf_failed(&w.buf) ? "out of memory" : strerror(errno));
		close(w.fd);
		w.fd = -1;
		return -1;
	}
	w.open = 1;
	return 0;
}

static uint64_t tick_interval(void)
{
	uint64_t iv = ml_writer_now() / TICK_TARGET;
	return iv < TICK_MIN_NS ? TICK_MIN_NS : iv > TICK_MAX_NS ? TICK_MAX_NS : iv;
}

static void *writer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&w.wake_lock);
	while (!w.stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		uint64_t ns = (uint64_t)until.tv_nsec + tick_interval();
		until.tv_sec += (time_t)(ns / 1000000000ull);
		until.tv_nsec = (long)(ns % 1000000000ull);
		pthread_cond_timedwait(&w.wake, &w.wake_lock, &until);
		if (w.stop)
			break;
		pthread_mutex_unlock(&w.wake_lock);
		flush(0, NULL, 0);
		pthread_mutex_lock(&w.wake_lock);
	}
	pthread_mutex_unlock(&w.wake_lock);
	return NULL;
}

int ml_writer_start(void)
{
	sigset_t all, old;
	if (!w.open)
		return 0;
	pthread_cond_init(&w.wake, NULL);
	sigfillset(&all);
	/* signals are the program's: the thread inherits this mask and never receives any */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w.thread, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		errno = rc;
		return -1;
	}
	w.running = 1;
	return 0;
}

void ml_writer_finish(void)
{
	if (w.running) {
		pthread_mutex_lock(&w.wake_lock);
		w.stop = 1;
		pthread_cond_signal(&w.wake);
		pthread_mutex_unlock(&w.wake_lock);
		pthread_join(w.thread, NULL);
		w.running = 0;
	}
	flush(1, NULL, 0);
	if (w.fd >= 0)
		close(w.fd);
	if (w.statm >= 0)
		close(w.statm);
	w.fd = w.statm = -1;
	w.open = 0;
	ml_buf_free(&w.buf);
}

void ml_writer_forget(void)
{
	/* the thread does not exist in a forked child; the file is the parent's */
	if (w.fd >= 0)
		close(w.fd);
	if (w.statm >= 0)
		close(w.statm);
	w.fd = w.statm = -1;
	w.open = 0;
	w.running = 0;
	pthread_mutex_init(&w.wake_lock, NULL);
	pthread_mutex_init(&w.io_lock, NULL);
	ml_buf_t empty = {0};
	w.buf = empty; /* the parent's buffer memory is left alone: it is a copy, never freed here */
}
