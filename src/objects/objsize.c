/* objsize.c — see objsize.h. */
#include "objects/objsize.h"

static PyObject *object_sizeof; /* object.__sizeof__ (immortal with the object type) */
static PyObject *sys_getsizeof;

#if PY_VERSION_HEX < 0x03090000
#define PyObject_Vectorcall _PyObject_Vectorcall
#endif

/* One positional argument without an argument tuple (a tuple is a gc object: none may be created
 * while the gc's lists are walked). */
static PyObject *call1(PyObject *fn, PyObject *o)
{
	PyObject *args[1] = {o};
	return PyObject_Vectorcall(fn, args, 1, NULL);
}

static int64_t long_or_fail(PyObject *r)
{
	if (!r)
		return -1;
	int64_t v = PyLong_AsLongLong(r);
	Py_DECREF(r);
	return v < 0 ? -1 : v;
}

int64_t ml_obj_size_slow(PyObject *o)
{
	if (!sys_getsizeof && !(sys_getsizeof = PySys_GetObject("getsizeof"))) {
		PyErr_Clear();
		return -1;
	}
	Py_INCREF(sys_getsizeof); /* borrowed from sys: keep it while it runs */
	int64_t v = long_or_fail(PyObject_CallFunctionObjArgs(sys_getsizeof, o, NULL));
	Py_DECREF(sys_getsizeof);
	if (v < 0)
		PyErr_Clear();
	return v;
}

/* object.__sizeof__ as CPython 3.8–3.13 compute it (Objects/typeobject.c). */
static int64_t default_sizeof(PyObject *o)
{
	PyTypeObject *tp = Py_TYPE(o);
	int64_t n = tp->tp_basicsize;
	if (tp->tp_itemsize > 0) {
		Py_ssize_t k = Py_SIZE(o);
		n += (k < 0 ? -k : k) * tp->tp_itemsize;
	}
	return n;
}

/* A compact ASCII str: its header, its characters and the NUL (unicode___sizeof__ for 3.8–3.13, when
 * no wchar_t copy was made (before 3.12); ASCII strings share their UTF-8 form). −1 for other strings. */
static int64_t ascii_sizeof(PyObject *o)
{
	if (!PyUnicode_IS_COMPACT_ASCII(o))
		return -1;
#if PY_VERSION_HEX < 0x030C0000
	if (((PyASCIIObject *)o)->wstr)
		return -1;
#endif
	return (int64_t)sizeof(PyASCIIObject) + PyUnicode_GET_LENGTH(o) + 1;
}

static int64_t call_sizeof(ml_obj_sizer_t *s, PyObject *o)
{
	if (s->mode == ML_OBJ_SIZE_STR) {
		int64_t n = ascii_sizeof(o);
		if (n >= 0)
			return n;
	} else if (s->mode == ML_OBJ_SIZE_INT) {
		/* the raw field: before 3.12 the signed digit count, then lv_tag (Py_SIZE asserts on ints) */
		Py_ssize_t k = ((PyVarObject *)o)->ob_size + 128;
		if (k >= 0 && k < 256 && s->memo[k])
			return s->memo[k];
		PyMethodDef *def = ((PyMethodDescrObject *)s->descr)->d_method;
		int64_t n = long_or_fail(def->ml_meth(o, NULL));
		if (k >= 0 && k < 256 && n > 0 && n < INT32_MAX)
			s->memo[k] = (int32_t)n;
		return n;
	}
	if (s->mode == ML_OBJ_SIZE_CMETH || s->mode == ML_OBJ_SIZE_STR) {
		PyMethodDef *def = ((PyMethodDescrObject *)s->descr)->d_method;
		return long_or_fail(def->ml_meth(o, NULL));
	}
	return long_or_fail(call1(s->descr, o));
}

static void resolve(ml_obj_sizer_t *s, PyObject *o)
{
	static PyObject *name;
	s->mode = ML_OBJ_SIZE_DEFER;
	if (!name && !(name = PyUnicode_InternFromString("__sizeof__")))
		goto fail;
	if (!object_sizeof && !(object_sizeof = _PyType_Lookup(&PyBaseObject_Type, name)))
		goto fail;
	s->descr = _PyType_Lookup(Py_TYPE(o), name);
	if (!s->descr)
		return;
	if (s->descr == object_sizeof) {
		s->mode = ML_OBJ_SIZE_DEFAULT;
		/* the formula must agree with the method itself, or this type is called */
		if (long_or_fail(call1(object_sizeof, o)) != default_sizeof(o))
			s->mode = ML_OBJ_SIZE_CALL;
		PyErr_Clear();
	} else if (Py_TYPE(s->descr) == &PyMethodDescr_Type) {
		int flags = ((PyMethodDescrObject *)s->descr)->d_method->ml_flags;
		s->mode = (flags & (METH_VARARGS | METH_KEYWORDS | METH_O | METH_NOARGS | METH_FASTCALL)) == METH_NOARGS
				  ? ML_OBJ_SIZE_CMETH
				  : ML_OBJ_SIZE_CALL;
		if (s->mode == ML_OBJ_SIZE_CMETH && (Py_TYPE(o) == &PyUnicode_Type || Py_TYPE(o) == &PyLong_Type)) {
			/* the shortcut must agree with the method on this first object, or it is not taken */
			int64_t real = long_or_fail(((PyMethodDescrObject *)s->descr)->d_method->ml_meth(o, NULL));
			PyErr_Clear();
			if (Py_TYPE(o) == &PyLong_Type)
				s->mode = ML_OBJ_SIZE_INT;
			else if (ascii_sizeof(o) < 0 || ascii_sizeof(o) == real)
				s->mode = ML_OBJ_SIZE_STR;
		}
	}
	return;
fail:
	PyErr_Clear();
}

int64_t ml_obj_body_size(ml_obj_sizer_t *s, PyObject *o)
{
	if (s->mode == ML_OBJ_SIZE_UNSET) {
		resolve(s, o);
		s->header[0] = s->header[1] = -1;
	}
	if (s->mode == ML_OBJ_SIZE_DEFER)
		return -1;
	int64_t n = s->mode == ML_OBJ_SIZE_DEFAULT ? default_sizeof(o) : call_sizeof(s, o);
	if (n < 0) {
		PyErr_Clear();
		n = Py_TYPE(o)->tp_basicsize;
	}
	return n;
}

int64_t ml_obj_header_size(ml_obj_sizer_t *s, PyObject *o)
{
	int v = ml_obj_gc_variant(o);
	if (s->header[v] < 0) {
		int64_t body = ml_obj_body_size(s, o), full = ml_obj_size_slow(o);
		s->header[v] = body >= 0 && full >= body ? full - body : 0;
	}
	return s->header[v];
}
