"""The lessons' line_profiler example (8.4): sum of squares through a list, called many times; and a
helper that is not profiled, called from the profiled function (the cost of tracing around it).
argv[1]: scale (1.0 ~ 1 s under plain python3.11)."""
import builtins
import sys

profile = getattr(builtins, "profile", lambda f: f)  # kernprof, memory_profiler, memlens set it


def helper(i):
    return i % 7


@profile
def slow():
    squares = sum([i ** 2 for i in range(100000)])
    return squares + sum(helper(i) for i in range(2000))


print(sum(slow() for _ in range(int(120 * float(sys.argv[1] if len(sys.argv) > 1 else 1)))))
