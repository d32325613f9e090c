/* units.h — numbers for people: byte sizes in binary units ("512 B", "10.0 MiB", "1.2 GiB"),
 * durations ("850 ms", "1.23 s", "2 min 05 s") and counts with thousands separators ("1,234,567").
 *
 * Each formatter writes a NUL-terminated string into out (truncated to outlen, like snprintf) and
 * returns out, so calls nest in printf arguments. ML_UNITS_LEN is always enough. No allocation.
 */
#ifndef ML_REPORT_UNITS_H
#define ML_REPORT_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define ML_UNITS_LEN 32

/* Below 1 KiB exact bytes; above, one decimal in the largest unit that keeps the value below 1024. */
char *ml_units_bytes(uint64_t bytes, char *out, size_t outlen);

/* ns, µs or ms as integers below 1 s; then 2 decimals below 10 s, 1 below 60 s; then min/s, h/min. */
char *ml_units_duration(uint64_t ns, char *out, size_t outlen);

/* Decimal with ',' every three digits. */
char *ml_units_count(uint64_t n, char *out, size_t outlen);

/* "62.5%" (one decimal); "<0.1%" for a non-zero share that would print as 0.0. */
char *ml_units_percent(double pct, char *out, size_t outlen);

#endif
