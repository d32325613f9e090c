/* tracker.h — the in-process tracker: what the _memlens extension drives.
 *
 * Once started, every allocation, reallocation and free made through CPython's three allocator
 * domains (raw, mem, object) is recorded with the allocating thread's full Python stack, into a live
 * table and per-stack counters kept in this process (livetable.h, stackstats.h, stacktrie.h). A
 * writer thread appends what changed to the capture file every tick (writer.h), so a killed process
 * still leaves a readable capture.
 *
 * The traced program comes first: the hooks never abort it, never print to its stdout, and on any
 * failure (out of memory, write error) warn once on stderr and stop recording while the program
 * runs on. After a fork, the child stops recording (the capture belongs to the parent).
 */
#ifndef ML_TRACKER_H
#define ML_TRACKER_H

#include <stddef.h>

#include <stdint.h>

typedef struct {
	const char *path;      /* capture file to create (truncated if it exists); NULL: in memory only */
	size_t max_depth;      /* innermost frames kept per stack; 0 = all */
	const char *const *meta; /* key, value, key, value, ... added to the META record */
	const size_t *meta_len;  /* their lengths in bytes (values may hold NUL bytes) */
	size_t nmeta;            /* number of pairs */
	int no_stacks;           /* count bytes only: every block gets stack 0 (the profilers' memory
				  * columns need sizes, not stacks); ml_tracker_want_stacks() turns stacks on */
} ml_tracker_opts_t;

/* Starts tracing. Needs the GIL. Returns 0, or -1 with a message in err (nothing started). */
int ml_tracker_start(const ml_tracker_opts_t *opts, char *err, size_t errlen);

/* Stops tracing: final flush with an END record, closes the file, releases the tables. Needs the
 * GIL. Does nothing if not tracing. */
void ml_tracker_stop(void);

int ml_tracker_is_tracing(void);
/* From now on, record stacks (if tracing started with no_stacks). Blocks already live keep stack 0. */
void ml_tracker_want_stacks(void);

/* Tracing into a capture file (not only in memory). */
int ml_tracker_has_capture(void);

/* ---- for the in-process API (tracemalloc's functions); each takes the lock once ---- */

/* Traced bytes alive now, and the most since tracing started or the last ml_tracker_reset_peak(). */
void ml_tracker_traced(uint64_t *current, uint64_t *peak);
void ml_tracker_reset_peak(void);
/* Forgets every traced block: frees of blocks allocated before are not counted. The capture, if
 * any, sees their memory as released at this point. Returns 0, or -1 if tracing stopped on error. */
int ml_tracker_clear(void);
/* Memory the tracker's tables use, in bytes. */
size_t ml_tracker_memory(void);
/* Puts a named point in the capture (a flush ending with a MARK record, so the counters are exact at
 * the mark). Returns 1 if written, 0 without a capture, -1 on a write error. */
int ml_tracker_mark(const char *label, size_t len);

/* The calling thread's traced bytes since it started: allocated minus freed (net, of blocks the
 * tracker knows about, whichever thread allocated them), and allocated. Two thread-local reads: the
 * line and function profilers take the difference across a line or a call. */
void ml_tracker_thread_bytes(int64_t *net, uint64_t *allocated);

#endif
