/* frames.h — read the Python stack of the current thread, innermost frame first.
 *
 * This is the only file that knows the interpreter's frame layout. It is compiled once per CPython
 * minor version against that version's headers (internal ones from 3.11 on, where frames left the
 * public API), so every struct offset comes from the interpreter's own headers, never guessed.
 *
 * A frame is recorded as (code object, instruction offset in bytes), not as a line number: turning an
 * offset into a line costs a walk of the line table, which tracemalloc pays on every frame of every
 * allocation (39–89% of its time). Here that is paid once per distinct (caller, code, offset), when the
 * stack trie first sees it (stacktrie.h).
 *
 * Must be called with the GIL held by the calling thread. Never allocates, never sets an exception.
 */
#ifndef ML_FRAMES_H
#define ML_FRAMES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	void *code;      /* PyCodeObject *, borrowed */
	uint32_t offset; /* byte offset of the frame's current instruction */
} ml_frame_t;

/* Stores up to `max` frames of the current thread's Python stack into out[0..], innermost first.
 * Returns the number stored; *more is set when the stack had further (outer) frames beyond `max`. */
size_t ml_frames_collect(ml_frame_t *out, size_t max, int *more);

/* Source line of a recorded frame (0 if unknown). Needs the GIL; may call the interpreter's line
 * table decoder, which does not allocate. */
int ml_frames_line(const ml_frame_t *f);

#endif
