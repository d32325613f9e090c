"""Numbers for people, as the C reports print them (src/report/units.c): byte sizes in binary units,
durations in ns/µs/ms/s, counts with thousands separators, and aligned text tables."""


def nbytes(n, signed=False):
    """'512 B', '10.0 MiB', '-1.5 KiB' (with signed=True, '+' for positive values)."""
    sign = "-" if n < 0 else ("+" if signed and n > 0 else "")
    n = abs(n)
    if n < 1024:
        return "%s%d B" % (sign, n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024.0
        if n < 1024 or unit == "TiB":
            return "%s%.1f %s" % (sign, n, unit)


def mib(n, precision=1):
    """memory_profiler's column unit: '45.6 MiB'."""
    return "%.*f MiB" % (precision, n / 1048576.0)


def duration(seconds):
    """'850 ns', '12.3 µs', '4.56 ms', '1.23 s': three significant digits in the unit that fits."""
    if seconds < 0:
        return "-" + duration(-seconds)
    for limit, scale, unit in ((1e-6, 1e9, "ns"), (1e-3, 1e6, "µs"), (1.0, 1e3, "ms"), (float("inf"), 1.0, "s")):
        v = seconds * scale
        if seconds < limit and round(v, 2 if v < 10 else 1 if v < 100 else 0) < 1000 or unit == "s":
            if v >= 100:
                return "%.0f %s" % (v, unit)
            return "%.*f %s" % (2 if v < 10 else 1, v, unit)


def count(n):
    return "{:,}".format(n)


def table(header, rows, rule=None):
    """Columns right-aligned; the last (text) column left as it is.
    Returns the lines: the header, a line of `rule` characters as wide as the header if given, the rows."""
    widths = [len(h) for h in header]
    for r in rows:
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))
    last = len(header) - 1

    def fmt(r):
        cells = []
        for i, cell in enumerate(r):
            cells.append(cell if i == last else cell.rjust(widths[i]))
        return "  ".join(cells).rstrip()

    out = [fmt(header)]
    if rule:
        out.append(rule * len(out[0]))
    out.extend(fmt(r) for r in rows)
    return out
