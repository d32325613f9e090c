/* objects.h — the object graph inside the traced process: census, reference chains, gc statistics. */
#ifndef ML_OBJECTS_H
#define ML_OBJECTS_H

#include <Python.h>

/* Adds this layer's functions and types to the _memlens module. 0, or -1 with an exception set. */
int ml_objects_module_init(PyObject *m);

#endif
