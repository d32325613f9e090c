/* spinlock.h — the tracker's lock.
 *
 * Taken once per recorded allocation and free, almost always uncontended (the GIL already serialises
 * the threads that allocate through the mem and object domains; the lock only excludes the writer
 * thread and raw-domain callers without the GIL). An uncontended pthread mutex costs two atomic
 * read-modify-writes; this lock costs one exchange to take and a plain release store to drop.
 * Waiters spin briefly, then yield: the holder may be the writer thread encoding a large flush.
 */
#ifndef ML_SPINLOCK_H
#define ML_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>

typedef struct {
	atomic_int held;
} ml_spin_t;

#define ML_SPIN_INIT {0}

static inline void ml_spin_lock(ml_spin_t *l)
{
	unsigned spins = 0;
	while (atomic_exchange_explicit(&l->held, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&l->held, memory_order_relaxed)) {
			if (++spins > 64)
				sched_yield();
#if defined(__x86_64__) || defined(__i386__)
			else
				__builtin_ia32_pause();
#endif
		}
	}
}

static inline void ml_spin_unlock(ml_spin_t *l) { atomic_store_explicit(&l->held, 0, memory_order_release); }

/* In a forked child, whatever thread held the lock does not exist any more. */
static inline void ml_spin_reset(ml_spin_t *l) { atomic_store_explicit(&l->held, 0, memory_order_relaxed); }

#endif
