/* clock.c — tick source choice and calibration (see clock.h). */
#include "prof/clock.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

int ml_prof_clock_tsc;

static uint64_t cal_ticks, cal_ns;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ml_prof_clock_init(void)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;
	/* leaf 0x80000007, EDX bit 8: invariant TSC (constant rate in every P-/C-state) */
	if (__get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8)))
		ml_prof_clock_tsc = 1;
#endif
	cal_ns = mono_ns();
	cal_ticks = ml_prof_ticks();
}

double ml_prof_clock_seconds_per_tick(void)
{
	if (!ml_prof_clock_tsc)
		return 1e-9;
	uint64_t ns, ticks;
	do {
		ns = mono_ns();
		ticks = ml_prof_ticks();
	} while (ns - cal_ns < 20000000u);
	return ticks > cal_ticks ? (double)(ns - cal_ns) * 1e-9 / (double)(ticks - cal_ticks) : 1e-9;
}
