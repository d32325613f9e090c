/* input.h — byte sources cut into chunks of whole lines: a regular file (optionally one byte range
 * of it, for a worker thread), a gzip file, or stdin (gzip or plain, detected by zlib).
 *
 * Byte ranges of a regular file (the whole file when one thread reads it) are mmap'd and handed out
 * in place, and unmapped 2 MiB at a time behind the reader, because file-backed pages count in
 * the resident set: the mapping adds ~3 MB per reader to it. Measured on the 10 GB benchmark with
 * two threads: kernel time 1.43 -> 1.12 s against read() into a 128 KiB buffer (page faults and
 * unmapping cost less than the copy), the same user time (parsing in place is no slower; see
 * docs/LOGAGG.md). Pipes, stdin and .gz are read() into one reused 128 KiB buffer, through zlib.
 * The reader owns its fd (unless given one), buffer, mapping and gz stream. It never interprets
 * lines beyond finding '\n' and never allocates per line. A line longer than LG_MAX_LINE is handed
 * out once as an overlong fragment, the rest of it is dropped.
 */
#ifndef LG_INPUT_H
#define LG_INPUT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LG_READ_CHUNK (1u << 17)

typedef struct lg_reader lg_reader_t;

typedef enum { LG_CHUNK_LINES, LG_CHUNK_OVERLONG, LG_CHUNK_EOF, LG_CHUNK_ERROR } lg_chunk_t;

/* Opens path ("-" is stdin). On failure returns NULL with errno set. gz is decided by the magic bytes. */
lg_reader_t *lg_reader_open(const char *path);
/* A reader on [start, end) of an open regular file (not owned: the caller closes fd): mapped, or
 * read() when the range is empty or cannot be mapped (no address space for it on 32-bit). */
lg_reader_t *lg_reader_range(int fd, off_t start, off_t end);
void lg_reader_close(lg_reader_t *r);
/* The next chunk: LG_CHUNK_LINES (whole lines; at end of input the last line may lack its '\n'),
 * LG_CHUNK_OVERLONG (the start of an overlong line), LG_CHUNK_EOF, LG_CHUNK_ERROR (errno set; for
 * gz errors *gzmsg is set too). With keep_partial (follow mode), an unterminated last line is kept
 * back at end of input instead of being returned, because the writer may still be writing it. */
lg_chunk_t lg_reader_next(lg_reader_t *r, int keep_partial, const char **chunk, size_t *len, const char **gzmsg);
/* Input bytes consumed so far (compressed bytes for gz), for progress. */
uint64_t lg_reader_pos(const lg_reader_t *r);
/* Follow mode: forget the unterminated tail (file truncated), or reposition (start over at 0). */
void lg_reader_reset(lg_reader_t *r, off_t pos);
int lg_reader_fd(const lg_reader_t *r);
int lg_reader_is_gz(const lg_reader_t *r);

/* Chunks of a mapped range are read after lg_reader_next returns, and another process may shrink
 * the file meanwhile (logrotate's copytruncate): reading past its new end raises SIGBUS. While a
 * thread has a guard set, a SIGBUS on r's mapping jumps to landing, which the caller sigsetjmp'd
 * to report the file as truncated; any other SIGBUS still kills the process. (NULL, NULL) clears
 * it. A guard on a mapped reader (re)installs the process's SIGBUS handler. */
void lg_reader_guard(const lg_reader_t *r, sigjmp_buf *landing);

/* The file's size if it is a regular uncompressed file (worth splitting, and mapped), else -1. */
off_t lg_splittable_size(int fd);
/* The offset of the first line starting at or after pos (0 stays 0); -1 on read error. */
off_t lg_line_boundary(int fd, off_t pos, off_t size);

#endif
