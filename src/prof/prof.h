/* prof.h — timing and line/function profiles inside the traced process (issue: memlens for speed). */
#ifndef ML_PROF_H
#define ML_PROF_H

#include <Python.h>

/* Adds this layer's functions and types to the _memlens module. 0, or -1 with an exception set. */
int ml_prof_module_init(PyObject *m);

#endif
