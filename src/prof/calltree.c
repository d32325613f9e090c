/* calltree.c — node storage for the function profiler's call tree (see calltree.h). */
#include "prof/calltree.h"

#include <stdlib.h>
#include <string.h>

int ml_prof_tree_init(ml_prof_tree_t *t)
{
	memset(t, 0, sizeof *t);
	t->cap = 256;
	t->nodes = calloc(t->cap, sizeof *t->nodes);
	if (!t->nodes)
		return -1;
	t->n = 1; /* the root */
	return 0;
}

void ml_prof_tree_free(ml_prof_tree_t *t)
{
	free(t->nodes);
	ml_prof_keymap_free(&t->map);
	memset(t, 0, sizeof *t);
}

uint32_t ml_prof_tree_add(ml_prof_tree_t *t, uint32_t parent, uintptr_t key, uint32_t func)
{
	if (t->n >= ML_PROF_TREE_MAX)
		return 0;
	if (t->n == t->cap) {
		ml_prof_node_t *p = realloc(t->nodes, 2 * t->cap * sizeof *p);
		if (!p)
			return 0;
		t->nodes = p;
		t->cap *= 2;
	}
	uint32_t id = (uint32_t)t->n;
	if (ml_prof_keymap_put(&t->map, parent, key, id) < 0)
		return 0;
	t->nodes[id] = (ml_prof_node_t){.parent = parent, .func = func, .key = key};
	t->n++;
	return id;
}
