/* hugemem.c — see hugemem.h. */
#include "core/hugemem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *ml_huge_alloc(size_t bytes)
{
	if (bytes < ML_HUGE_PAGE)
		return malloc(bytes ? bytes : 1);
	void *p;
	if (posix_memalign(&p, ML_HUGE_PAGE, bytes) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE);
#endif
	return p;
}

void *ml_huge_grow(void *old, size_t old_bytes, size_t bytes)
{
	if (bytes < ML_HUGE_PAGE)
		return realloc(old, bytes);
	void *p = ml_huge_alloc(bytes);
	if (!p)
		return NULL;
	if (old)
		memcpy(p, old, old_bytes < bytes ? old_bytes : bytes);
	free(old);
	return p;
}
