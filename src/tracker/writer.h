/* writer.h — the capture file: header, flushes, and the writer thread that makes them.
 *
 * Every tick (10 ms at first, growing with the run length to keep ~2,000 ticks, at most 1 s) the
 * writer thread takes the tracker lock, encodes what changed since the last flush (new strings and
 * nodes, dirty stacks, the peak breakdown if the peak rose) into its buffer, releases the lock, adds a
 * TICK with the process RSS, a FLUSH with the CRC, and writes the flush with one write(). The lock is
 * held only while encoding, which is proportional to what changed.
 *
 * On a write error: one warning on stderr, tracing stops (ml_tracker_fail), the program continues.
 */
#ifndef ML_WRITER_H
#define ML_WRITER_H

#include <stdint.h>

#include "core/buf.h"

/* Opens the capture and writes the header and first flush (META) synchronously, so that opening
 * errors reach the caller. Returns 0 or -1 with a message in err. With path NULL, only starts the
 * clock: no file, and ml_writer_start starts no thread. */
int ml_writer_open(const char *path, const ml_buf_t *meta, char *err, size_t errlen);
/* Starts the writer thread (all signals blocked in it). */
int ml_writer_start(void);
/* Stops the thread, writes the final flush with END, closes the file. */
void ml_writer_finish(void);
/* Flushes now, ending with a MARK record (docs/FORMAT.md) named label. Called from the program's
 * threads; serialised with the writer thread's flushes. Returns 1, or -1 if the capture is closed or
 * the write failed. */
int ml_writer_mark(const char *label, size_t len);
/* After fork, in the child: forget the file and the thread without touching either. */
void ml_writer_forget(void);

/* Monotonic nanoseconds since tracing started. The coarse variant costs a few ns instead of ~20 and
 * lags by up to one kernel tick (4 ms): good enough to timestamp the peak on every growing
 * allocation. */
uint64_t ml_writer_now(void);
uint64_t ml_writer_now_coarse(void);

#endif
