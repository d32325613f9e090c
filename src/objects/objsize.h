/* objsize.h — sys.getsizeof(o) for millions of objects, without a Python call per object.
 *
 * sys.getsizeof is `type(o).__sizeof__(o)` (the *body*) plus the header the interpreter puts before
 * the object (the GC links; from 3.11 also the managed-dict pointers), and that header's rule differs
 * between versions (3.11 counts it for static types, 3.13 does not). So:
 *   - the body, per type, by a sizer resolved on the type's first object:
 *       the type inherits object.__sizeof__: basicsize + itemsize × |ob_size|, computed here (checked
 *       against the method on that first object; a type that disagrees is called instead);
 *       __sizeof__ is a C method (dict, list, set ...): its C function is called directly, which
 *       costs a Python int per object; the two commonest types skip even that: a compact ASCII str
 *       is computed (header + length + 1), and an int's size, a function of its digit-count field, is
 *       remembered per value of that field (both checked against the method on first use);
 *       __sizeof__ is written in Python: the object is *deferred*, the caller asks sys.getsizeof
 *       once no borrowed reference is in use any more (Python code may free objects);
 *   - the header, per type and per tp_is_gc answer (static and heap type objects differ): learnt
 *     from sys.getsizeof on one representative, after the walk (sys.getsizeof takes an argument
 *     tuple, a gc object, which must not be created while the gc's lists are being walked).
 *
 * Never runs Python code except C methods; needs the GIL.
 */
#ifndef ML_OBJ_OBJSIZE_H
#define ML_OBJ_OBJSIZE_H

#include <Python.h>

#include <stdint.h>

typedef enum {
	ML_OBJ_SIZE_UNSET = 0,
	ML_OBJ_SIZE_DEFAULT, /* object.__sizeof__: computed here */
	ML_OBJ_SIZE_CMETH,   /* a METH_NOARGS C method: called directly */
	ML_OBJ_SIZE_CALL,    /* another C callable: called through the descriptor */
	ML_OBJ_SIZE_DEFER,   /* Python code: the caller calls sys.getsizeof later */
	ML_OBJ_SIZE_STR,     /* str: compact ASCII computed here, others called */
	ML_OBJ_SIZE_INT,     /* int: remembered per value of its size field */
} ml_obj_size_mode_t;

typedef struct {
	ml_obj_size_mode_t mode;
	PyObject *descr;   /* borrowed from the type's MRO; the walk keeps the type alive */
	int64_t header[2]; /* sys.getsizeof − __sizeof__, by ml_obj_gc_variant(o); −1 until learnt */
	int32_t memo[256]; /* ML_OBJ_SIZE_INT: __sizeof__ by size field + 128; 0 until learnt */
} ml_obj_sizer_t;

/* Which header an object has: tp_is_gc's answer (only type objects have a tp_is_gc). */
static inline int ml_obj_gc_variant(PyObject *o)
{
	inquiry is_gc = Py_TYPE(o)->tp_is_gc;
	return is_gc ? is_gc(o) != 0 : 0;
}

/* type(o).__sizeof__(o), or −1 if it must be deferred (mode DEFER). A failing __sizeof__ counts the
 * type's basic size (the error is cleared). Creates no gc object. */
int64_t ml_obj_body_size(ml_obj_sizer_t *s, PyObject *o);

/* The header size of o's kind (learnt once per sizer and variant through sys.getsizeof(o)). */
int64_t ml_obj_header_size(ml_obj_sizer_t *s, PyObject *o);

/* sys.getsizeof(o) through Python, for deferred objects: may run Python code. −1 on error (cleared). */
int64_t ml_obj_size_slow(PyObject *o);

#endif
