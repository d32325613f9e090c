/* gclist.h — every object the cyclic gc tracks, visited in place, without building gc.get_objects()'s
 * list.
 *
 * gc.get_objects() appends each object to a Python list (an incref each, a list growing to millions
 * of items, a decref each when dropped): a fifth of a census's time on a million objects, and the walk
 * then reads every object twice, missing the cache twice. Instead, each object is handed over as the
 * list is read:
 *   3.12+      PyUnstable_GC_VisitObjects, the public way;
 *   3.9–3.11   the generation lists themselves (interp->gc, from the internal headers compiled per
 *              version, as tracker/frames.c does for frames): read only, under the GIL;
 *   3.8        gc.get_objects(), copied, dropped (its references would count as referrers), then
 *              visited from the copy.
 * The permanent generation (gc.freeze()) is left out, as gc.get_objects() does; the heap walk still
 * meets those objects through their referrers.
 *
 * The pointers are borrowed: valid while the caller holds the GIL, the gc is disabled and no Python
 * code runs (heap.h).
 */
#ifndef ML_OBJ_GCLIST_H
#define ML_OBJ_GCLIST_H

#include <Python.h>

#include <stddef.h>

/* Calls fn(o, arg) for each tracked object, oldest generation last; fn returns 0 to go on, −1 to stop
 * (with an exception set). fn may traverse o and allocate, but must create no gc object (it would join
 * the list being walked). 0, or −1 with an exception set. */
int ml_obj_gclist_each(int (*fn)(PyObject *, void *), void *arg);

#endif
