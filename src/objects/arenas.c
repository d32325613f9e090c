/* arenas.c — see arenas.h. */
#include "objects/arenas.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static PyObjectArenaAllocator wrapped; /* the allocator we forward to */
static int installed;
static uint64_t n_alloc, n_free, arena_size;

static void *arena_alloc(void *ctx, size_t size)
{
	(void)ctx;
	void *p = wrapped.alloc(wrapped.ctx, size);
	if (p) {
		__atomic_add_fetch(&n_alloc, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&arena_size, (uint64_t)size, __ATOMIC_RELAXED);
	}
	return p;
}

static void arena_free(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	if (ptr)
		__atomic_add_fetch(&n_free, 1, __ATOMIC_RELAXED);
	wrapped.free(wrapped.ctx, ptr, size);
}

static PyObject *obj_arenas_watch(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	if (installed)
		Py_RETURN_NONE;
	PyObject_GetArenaAllocator(&wrapped);
	PyObjectArenaAllocator mine = {NULL, arena_alloc, arena_free};
	PyObject_SetArenaAllocator(&mine);
	installed = 1;
	Py_RETURN_NONE;
}

static PyObject *obj_arenas_stats(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return Py_BuildValue("{sOsKsKsK}", "watching", installed ? Py_True : Py_False, "allocated",
			     (unsigned long long)__atomic_load_n(&n_alloc, __ATOMIC_RELAXED), "freed",
			     (unsigned long long)__atomic_load_n(&n_free, __ATOMIC_RELAXED), "arena_size",
			     (unsigned long long)__atomic_load_n(&arena_size, __ATOMIC_RELAXED));
}

static PyObject *obj_pymalloc_text(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	/* not in the public headers from 3.11, but exported by every version 3.8–3.13 */
	int (*stats)(FILE *) = (int (*)(FILE *))dlsym(RTLD_DEFAULT, "_PyObject_DebugMallocStats");
	if (!stats)
		Py_RETURN_NONE;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return PyErr_NoMemory();
	int printed = stats(f);
	fclose(f);
	PyObject *r = printed && text ? PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "replace") : (Py_INCREF(Py_None), Py_None);
	free(text);
	return r;
}

PyMethodDef ml_arenas_methods[] = {
	{"obj_arenas_watch", obj_arenas_watch, METH_NOARGS, "obj_arenas_watch(): count pymalloc arenas from now on"},
	{"obj_arenas_stats", obj_arenas_stats, METH_NOARGS, "obj_arenas_stats() -> dict"},
	{"obj_pymalloc_text", obj_pymalloc_text, METH_NOARGS,
	 "obj_pymalloc_text() -> str or None: pymalloc's own report, when no allocator hook hides it"},
	{NULL, NULL, 0, NULL},
};
