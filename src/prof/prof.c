/* prof.c — placeholder: the profiling layer adds nothing to the module yet. */
#include "prof/prof.h"

int ml_prof_module_init(PyObject *m)
{
	(void)m;
	return 0;
}
