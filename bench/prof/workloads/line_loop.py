"""A tight loop of cheap lines in a function marked @profile: the worst case for line profilers.
argv[1]: scale (1.0 ~ 1 s under plain python3.11)."""
import builtins
import sys

profile = getattr(builtins, "profile", lambda f: f)  # kernprof, memory_profiler, memlens set it


@profile
def work(n):
    total = 0
    for i in range(n):
        x = i * 2
        y = x + 1
        total += y
    return total


print(work(int(15_000_000 * float(sys.argv[1] if len(sys.argv) > 1 else 1))))
