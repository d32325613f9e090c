/* input.h — byte sources cut into chunks of whole lines: a regular file (optionally one byte range
 * of it, for a worker thread), a gzip file, or stdin (gzip or plain, detected by zlib).
 *
 * read() into one reused 128 KiB buffer rather than mmap: the page cache then never counts in our
 * resident set, and the copy costs ~0.1 s per GB per core. The reader owns its fd, buffer and gz
 * stream. It never interprets lines beyond finding '\n' and never allocates per line. A line longer
 * than LG_MAX_LINE is handed out once as an overlong fragment, the rest of it is dropped.
 */
#ifndef LG_INPUT_H
#define LG_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LG_READ_CHUNK (1u << 17)

typedef struct lg_reader lg_reader_t;

typedef enum { LG_CHUNK_LINES, LG_CHUNK_OVERLONG, LG_CHUNK_EOF, LG_CHUNK_ERROR } lg_chunk_t;

/* Opens path ("-" is stdin). On failure returns NULL with errno set. gz is decided by the magic bytes. */
lg_reader_t *lg_reader_open(const char *path);
/* A reader on [start, end) of an open regular file (not owned: the caller closes fd). */
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

/* The file's size if it is a regular uncompressed file worth splitting, else -1. */
off_t lg_splittable_size(int fd);
/* The offset of the first line starting at or after pos (0 stays 0); -1 on read error. */
off_t lg_line_boundary(int fd, off_t pos, off_t size);

#endif
