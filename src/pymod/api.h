/* api.h — the _memlens functions behind the Python API (python/memlens/tracemalloc.py): tracing in
 * memory, snapshots, object tracebacks, traced memory, marks, resident memory. */
#ifndef ML_PYMOD_API_H
#define ML_PYMOD_API_H

#include <Python.h>

extern PyMethodDef ml_api_methods[];

#endif
