/* capture.h — a loaded .mlens capture: the reader of docs/FORMAT.md, version 1.
 *
 * ml_capture_open() / ml_capture_load() validate a whole capture and return its final state: the
 * META pairs, the string and node tables, the per-stack counters at the end and at the peak, the
 * timeline, the NOTEs and whether the capture is complete. Every report, export and diff reads this
 * structure and nothing else; it is read-only once loaded.
 *
 * Validation is all-or-nothing: a corrupt capture (bad header or version, truncation after the last
 * FLUSH, a CRC mismatch, an unknown mandatory record, any field out of range) is refused with one line
 * naming the byte offset and what was expected there. Each flush is framed and its CRC checked before
 * any of its records is applied, so a flipped byte is reported as a CRC mismatch rather than as
 * whatever nonsense field it produced. A capture without END loads and is flagged incomplete.
 *
 * Cost and limits: one pass over the file, mmap'd and never copied (each flush is scanned twice: framed,
 * then applied; ~120 MB/s). Allocated memory is proportional to the number of strings, nodes, ticks,
 * notes and META pairs, never to the run length, and nothing is allocated from a count before the
 * bytes for it were seen; the mapped file pages are counted in RSS while loading but are clean and
 * reclaimable. Ids are 32-bit: a capture with 2^32 or more strings or nodes is refused. The reader
 * never aborts and never prints.
 */
#ifndef ML_ANALYSIS_CAPTURE_H
#define ML_ANALYSIS_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* Error classes returned by the loaders (0 = success); the message says the details. */
typedef enum {
	ML_CAP_OK = 0,
	ML_CAP_EIO,      /* cannot open, stat, map or read the file */
	ML_CAP_ENOMEM,   /* out of memory */
	ML_CAP_EEMPTY,   /* zero-length file */
	ML_CAP_EMAGIC,   /* not a memlens capture */
	ML_CAP_EVERSION, /* a format version this reader does not read */
	ML_CAP_ETRUNC,   /* the file ends inside the header, a record, or a flush without its FLUSH */
	ML_CAP_ECRC,     /* a flush's CRC does not match */
	ML_CAP_ETYPE,    /* unknown mandatory record type */
	ML_CAP_EFIELD,   /* malformed varint, field out of range, bad record length, misplaced record */
	ML_CAP_ENOMARK   /* ml_capture_open_at_mark: the capture has no mark with that label */
} ml_cap_err_t;

/* A string of the capture: `s` is NUL-terminated for convenience but may contain NULs (use len) and
 * is not guaranteed to be valid UTF-8. */
typedef struct {
	const char *s;
	size_t len;
} ml_cap_str_t;

typedef struct {
	ml_cap_str_t key, value;
} ml_cap_meta_t;

/* One frame of the stack trie. Node 0 is the root (all zero). function and file are string ids. */
typedef struct {
	uint32_t parent;
	uint32_t function;
	uint32_t file;
	uint64_t line;
} ml_cap_node_t;

/* Counters of one stack (indexed by stack id = innermost node id; stack 0 = no Python frame). */
typedef struct {
	uint64_t live_bytes, live_blocks;   /* alive after the last flush: the leaks at exit if complete */
	uint64_t alloc_bytes, alloc_blocks; /* allocated over the whole run */
	uint64_t peak_bytes, peak_blocks;   /* alive at the peak (latest PEAK value, 0 if never listed) */
} ml_cap_stack_t;

typedef struct {
	uint64_t t; /* ns since tracing started */
	uint64_t heap, blocks, peak, allocated, rss, rss_file;
} ml_cap_tick_t;

typedef struct {
	uint32_t level; /* ML_NOTE_INFO or ML_NOTE_WARNING (core/capfmt.h) */
	ml_cap_str_t text;
} ml_cap_note_t;

/* A named point of the run (memlens.mark): the counters of the flush it ends are exact at it. */
typedef struct {
	uint64_t t;    /* ns since tracing started */
	uint64_t heap; /* traced bytes alive at the mark */
	ml_cap_str_t label;
} ml_cap_mark_t;

typedef struct {
	ml_cap_meta_t *meta; /* in file order; later duplicates win in ml_capture_meta() */
	size_t n_meta;
	ml_cap_str_t *strings; /* strings[0] is the empty string; ids 1..n_strings-1 */
	size_t n_strings;
	ml_cap_node_t *nodes; /* nodes[0] is the root; ids 1..n_nodes-1 */
	size_t n_nodes;
	ml_cap_stack_t *stacks; /* n_nodes entries: one per possible stack id */
	ml_cap_tick_t *ticks;
	size_t n_ticks;
	ml_cap_note_t *notes;
	size_t n_notes;
	ml_cap_mark_t *marks; /* in run order */
	size_t n_marks;

	int has_peak; /* a PEAK record was seen */
	uint64_t peak_t, peak_bytes, peak_blocks;

	int complete;      /* an END record was seen (otherwise: killed, os._exit, write error) */
	uint64_t end_t;    /* END.t, when complete */
	uint64_t end_flags; /* END.flags (ML_END_STOPPED_EARLY), when complete */
	size_t n_flushes;
	uint64_t duration_ns; /* t of the last FLUSH (or END, if later): how far the data goes */
	uint64_t file_size;
} ml_capture_t;

/* Loads the capture at path. On success returns ML_CAP_OK and *out (free with ml_capture_free);
 * otherwise an ml_cap_err_t, *out = NULL, and a one-line message in err (without the file name),
 * e.g. "truncated at byte 81920 (inside a STACKS record at byte 81907)". */
int ml_capture_open(const char *path, ml_capture_t **out, char *err, size_t errlen);

/* Same, from a buffer in memory (the fuzzer's entry point). The buffer is not kept. */
int ml_capture_load(const uint8_t *data, size_t len, ml_capture_t **out, char *err, size_t errlen);

/* The capture as it was at the first mark labelled `label`: loading stops after the flush that the
 * mark ends, so live_* are the values at the mark and alloc_* the totals up to it (and the capture
 * reads as incomplete). The flushes before are validated as by ml_capture_open, the ones after are
 * not read: open the whole capture first to validate it. ML_CAP_ENOMARK if there is no such mark. */
int ml_capture_open_at_mark(const char *path, const char *label, ml_capture_t **out, char *err, size_t errlen);

void ml_capture_free(ml_capture_t *cap);

/* The value of the last META pair with this key, or NULL. */
const ml_cap_str_t *ml_capture_meta(const ml_capture_t *cap, const char *key);

/* String and node accessors; ids are valid by construction for anything read from the capture. */
static inline const ml_cap_str_t *ml_capture_str(const ml_capture_t *cap, uint32_t id)
{
	return &cap->strings[id];
}

static inline const ml_cap_node_t *ml_capture_node(const ml_capture_t *cap, uint32_t id)
{
	return &cap->nodes[id];
}

/* Number of frames of a stack (0 for stack 0). O(depth). */
size_t ml_capture_stack_depth(const ml_capture_t *cap, uint32_t stack);

#endif
