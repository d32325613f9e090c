/* input.c — see input.h. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "parse.h"

struct lg_reader {
	int fd, own_fd;
	gzFile gz;
	char *buf;
	size_t cap, len, out; /* buf[0, len) holds data; the first `out` bytes were handed out */
	int skipping;         /* inside an overlong line: drop bytes up to the next '\n' */
	int eof;
	off_t pos, end;       /* end < 0: read to end of file */
	uint64_t consumed;
	/* Mapped ranges: [kept, mend) is mapped, cur is the next byte to hand out, start the range's. */
	const char *map, *kept, *cur, *mend, *start;
};

/* Mapped ranges are handed out in chunks of MAP_CHUNK and unmapped behind the reader once
 * MAP_RELEASE bytes are done: with fault-around the kernel maps 16 pages a fault, so the resident
 * file pages stay under ~MAP_RELEASE + MAP_CHUNK per reader. */
#define MAP_CHUNK (1u << 20)
#define MAP_RELEASE (2u << 20)

static lg_reader_t *reader_new(int fd)
{
	lg_reader_t *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->cap = LG_READ_CHUNK + LG_MAX_LINE + 1;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->end = -1;
	return r;
}

lg_reader_t *lg_reader_open(const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return NULL;
	}
	lg_reader_t *r = reader_new(fd);
	if (!r) {
		if (!is_stdin)
			close(fd);
		errno = ENOMEM;
		return NULL;
	}
	r->own_fd = !is_stdin;
	unsigned char magic[2];
	int gz = is_stdin || !S_ISREG(st.st_mode);
	if (!gz)
		gz = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	if (gz) {
		/* zlib reads plain data through transparently, so pipes need no sniffing of their own. */
		int dfd = dup(fd);
		r->gz = dfd < 0 ? NULL : gzdopen(dfd, "rb");
		if (!r->gz) {
			if (dfd >= 0)
				close(dfd);
			lg_reader_close(r);
			errno = ENOMEM;
			return NULL;
		}
		gzbuffer(r->gz, 256 * 1024);
	}
	return r;
}

lg_reader_t *lg_reader_range(int fd, off_t start, off_t end)
{
	off_t base = start & ~(off_t)(sysconf(_SC_PAGESIZE) - 1);
	void *m = end > start ? mmap(NULL, (size_t)(end - base), PROT_READ, MAP_PRIVATE, fd, base) : MAP_FAILED;
	if (m == MAP_FAILED) {
		/* An empty range, or no address space for it (32-bit): read() it. */
		lg_reader_t *r = reader_new(fd);
		if (r) {
			r->pos = start;
			r->end = end;
		}
		return r;
	}
	lg_reader_t *r = calloc(1, sizeof *r);
	if (!r) {
		munmap(m, (size_t)(end - base));
		return NULL;
	}
	madvise(m, (size_t)(end - base), MADV_SEQUENTIAL); /* readahead, if the file is not cached */
	r->fd = fd;
	r->map = r->kept = m;
	r->mend = r->map + (end - base);
	r->cur = r->start = r->map + (start - base);
	return r;
}

void lg_reader_close(lg_reader_t *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	if (r->own_fd)
		close(r->fd);
	if (r->map)
		munmap((void *)r->kept, (size_t)(r->mend - r->kept));
	free(r->buf);
	free(r);
}

uint64_t lg_reader_pos(const lg_reader_t *r) { return r->consumed; }
int lg_reader_fd(const lg_reader_t *r) { return r->fd; }
int lg_reader_is_gz(const lg_reader_t *r) { return r->gz != NULL; }

void lg_reader_reset(lg_reader_t *r, off_t pos)
{
	r->len = r->out = 0;
	r->skipping = 0;
	r->eof = 0;
	r->pos = pos;
	r->consumed = (uint64_t)pos;
	if (!r->gz)
		lseek(r->fd, pos, SEEK_SET);
}

/* Reads more bytes after buf[len]; returns bytes read, 0 at end, -1 on error. */
static ssize_t fill(lg_reader_t *r, const char **gzmsg)
{
	size_t room = r->cap - r->len;
	if (room > LG_READ_CHUNK)
		room = LG_READ_CHUNK;
	ssize_t n;
	if (r->gz) {
		n = gzread(r->gz, r->buf + r->len, (unsigned)room);
		if (n < 0) {
			int e;
			*gzmsg = gzerror(r->gz, &e);
			errno = e == Z_ERRNO ? errno : EIO;
			return -1;
		}
		if (n == 0) {
			/* A truncated .gz reads as a short stream: zlib reports it only through gzerror. */
			int e;
			const char *m = gzerror(r->gz, &e);
			if (e != Z_OK && e != Z_BUF_ERROR) {
				*gzmsg = m;
				errno = EIO;
				return -1;
			}
			if (e == Z_BUF_ERROR) {
				*gzmsg = "unexpected end of compressed data";
				errno = EIO;
				return -1;
			}
		}
		r->consumed = (uint64_t)gzoffset(r->gz);
	} else {
		if (r->end >= 0 && (off_t)room > r->end - r->pos)
			room = (size_t)(r->end - r->pos);
		if (room == 0)
			return 0;
		do
			n = r->end >= 0 ? pread(r->fd, r->buf + r->len, room, r->pos) : read(r->fd, r->buf + r->len, room);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		r->pos += n;
		r->consumed += (uint64_t)n;
	}
	r->len += (size_t)n;
	return n;
}

