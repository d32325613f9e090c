/* snapshot.c — see snapshot.h. Runs under the tracker lock: libc memory only, no Python calls. */
#include "tracker/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "tracker/state.h"

/* ---- building (lock held) ---- */

typedef struct {
	ml_snap_t *s;
	uint32_t *local;  /* stack id -> local index + 1, 0 = not seen yet */
	uint32_t *strmap; /* trie string id -> snapshot string index + 1 */
	size_t capstacks, capframes, capchars, capstrs;
	size_t limit; /* frames kept per stack */
	int failed;
} builder_t;

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static uint32_t local_string(builder_t *b, uint32_t id)
{
	if (b->strmap[id])
		return b->strmap[id] - 1;
	ml_snap_t *s = b->s;
	const ml_trie_t *t = &ml_g.trie;
	size_t len = t->str_off[id + 1] - t->str_off[id];
	if (grow((void **)&s->chars, &b->capchars, s->str_off[s->nstrs] + len, 1) < 0 ||
	    grow((void **)&s->str_off, &b->capstrs, s->nstrs + 2, sizeof *s->str_off) < 0) {
		b->failed = 1;
		return 0;
	}
	memcpy(s->chars + s->str_off[s->nstrs], t->chars + t->str_off[id], len);
	s->str_off[s->nstrs + 1] = s->str_off[s->nstrs] + len;
	b->strmap[id] = (uint32_t)++s->nstrs;
	return (uint32_t)s->nstrs - 1;
}

/* Local index of stack id `stack`, adding it with its innermost b->limit frames if new. */
static uint32_t local_stack(builder_t *b, uint32_t stack)
{
	if (b->local[stack])
		return b->local[stack] - 1;
	ml_snap_t *s = b->s;
	const ml_trie_t *t = &ml_g.trie;
	if (grow((void **)&s->stacks, &b->capstacks, s->nstacks + 1, sizeof *s->stacks) < 0) {
		b->failed = 1;
		return 0;
	}
	ml_snap_stack_t *st = &s->stacks[s->nstacks];
	memset(st, 0, sizeof *st);
	st->first = (uint32_t)s->nframes;
	for (uint32_t n = stack; n; n = t->nodes[n].parent) {
		if (st->nframes < b->limit) {
			if (grow((void **)&s->frames, &b->capframes, s->nframes + 1, sizeof *s->frames) < 0) {
				b->failed = 1;
				return 0;
			}
			s->frames[s->nframes].file = local_string(b, t->nodes[n].file);
			s->frames[s->nframes].line = t->nodes[n].line;
			s->nframes++;
			st->nframes++;
		}
		st->depth++;
	}
	b->local[stack] = (uint32_t)++s->nstacks;
	return (uint32_t)s->nstacks - 1;
}

static void add_block(void *ctx, uint64_t size, uint32_t stack)
{
	builder_t *b = ctx;
	if (b->failed)
		return;
	ml_snap_t *s = b->s;
	uint32_t i = b->local[stack] ? b->local[stack] - 1 : local_stack(b, stack);
	if (b->failed)
		return;
	s->stacks[i].bytes += size;
	s->stacks[i].blocks++;
	s->size[s->nblocks] = size;
	s->stack[s->nblocks++] = i;
}

static int builder_init(builder_t *b, ml_snap_t *s, size_t limit)
{
	memset(s, 0, sizeof *s);
	memset(b, 0, sizeof *b);
	b->s = s;
	b->limit = limit;
	b->local = calloc(ml_g.trie.nnodes + 1, sizeof *b->local);
	b->strmap = calloc(ml_g.trie.nstrs + 1, sizeof *b->strmap);
	s->str_off = calloc(1, sizeof *s->str_off);
	b->capstrs = 1;
	return b->local && b->strmap && s->str_off ? 0 : -1;
}

/* Frees the builder's maps; on failure, the snapshot too. */
static int builder_done(builder_t *b, int rc)
{
	free(b->local);
	free(b->strmap);
	if (rc < 0 || b->failed) {
		ml_snap_free(b->s);
		return -1;
	}
	return rc;
}

/* ---- public ---- */

int ml_tracker_snapshot(ml_snap_t *s, size_t limit)
{
	builder_t b;
	ml_spin_lock(&ml_g.lock);
	if (!ml_g.active) {
		ml_spin_unlock(&ml_g.lock);
		memset(s, 0, sizeof *s);
		return -2;
	}
	int rc = builder_init(&b, s, limit);
	size_t n = ml_g.live.count;
	if (rc == 0 && n) {
		s->size = malloc(n * sizeof *s->size);
		s->stack = malloc(n * sizeof *s->stack);
		if (!s->size || !s->stack)
			rc = -1;
	}
	if (rc == 0)
		ml_live_foreach(&ml_g.live, add_block, &b);
	ml_spin_unlock(&ml_g.lock);
	return builder_done(&b, rc);
}

int ml_tracker_block(const void *ptr, size_t limit, ml_snap_t *s)
{
	builder_t b;
	uint64_t size;
	uint32_t stack;
	ml_spin_lock(&ml_g.lock);
	int rc = 0;
	if (ml_g.active && ml_live_get(&ml_g.live, (uintptr_t)ptr, &size, &stack)) {
		rc = builder_init(&b, s, limit) < 0 ? -1 : 1;
		if (rc == 1)
			local_stack(&b, stack);
		ml_spin_unlock(&ml_g.lock);
		return builder_done(&b, rc);
	}
	ml_spin_unlock(&ml_g.lock);
	memset(s, 0, sizeof *s);
	return rc;
}

void ml_snap_free(ml_snap_t *s)
{
	free(s->size);
	free(s->stack);
	free(s->stacks);
	free(s->frames);
	free(s->chars);
	free(s->str_off);
	memset(s, 0, sizeof *s);
}
