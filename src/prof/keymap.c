/* keymap.c — growth and insertion for the profilers' (tag, key) -> index map (see keymap.h). */
#include "prof/keymap.h"

#include <stdlib.h>

static void place(ml_prof_slot_t *slots, size_t mask, ml_prof_slot_t s)
{
	size_t i = ml_prof_keymap_hash(s.tag, s.key) & mask;
	while (slots[i].val)
		i = (i + 1) & mask;
	slots[i] = s;
}

static int grow(ml_prof_keymap_t *m)
{
	size_t cap = m->slots ? (m->mask + 1) * 2 : 64;
	ml_prof_slot_t *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -1;
	if (m->slots) {
		for (size_t i = 0; i <= m->mask; i++)
			if (m->slots[i].val)
				place(slots, cap - 1, m->slots[i]);
		free(m->slots);
	}
	m->slots = slots;
	m->mask = cap - 1;
	return 0;
}

int ml_prof_keymap_put(ml_prof_keymap_t *m, uint32_t tag, uintptr_t key, uint32_t val)
{
	if ((!m->slots || 2 * (m->used + 1) > m->mask + 1) && grow(m) < 0)
		return -1;
	place(m->slots, m->mask, (ml_prof_slot_t){key, tag, val});
	m->used++;
	return 0;
}

void ml_prof_keymap_free(ml_prof_keymap_t *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->used = 0;
}
