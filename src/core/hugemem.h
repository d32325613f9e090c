/* hugemem.h — big arrays asked to be backed by 2 MiB pages.
 *
 * An array of millions of entries, freshly allocated, costs a 4 KiB page fault per 4 KiB touched
 * (measured: a tenth of memlens's reference-chain search on a heap of 1 M objects) and, when read at
 * random, a TLB miss on most reads (logagg's tables). Arrays of 2 MiB or more are therefore 2 MiB-
 * aligned and marked MADV_HUGEPAGE, which the kernel honours when transparent huge pages are set to
 * "madvise" or "always" (Debian's default is "madvise"); otherwise they are ordinary memory. Smaller
 * ones come from malloc. Either way they are freed with free(). Memory from libc, never from the
 * Python allocators.
 */
#ifndef ML_HUGEMEM_H
#define ML_HUGEMEM_H

#include <stddef.h>

#define ML_HUGE_PAGE ((size_t)2 << 20)

/* bytes of uninitialized memory, or NULL. */
void *ml_huge_alloc(size_t bytes);

/* Grows (or creates, old NULL) an array to bytes, keeping its first old_bytes; old is freed on
 * success, kept on failure (NULL). */
void *ml_huge_grow(void *old, size_t old_bytes, size_t bytes);

#endif
