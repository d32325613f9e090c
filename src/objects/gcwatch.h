/* gcwatch.h — the cyclic gc as seen from a gc.callbacks entry: per generation, collections, objects
 * collected and uncollectable, pause times (total, longest, and a log2 histogram), and the traced
 * memory each collection freed — memory that only the cyclic gc gives back.
 *
 * The callback is a C function appended to gc.callbacks; the gc calls it with the GIL held, at the
 * start and the end of every collection, in the collecting thread. The state below is owned by the
 * GIL. A pause is measured from our 'start' call to our 'stop' call, so callbacks that run after ours
 * at 'stop' are not counted, those that run after ours at 'start' are. Freed memory needs a meter:
 * the memlens tracker when it is tracing, or a Python callable returning the traced bytes (e.g.
 * tracemalloc.get_traced_memory); without one it is not measured.
 */
#ifndef ML_OBJ_GCWATCH_H
#define ML_OBJ_GCWATCH_H

#include <Python.h>

#include <stdint.h>

#define ML_GCW_GENERATIONS 3
#define ML_GCW_BUCKETS 24 /* bucket i: pauses in [2^i, 2^(i+1)) µs; bucket 0 also takes < 1 µs */

typedef struct {
	uint64_t collections, collected, uncollectable;
	uint64_t pause_ns, max_pause_ns;
	uint64_t hist[ML_GCW_BUCKETS];
	int64_t freed_bytes; /* traced bytes before − after, summed over collections (with a meter) */
} ml_gcw_gen_t;

/* The module's functions (added by objects.c):
 *   obj_gc_watch(meter=None)   start watching, counters reset (meter: None or a callable)
 *   obj_gc_unwatch()           remove the callback (idempotent)
 *   obj_gc_stats() -> {"generations": [{collections, collected, uncollectable, pause_ns, max_pause_ns,
 *                       hist, freed_bytes}, ...], "metered": bool, "watching": bool} */
extern PyMethodDef ml_gcw_methods[];

#endif
