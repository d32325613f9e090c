/* census.c — see census.h. */
#include "objects/census.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

void ml_obj_census_free(ml_obj_census_t *c)
{
	free(c->slots);
	c->slots = NULL;
	c->cap = c->n = 0;
	memset(c->recent, 0, sizeof c->recent);
	c->last_type = NULL;
	c->last = NULL;
}

static ml_obj_typestat_t *slot_for(ml_obj_typestat_t *slots, size_t cap, PyTypeObject *tp)
{
	size_t i = ml_hash_mix((uint64_t)(uintptr_t)tp) & (cap - 1);
	while (slots[i].type && slots[i].type != tp)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(ml_obj_census_t *c)
{
	size_t cap = c->cap ? 2 * c->cap : 256;
	ml_obj_typestat_t *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].type)
			*slot_for(slots, cap, c->slots[i].type) = c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	memset(c->recent, 0, sizeof c->recent);
	c->last_type = NULL; /* the entries moved */
	c->last = NULL;
	return 0;
}

/* by_type(name) matches as objgraph does: the type's name, or its dotted module.name. */
static int matches(PyTypeObject *tp, const char *want)
{
	const char *full = tp->tp_name, *dot = strrchr(full, '.');
	if (!strcmp(full, want) || (dot && !strcmp(dot + 1, want)))
		return 1;
	if (!strchr(want, '.') || !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE))
		return 0;
	/* heap types keep their module in the type's dict: no Python code to read it */
	PyObject *mod = PyDict_GetItemString(tp->tp_dict, "__module__");
	const char *m = mod && PyUnicode_Check(mod) ? PyUnicode_AsUTF8(mod) : NULL;
	if (!m) {
		PyErr_Clear();
		return 0;
	}
	size_t n = strlen(m);
	return !strncmp(want, m, n) && want[n] == '.' && !strcmp(want + n + 1, full);
}

ml_obj_typestat_t *ml_obj_census_entry(ml_obj_census_t *c, PyTypeObject *tp)
{
	ml_obj_typestat_t **hit = &c->recent[((uintptr_t)tp >> 6) & 15];
	if (*hit && (*hit)->type == tp)
		return *hit;
	if (2 * (c->n + 1) > c->cap && grow(c) < 0)
		return NULL;
	ml_obj_typestat_t *e = slot_for(c->slots, c->cap, tp);
	if (!e->type) {
		e->type = tp;
		e->selected = c->select_name ? matches(tp, c->select_name) : 0;
		for (Py_ssize_t i = 0; c->select_types && i < PyTuple_GET_SIZE(c->select_types); i++)
			e->selected |= PyTuple_GET_ITEM(c->select_types, i) == (PyObject *)tp;
		c->n++;
	}
	return c->recent[((uintptr_t)tp >> 6) & 15] = e;
}

/* o's entry and body size; *v its header variant. NULL entry when out of memory. */
static inline ml_obj_typestat_t *sized(ml_obj_census_t *c, PyObject *o, int64_t *size, int *v)
{
	PyTypeObject *tp = Py_TYPE(o);
	ml_obj_typestat_t *e = tp == c->last_type ? c->last : ml_obj_census_entry(c, tp);
	if (!e)
		return NULL;
	c->last_type = tp;
	c->last = e;
	if (e->fixed > 0) { /* the commonest case, a run of instances of one class: nothing to read */
		*size = e->fixed;
		*v = 0;
		return e;
	}
	*size = ml_obj_body_size(&e->sizer, o);
	*v = ml_obj_gc_variant(o);
	if (e->sizer.mode == ML_OBJ_SIZE_DEFAULT && tp->tp_itemsize == 0 && !tp->tp_is_gc && *size > 0)
		e->fixed = *size;
	return e;
}

int64_t ml_obj_census_add(ml_obj_census_t *c, PyObject *o, int tracked, int *selected)
{
	int64_t size;
	int v;
	ml_obj_typestat_t *e = sized(c, o, &size, &v);
	if (!e)
		return -2;
	e->count++;
	e->tracked += tracked != 0;
	if (size < 0) {
		e->deferred++;
	} else {
		e->bytes += (uint64_t)size;
		if (!e->nvar[v]++)
			e->rep[v] = o;
	}
	*selected = e->selected;
	return size;
}

int64_t ml_obj_census_remove(ml_obj_census_t *c, PyObject *o, int tracked)
{
	int64_t size;
	int v;
	ml_obj_typestat_t *e = sized(c, o, &size, &v);
	if (!e || !e->count)
		return -1;
	e->count--;
	e->tracked -= tracked != 0 && e->tracked;
	if (size < 0) {
		e->deferred -= e->deferred > 0;
	} else {
		e->bytes -= (uint64_t)size <= e->bytes ? (uint64_t)size : e->bytes;
		e->nvar[v] -= e->nvar[v] > 0; /* rep[v] may be o: still alive, and of the right kind */
	}
	return size;
}

void ml_obj_census_finish(ml_obj_census_t *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		ml_obj_typestat_t *e = &c->slots[i];
		for (int v = 0; e->type && v < 2; v++)
			if (e->nvar[v])
				e->bytes += e->nvar[v] * (uint64_t)ml_obj_header_size(&e->sizer, e->rep[v]);
	}
}

int64_t ml_obj_census_size(ml_obj_census_t *c, PyObject *o)
{
	ml_obj_typestat_t *e = ml_obj_census_entry(c, Py_TYPE(o));
	int64_t body = e ? ml_obj_body_size(&e->sizer, o) : -1;
	return body < 0 ? -1 : body + ml_obj_header_size(&e->sizer, o);
}
