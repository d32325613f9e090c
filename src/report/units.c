/* units.c — see units.h. Durations round with integer arithmetic so that a value never prints as
 * "1000 ms" or "60.0 s": each unit is chosen after rounding. */
#include "report/units.h"

#include <stdio.h>

char *ml_units_bytes(uint64_t bytes, char *out, size_t outlen)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (bytes < 1024) {
		snprintf(out, outlen, "%u B", (unsigned)bytes);
		return out;
	}
	size_t k = 1;
	double v = (double)bytes / 1024.0;
	/* 1023.95 would print as "1024.0": move up a unit instead */
	while (v >= 1023.95 && k + 1 < sizeof units / sizeof units[0]) {
		v /= 1024.0;
		k++;
	}
	snprintf(out, outlen, "%.1f %s", v, units[k]);
	return out;
}

char *ml_units_duration(uint64_t ns, char *out, size_t outlen)
{
	const uint64_t us = 1000, ms = 1000 * us, s = 1000 * ms;
	if (ns < us) {
		snprintf(out, outlen, "%u ns", (unsigned)ns);
	} else if (ns < ms - us / 2) {
		snprintf(out, outlen, "%llu µs", (unsigned long long)((ns + us / 2) / us));
	} else if (ns < s - ms / 2) {
		snprintf(out, outlen, "%llu ms", (unsigned long long)((ns + ms / 2) / ms));
	} else if (ns < 10 * s - s / 200) {
		uint64_t cs = (ns + s / 200) / (s / 100);
		snprintf(out, outlen, "%llu.%02llu s", (unsigned long long)(cs / 100), (unsigned long long)(cs % 100));
	} else if (ns < 60 * s - s / 20) {
		uint64_t ds = (ns + s / 20) / (s / 10);
		snprintf(out, outlen, "%llu.%llu s", (unsigned long long)(ds / 10), (unsigned long long)(ds % 10));
	} else if (ns < 3600 * s - s / 2) {
		uint64_t sec = (ns + s / 2) / s;
		snprintf(out, outlen, "%llu min %02llu s", (unsigned long long)(sec / 60), (unsigned long long)(sec % 60));
	} else {
		uint64_t min = ns / (60 * s) + (ns % (60 * s) >= 30 * s);
		snprintf(out, outlen, "%llu h %02llu min", (unsigned long long)(min / 60), (unsigned long long)(min % 60));
	}
	return out;
}

char *ml_units_count(uint64_t n, char *out, size_t outlen)
{
	char digits[24], tmp[32];
	int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
	size_t j = 0;
	for (int i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			tmp[j++] = ',';
		tmp[j++] = digits[i];
	}
	tmp[j] = '\0';
	snprintf(out, outlen, "%s", tmp);
	return out;
}

char *ml_units_percent(double pct, char *out, size_t outlen)
{
	if (pct > 0 && pct < 0.05)
		snprintf(out, outlen, "<0.1%%");
	else
		snprintf(out, outlen, "%.1f%%", pct);
	return out;
}
