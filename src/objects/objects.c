/* objects.c — placeholder: the object-graph layer adds nothing to the module yet. */
#include "objects/objects.h"

int ml_objects_module_init(PyObject *m)
{
	(void)m;
	return 0;
}
