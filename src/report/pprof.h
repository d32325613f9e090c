/* pprof.h — a capture as a gzip'd profile.proto (github.com/google/pprof/proto/profile.proto), the
 * format `go tool pprof`, Pyroscope and Parca read.
 *
 * Four sample types, in this order: inuse_space/bytes, inuse_objects/count (memory alive at the
 * chosen moment: the peak by default, or the end), alloc_space/bytes, alloc_objects/count (over the
 * whole run); default_sample_type is inuse_space. One Location per trie node (id = node id), one
 * Function per distinct (function, file), one Sample per stack with a non-zero counter; stack 0 is a
 * "[no Python frame]" location. The protobuf encoder is written here (the format needs five message
 * types), and so is the gzip framing (stored blocks, no compression: see pprof.c). Builds the profile in memory: O(stacks + nodes). No I/O.
 */
#ifndef ML_REPORT_PPROF_H
#define ML_REPORT_PPROF_H

#include "analysis/capture.h"
#include "analysis/views.h"
#include "core/buf.h"

/* Appends the gzip'd profile to out; inuse is ML_VIEW_AT_PEAK or ML_VIEW_AT_END. Returns 0, or -1
 * when out of memory. */
int ml_pprof_write(ml_buf_t *out, const ml_capture_t *cap, ml_view_at_t inuse);

/* The uncompressed profile.proto message (for tests and for tools that want it raw). */
int ml_pprof_encode(ml_buf_t *out, const ml_capture_t *cap, ml_view_at_t inuse);

#endif
