/* garbage.h — the objects only reference cycles keep alive: what the next full collection would free.
 *
 * The gc's own reasoning, over the indexed heap (heap.h) instead of inside a collection, so nothing
 * is freed and the program's gc is not run early: an object with more references than the graph
 * explains is held from outside (a C reference, a running frame's local, the interpreter); everything
 * reachable from those objects lives; the rest is cyclic garbage. The untracked objects that only
 * garbage refers to (the strings in a dropped cycle) are garbage too. Finalizers that resurrect and
 * gc.garbage's uncollectable cycles are not modelled. O(nodes + edges), no recursion.
 */
#ifndef ML_OBJ_GARBAGE_H
#define ML_OBJ_GARBAGE_H

#include <stdint.h>

#include "objects/heap.h"

/* Marks the garbage: dead[r] = 1 for each garbage node (a malloc'd array of h->n bytes). Returns the
 * number of garbage nodes, or −1 when out of memory. */
int64_t ml_obj_garbage(const ml_obj_heap_t *h, uint8_t **dead);

#endif
