/* stacktrie.c — see stacktrie.h.
 *
 * All four tables use the same scheme: entries live in an append-only array (ids are indexes), and a
 * separate open-addressing index of 32-bit ids finds them by key. The index is 4 bytes per slot and
 * comparing a candidate reads the entry array; at load ≤ 1/2 a lookup touches ~1.5 slots.
 */
#include "core/hash.h"
#include "tracker/stacktrie.h"

#include <stdlib.h>
#include <string.h>

#include "core/capfmt.h"
#include "core/varint.h"
#include "tracker/livetable.h"

static int index_init(ml_index_t *x, size_t cap)
{
	x->slots = calloc(cap, sizeof *x->slots);
	x->mask = cap - 1;
	return x->slots ? 0 : -1;
}

/* Grows an entry array so that index `n` is valid. */
static int reserve(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 256;
	while (c <= n)
		c *= 2;
	void *p = realloc(*arr, c * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

/* ---- index growth: rehash every id with the table's own hash ---- */

typedef uint64_t (*hash_of_t)(const ml_trie_t *t, uint32_t id);

static int index_add(const ml_trie_t *t, ml_index_t *x, size_t count, uint32_t id, uint64_t h, hash_of_t hash_of)
{
	if ((count + 1) * 2 > x->mask + 1) {
		ml_index_t n;
		if (index_init(&n, (x->mask + 1) * 2) < 0)
			return -1;
		for (size_t i = 0; i <= x->mask; i++) {
			uint32_t e = x->slots[i];
			if (!e)
				continue;
			size_t j = hash_of(t, e) & n.mask;
			while (n.slots[j])
				j = (j + 1) & n.mask;
			n.slots[j] = e;
		}
		free(x->slots);
		*x = n;
	}
	size_t j = h & x->mask;
	while (x->slots[j])
		j = (j + 1) & x->mask;
	x->slots[j] = id;
	return 0;
}

/* ---- raw nodes ---- */

static inline uint64_t raw_hash(uint32_t parent, const void *code, uint32_t offset)
{
	return ml_hash_mix((uint64_t)(uintptr_t)code ^ ((uint64_t)parent << 32 | offset) * UINT64_C(0x9E3779B97F4A7C15));
}

static uint64_t raw_hash_of(const ml_trie_t *t, uint32_t id)
{
	const ml_rawnode_t *r = &t->raw[id];
	return raw_hash(r->parent, r->code, r->offset);
}

uint32_t ml_trie_raw_find(const ml_trie_t *t, uint32_t parent, const void *code, uint32_t offset)
{
	const ml_index_t *x = &t->raw_idx;
	for (size_t j = raw_hash(parent, code, offset) & x->mask;; j = (j + 1) & x->mask) {
		uint32_t id = x->slots[j];
		if (!id)
			return 0;
		const ml_rawnode_t *r = &t->raw[id];
		if (r->code == code && r->offset == offset && r->parent == parent)
			return id;
	}
}

uint32_t ml_trie_raw_add(ml_trie_t *t, uint32_t parent, const void *code, uint32_t offset, uint32_t emitted)
{
	if (t->nraw >= UINT32_MAX || reserve((void **)&t->raw, &t->capraw, t->nraw, sizeof *t->raw) < 0)
		return 0;
	uint32_t id = (uint32_t)t->nraw;
	t->raw[id] = (ml_rawnode_t){code, parent, offset, emitted};
	if (index_add(t, &t->raw_idx, t->nraw, id, raw_hash(parent, code, offset), raw_hash_of) < 0)
		return 0;
	t->nraw++;
	return id;
}

/* ---- functions (per code object) ---- */

static uint64_t func_hash_of(const ml_trie_t *t, uint32_t id)
{
	return ml_hash_mix((uint64_t)(uintptr_t)t->funcs[id].code);
}

uint32_t ml_trie_func_find(const ml_trie_t *t, const void *code)
{
	const ml_index_t *x = &t->func_idx;
	for (size_t j = ml_hash_mix((uint64_t)(uintptr_t)code) & x->mask;; j = (j + 1) & x->mask) {
		uint32_t id = x->slots[j];
		if (!id || t->funcs[id].code == code)
			return id;
	}
}

uint32_t ml_trie_func_add(ml_trie_t *t, const void *code, uint32_t func, uint32_t file)
{
	if (t->nfuncs >= UINT32_MAX || reserve((void **)&t->funcs, &t->capfuncs, t->nfuncs, sizeof *t->funcs) < 0)
		return 0;
	uint32_t id = (uint32_t)t->nfuncs;
	t->funcs[id] = (ml_func_t){code, func, file};
	if (index_add(t, &t->func_idx, t->nfuncs, id, ml_hash_mix((uint64_t)(uintptr_t)code), func_hash_of) < 0)
		return 0;
	t->nfuncs++;
	return id;
}

/* ---- strings ---- */

static uint64_t str_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a; strings are interned once, rarely */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * UINT64_C(1099511628211);
	return ml_hash_mix(h);
}

static uint64_t str_hash_of(const ml_trie_t *t, uint32_t id)
{
	return str_hash(t->chars + t->str_off[id], t->str_off[id + 1] - t->str_off[id]);
}

uint32_t ml_trie_string(ml_trie_t *t, const char *s, size_t n)
{
	uint64_t h = str_hash(s, n);
	const ml_index_t *x = &t->str_idx;
	for (size_t j = h & x->mask;; j = (j + 1) & x->mask) {
		uint32_t id = x->slots[j];
		if (!id)
			break;
		size_t len = t->str_off[id + 1] - t->str_off[id];
		if (len == n && !memcmp(t->chars + t->str_off[id], s, n))
			return id;
	}
	if (t->nstrs >= UINT32_MAX - 1 || reserve((void **)&t->str_off, &t->capstrs, t->nstrs + 1, sizeof *t->str_off) < 0 ||
	    reserve((void **)&t->chars, &t->capchars, t->nchars + n, 1) < 0)
		return 0;
	uint32_t id = (uint32_t)t->nstrs;
	memcpy(t->chars + t->nchars, s, n);
	t->nchars += n;
	t->str_off[id + 1] = t->nchars;
	if (index_add(t, &t->str_idx, t->nstrs, id, h, str_hash_of) < 0)
		return 0;
	t->nstrs++;
	return id;
}

/* ---- emitted nodes ---- */

static inline uint64_t node_hash(uint32_t parent, uint32_t func, uint32_t file, uint32_t line)
{
	return ml_hash_mix(((uint64_t)parent << 32 | line) ^ ml_hash_mix((uint64_t)func << 32 | file));
}

static uint64_t node_hash_of(const ml_trie_t *t, uint32_t id)
{
	const ml_node_t *n = &t->nodes[id];
	return node_hash(n->parent, n->func, n->file, n->line);
}

uint32_t ml_trie_node(ml_trie_t *t, uint32_t parent, uint32_t func, uint32_t file, uint32_t line)
{
	uint64_t h = node_hash(parent, func, file, line);
	const ml_index_t *x = &t->node_idx;
	for (size_t j = h & x->mask;; j = (j + 1) & x->mask) {
		uint32_t id = x->slots[j];
		if (!id)
			break;
		const ml_node_t *n = &t->nodes[id];
		if (n->parent == parent && n->func == func && n->file == file && n->line == line)
			return id;
	}
	if (t->nnodes > t->max_nodes || reserve((void **)&t->nodes, &t->capnodes, t->nnodes, sizeof *t->nodes) < 0)
		return 0;
	uint32_t id = (uint32_t)t->nnodes;
	t->nodes[id] = (ml_node_t){parent, func, file, line};
	if (index_add(t, &t->node_idx, t->nnodes, id, h, node_hash_of) < 0)
		return 0;
	t->nnodes++;
	return id;
}

/* ---- lifetime and encoding ---- */

int ml_trie_init(ml_trie_t *t)
{
	memset(t, 0, sizeof *t);
	t->max_nodes = ML_LIVE_MAX_STACK;
	if (index_init(&t->raw_idx, 1024) < 0 || index_init(&t->node_idx, 1024) < 0 ||
	    index_init(&t->func_idx, 256) < 0 || index_init(&t->str_idx, 256) < 0 ||
	    reserve((void **)&t->raw, &t->capraw, 0, sizeof *t->raw) < 0 ||
	    reserve((void **)&t->nodes, &t->capnodes, 0, sizeof *t->nodes) < 0 ||
	    reserve((void **)&t->funcs, &t->capfuncs, 0, sizeof *t->funcs) < 0 ||
	    reserve((void **)&t->str_off, &t->capstrs, 1, sizeof *t->str_off) < 0) {
		ml_trie_free(t);
		return -1;
	}
	/* id 0 of every table is the "none" entry: the root, the empty string */
	t->raw[0] = (ml_rawnode_t){0};
	t->nodes[0] = (ml_node_t){0};
	t->funcs[0] = (ml_func_t){0};
	t->str_off[0] = t->str_off[1] = 0;
	t->nraw = t->nnodes = t->nfuncs = t->nstrs = 1;
	t->written_strs = t->written_nodes = 1;
	return 0;
}

void ml_trie_free(ml_trie_t *t)
{
	free(t->raw);
	free(t->raw_idx.slots);
	free(t->nodes);
	free(t->node_idx.slots);
	free(t->funcs);
	free(t->func_idx.slots);
	free(t->chars);
	free(t->str_off);
	free(t->str_idx.slots);
	memset(t, 0, sizeof *t);
}

void ml_trie_encode_new(ml_trie_t *t, ml_buf_t *out)
{
	for (; t->written_strs < t->nstrs; t->written_strs++) {
		size_t id = t->written_strs;
		ml_buf_put_record(out, ML_REC_STRING, t->chars + t->str_off[id], t->str_off[id + 1] - t->str_off[id]);
	}
	for (; t->written_nodes < t->nnodes; t->written_nodes++) {
		const ml_node_t *n = &t->nodes[t->written_nodes];
		uint8_t p[4 * 10], *q = p;
		q += ml_varint_put(q, n->parent);
		q += ml_varint_put(q, n->func);
		q += ml_varint_put(q, n->file);
		q += ml_varint_put(q, n->line);
		ml_buf_put_record(out, ML_REC_NODE, p, (size_t)(q - p));
	}
}