/* lg_reader_next for a mapped range: chunks point into the mapping, nothing is copied. Same cuts
 * as the buffered path: whole lines, an overlong line once as a fragment, then skipped. */
static lg_chunk_t next_mapped(lg_reader_t *r, const char **chunk, size_t *len)
{
	for (;;) {
		size_t done = (size_t)(r->cur - r->kept) & ~(size_t)(sysconf(_SC_PAGESIZE) - 1);
		if (done >= MAP_RELEASE) {
			munmap((void *)r->kept, done);
			r->kept += done;
		}
		r->consumed = (uint64_t)(r->cur - r->start);
		size_t left = (size_t)(r->mend - r->cur), n = left < MAP_CHUNK ? left : MAP_CHUNK;
		if (!left)
			return LG_CHUNK_EOF;
		if (r->skipping) {
			const char *nl = memchr(r->cur, '\n', n);
			r->cur = nl ? nl + 1 : r->cur + n;
			r->skipping = !nl;
			continue;
		}
		*chunk = r->cur;
		if (n < left) {
			const char *nl = memrchr(r->cur, '\n', n);
			if (!nl) {
				*len = LG_MAX_LINE + 1;
				r->cur += *len;
				r->skipping = 1;
				return LG_CHUNK_OVERLONG;
			}
			n = (size_t)(nl - r->cur) + 1;
		}
		*len = n;
		r->cur += n;
		return LG_CHUNK_LINES;
	}
}

lg_chunk_t lg_reader_next(lg_reader_t *r, int keep_partial, const char **chunk, size_t *len, const char **gzmsg)
{
	*gzmsg = NULL;
	if (r->map)
		return next_mapped(r, chunk, len);
	/* Drop what the caller has consumed; the unterminated tail moves to the front. */
	if (r->out) {
		memmove(r->buf, r->buf + r->out, r->len - r->out);
		r->len -= r->out;
		r->out = 0;
	}
	for (;;) {
		if (r->skipping) {
			char *nl = memchr(r->buf, '\n', r->len);
			if (nl) {
				size_t k = (size_t)(nl - r->buf) + 1;
				memmove(r->buf, r->buf + k, r->len - k);
				r->len -= k;
				r->skipping = 0;
			} else {
				r->len = 0;
			}
		}
		if (!r->skipping && r->len) {
			char *nl = memrchr(r->buf, '\n', r->len);
			if (nl && (r->len >= LG_READ_CHUNK || r->eof)) {
				r->out = (size_t)(nl - r->buf) + 1;
				*chunk = r->buf;
				*len = r->out;
				return LG_CHUNK_LINES;
			}
			if (!nl && r->len > LG_MAX_LINE) {
				*chunk = r->buf;
				*len = LG_MAX_LINE + 1;
				r->out = r->len;
				r->skipping = 1;
				return LG_CHUNK_OVERLONG;
			}
		}
		if (r->eof) {
			if (r->len && !r->skipping && !keep_partial) {
				*chunk = r->buf;
				*len = r->out = r->len;
				return LG_CHUNK_LINES;
			}
			if (!keep_partial)
				r->len = 0;
			r->eof = 0; /* follow mode reads again later */
			return LG_CHUNK_EOF;
		}
		ssize_t n = fill(r, gzmsg);
		if (n < 0)
			return LG_CHUNK_ERROR;
		if (n == 0)
			r->eof = 1;
	}
}

/* ---- SIGBUS from a mapped file that shrank ---- */

/* Owned by the thread that set them, read by the handler running on that same thread. */
static __thread sigjmp_buf *bus_landing;
static __thread const lg_reader_t *bus_reader;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	const lg_reader_t *r = bus_reader;
	const char *a = si->si_addr;
	if (bus_landing && r && r->map && a >= r->kept && a < r->mend)
		siglongjmp(*bus_landing, 1);
	signal(sig, SIG_DFL); /* not a read of ours: the faulting access runs again and kills, as before */
}

void lg_reader_guard(const lg_reader_t *r, sigjmp_buf *landing)
{
	if (r && r->map) {
		/* Every time, not once: a test harness (cmocka) installs its own handler per test. */
		struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
	}
	bus_reader = r;
	bus_landing = landing;
}

off_t lg_splittable_size(int fd)
{
	struct stat st;
	unsigned char magic[2];
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		return -1;
	return st.st_size;
}

off_t lg_line_boundary(int fd, off_t pos, off_t size)
{
	char buf[4096];
	if (pos <= 0)
		return 0;
	pos--; /* a line starts at pos if the byte before it is '\n' */
	while (pos < size) {
		ssize_t n = pread(fd, buf, sizeof buf, pos);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		char *nl = memchr(buf, '\n', (size_t)n);
		if (nl)
			return pos + (nl - buf) + 1;
		pos += n;
	}
	return size;
}
