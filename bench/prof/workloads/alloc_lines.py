"""bench/workloads/alloc_heavy.py's loop in a function marked @profile: many allocations per line.
argv[1]: scale (1.0 ~ 1.3 s under plain python3.11)."""
import builtins
import sys

profile = getattr(builtins, "profile", lambda f: f)  # kernprof, memory_profiler, memlens set it


@profile
def work(n):
    out = 0
    for i in range(n):
        d = {"a": i, "b": str(i), "c": [i, i + 1, i + 2]}
        s = "-".join([d["b"], "x", str(i * 2)])
        row = [s, d, (i, i)]
        out += len(row) + len(s)
    return out


print(work(int(2_000_000 * float(sys.argv[1] if len(sys.argv) > 1 else 1))))
