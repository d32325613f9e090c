/* census.h — objects counted by type: count, bytes (as sys.getsizeof), and how many the gc tracks.
 *
 * objgraph's census sees only what gc.get_objects() returns; the heap walk (heap.h) also meets the
 * objects the gc does not track (str, int, float, tuples of those, dicts of atoms), and every object
 * met is counted here once. The table is keyed by type pointer (open addressing, a few thousand
 * types at most) behind a 16-entry direct-mapped cache: a walk alternates between a few types. Each entry also
 * carries its type's sizer (objsize.h) and whether the query selects that type (by_type()).
 *
 * Types are borrowed: the heap walk holds no reference, and nothing runs Python code while the table
 * is in use (see heap.h). Memory from libc.
 */
#ifndef ML_OBJ_CENSUS_H
#define ML_OBJ_CENSUS_H

#include <Python.h>

#include <stdint.h>

#include "objects/objsize.h"

typedef struct {
	PyTypeObject *type;
	uint64_t count, bytes, tracked;
	uint64_t deferred; /* objects whose size needs Python code (their bytes are added later) */
	uint64_t nvar[2];  /* objects sized here, by header variant (objsize.h) */
	PyObject *rep[2];  /* one of them each: the header is learnt from it by ml_obj_census_finish */
	int selected;      /* by_type(select_name) wants objects of this type */
	int64_t fixed;     /* > 0: every object's body size (object.__sizeof__, no items, no tp_is_gc) */
	ml_obj_sizer_t sizer;
} ml_obj_typestat_t;

typedef struct {
	ml_obj_typestat_t *slots;
	size_t cap, n;
	ml_obj_typestat_t *recent[16]; /* direct-mapped on the type pointer */
	PyTypeObject *last_type;       /* the previous object's type: the gc's list holds runs of one type */
	ml_obj_typestat_t *last;
	const char *select_name; /* by_type(name): a type's short or dotted name; NULL: none */
	PyObject *select_types;  /* or a tuple of type objects; NULL: none */
} ml_obj_census_t;

void ml_obj_census_free(ml_obj_census_t *c);

/* The entry of o's type (created empty on first sight), or NULL when out of memory. */
ml_obj_typestat_t *ml_obj_census_entry(ml_obj_census_t *c, PyTypeObject *tp);

/* Counts o (bytes without its header, see ml_obj_census_finish); returns that size, or −1 if
 * deferred (objsize.h). Sets *selected if its type is selected. −2 when out of memory. Creates no
 * gc object: safe while the gc's lists are walked. */
int64_t ml_obj_census_add(ml_obj_census_t *c, PyObject *o, int tracked, int *selected);

/* Takes back ml_obj_census_add(c, o, tracked, ...) for an object counted by mistake (the query's own,
 * left out after the walk rather than looked up for every object); a deferred object's size is the
 * caller's to take back. Returns its size as census_add did. */
int64_t ml_obj_census_remove(ml_obj_census_t *c, PyObject *o, int tracked);

/* Adds the headers to the bytes (calls sys.getsizeof once per type and variant: after the walk,
 * while every representative is still alive). */
void ml_obj_census_finish(ml_obj_census_t *c);

/* sys.getsizeof(o) for an object of a type already counted, after finish; −1 if deferred. */
int64_t ml_obj_census_size(ml_obj_census_t *c, PyObject *o);

#endif
