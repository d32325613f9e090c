/* stacktrie.h — interned stacks, strings and function names: the tracker's symbol tables.
 *
 * Two tries share one object:
 *  - the *raw* trie, keyed by (parent raw node, code object, instruction offset), is what the
 *    allocation hook looks up. Keying by offset means a lookup never decodes a line table;
 *  - the *emitted* trie, keyed by (parent node, function, file, line), is what the capture contains
 *    (NODE records, docs/FORMAT.md). Each raw node maps to one emitted node; several raw nodes (offsets
 *    on the same line) share it. Stack ids in the live table and the counters are emitted node ids.
 * Strings (file and function names) are interned once; function/file names are cached per code
 * object, which the tracker keeps alive while it is referenced here (see tracker.c), so a code
 * pointer in this table never dangles or gets reused.
 *
 * New strings and nodes are appended; the writer emits everything past its watermarks. Memory comes
 * from libc, never from the hooked Python allocators. Not thread-safe: the tracker's lock protects it.
 */
#ifndef ML_STACKTRIE_H
#define ML_STACKTRIE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct {
	const void *code;
	uint32_t parent; /* raw node id */
	uint32_t offset;
	uint32_t emitted; /* emitted node id */
} ml_rawnode_t;

typedef struct {
	uint32_t parent, func, file, line;
} ml_node_t;

typedef struct {
	const void *code;
	uint32_t func, file; /* string ids */
} ml_func_t;

typedef struct {
	uint32_t *slots; /* ids, 0 = empty; power-of-two capacity, load ≤ 1/2 */
	size_t mask;
} ml_index_t;

typedef struct {
	ml_rawnode_t *raw; /* [0] unused: id 0 is the root */
	size_t nraw, capraw;
	ml_index_t raw_idx;

	ml_node_t *nodes; /* [0] unused */
	size_t nnodes, capnodes;
	ml_index_t node_idx;

	ml_func_t *funcs; /* [0] unused */
	size_t nfuncs, capfuncs;
	ml_index_t func_idx;

	char *chars; /* string bytes, back to back */
	size_t nchars, capchars;
	size_t *str_off; /* str_off[id] .. str_off[id+1] */
	size_t nstrs, capstrs;
	ml_index_t str_idx;

	size_t max_nodes;   /* emitted node ids never exceed this (live table packs 24 bits) */
	size_t written_strs; /* writer watermarks: ids up to these are in the capture already */
	size_t written_nodes;
} ml_trie_t;

int ml_trie_init(ml_trie_t *t); /* 0, or -1 when out of memory */
void ml_trie_free(ml_trie_t *t);

/* Raw node for (parent, code, offset), or 0 if absent. This is the hook's hot lookup. */
uint32_t ml_trie_raw_find(const ml_trie_t *t, uint32_t parent, const void *code, uint32_t offset);
/* Adds a raw node mapped to `emitted`; returns its id, or 0 when out of memory. */
uint32_t ml_trie_raw_add(ml_trie_t *t, uint32_t parent, const void *code, uint32_t offset, uint32_t emitted);
static inline uint32_t ml_trie_raw_emitted(const ml_trie_t *t, uint32_t raw) { return t->raw[raw].emitted; }

/* Function index of a code object, or 0; and adding one (0 when out of memory). */
uint32_t ml_trie_func_find(const ml_trie_t *t, const void *code);
uint32_t ml_trie_func_add(ml_trie_t *t, const void *code, uint32_t func, uint32_t file);

/* Interned string id (never 0 for success), or 0 when out of memory. */
uint32_t ml_trie_string(ml_trie_t *t, const char *s, size_t n);
/* Interned emitted node id, or 0 when out of memory or past max_nodes. */
uint32_t ml_trie_node(ml_trie_t *t, uint32_t parent, uint32_t func, uint32_t file, uint32_t line);

/* Appends STRING and NODE records for everything added since the last call, and advances the
 * watermarks. Strings come first: every node refers to strings that precede it. */
void ml_trie_encode_new(ml_trie_t *t, ml_buf_t *out);

#endif
