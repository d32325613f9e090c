/* clock.h — the profilers' clock: a tick counter read in ~12 ns, turned into seconds only when a
 * report is made.
 *
 * Every profiled call reads the clock twice and every profiled line once, so its cost is most of a
 * profiler's overhead on call-heavy code. On x86-64 with an invariant TSC (constant and non-stop, the
 * CPU says so in CPUID 0x80000007) the ticks are RDTSC: 11.7 ns here against 29.5 ns for
 * clock_gettime(CLOCK_MONOTONIC) through the vDSO. Elsewhere the ticks are CLOCK_MONOTONIC
 * nanoseconds. The tick rate is measured against CLOCK_MONOTONIC over the whole life of the module
 * (from import to the report), so its error is a few ns over the run, not per reading.
 *
 * Limits: RDTSC is not serialising; a reading may move by a few instructions (a few ns). Ticks from
 * different cores are comparable only because the TSC is invariant and synchronised, which the
 * kernel checks (it would not pick "tsc" as clocksource otherwise; we do not re-check).
 */
#ifndef ML_PROF_CLOCK_H
#define ML_PROF_CLOCK_H

#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

extern int ml_prof_clock_tsc; /* 1: ticks are RDTSC; 0: CLOCK_MONOTONIC ns. Set once at import. */

static inline uint64_t ml_prof_ticks(void)
{
#if defined(__x86_64__)
	if (ml_prof_clock_tsc)
		return __rdtsc();
#endif
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Chooses the tick source and takes the first calibration point. Call once, at module import. */
void ml_prof_clock_init(void);

/* Seconds per tick, measured from import until now. The first call after less than 20 ms waits
 * for the rest of the 20 ms so that the rate is known to about 1e-6. */
double ml_prof_clock_seconds_per_tick(void);

#endif
