/* input.c — see input.h. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
};

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
	lg_reader_t *r = reader_new(fd);
	if (r) {
		r->pos = start;
		r->end = end;
	}
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

lg_chunk_t lg_reader_next(lg_reader_t *r, int keep_partial, const char **chunk, size_t *len, const char **gzmsg)
{
	*gzmsg = NULL;
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
