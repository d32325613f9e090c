#!/usr/bin/env python3
"""The in-process API against tracemalloc: a program with ~1 M live blocks takes a snapshot and prints
the top 10 lines, the lessons' habit. Same program, `import tracemalloc` or `import memlens as
tracemalloc`, measured in the same run.

    python3 bench/api.py [--runs N] [--python PATH] [--frames 1,25] [--blocks N]

For each tool and traceback limit: the whole run's wall time, and inside it the time to build the heap
(the tracing overhead) and to take the snapshot and compute statistics('lineno') (the query). Runs are
interleaved; the table shows medians and ratios against plain python (run) and against tracemalloc
(query).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PROGRAM = r'''
import json, sys, time
MODE, NFRAME, N = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if MODE == "memlens":
    import memlens as tracemalloc
elif MODE == "tracemalloc":
    import tracemalloc
t0 = time.perf_counter()
if MODE != "plain":
    tracemalloc.start(NFRAME)

class Row:
    def __init__(self, i):
        self.id = i
        self.name = "user-%d" % i

def level(depth, n):  # a few frames deep, as real code allocates
    return level(depth - 1, n) if depth else [Row(i) for i in range(n)]

rows = level(8, N)
t1 = time.perf_counter()
top = []
if MODE != "plain":
    snapshot = tracemalloc.take_snapshot()
    top = snapshot.statistics("lineno")[:10]
    for stat in top:
        print(stat)
t2 = time.perf_counter()
print(json.dumps({"build": t1 - t0, "query": t2 - t1, "top": str(top[0]) if top else ""}), file=sys.stderr)
'''


def run(python, libdir, mode, nframe, n):
    env = dict(os.environ, PYTHONPATH=libdir)
    t = time.perf_counter()
    p = subprocess.run([python, "-c", PROGRAM, mode, str(nframe), str(n)], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit("%s %d failed:\n%s" % (mode, nframe, p.stderr))
    r = json.loads(p.stderr.strip().splitlines()[-1])
    r["wall"] = wall
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--frames", default="1,25")
    ap.add_argument("--blocks", type=int, default=330000, help="Row objects (3 blocks each)")
    ap.add_argument("--libdir", default=os.path.join(ROOT, "build", "lib"))
    a = ap.parse_args()
    frames = [int(f) for f in a.frames.split(",")]
    configs = [("plain", 1)] + [(m, f) for f in frames for m in ("tracemalloc", "memlens")]
    res = {c: [] for c in configs}
    for i in range(a.runs):
        for c in configs:
            res[c].append(run(a.python, a.libdir, c[0], c[1], a.blocks))
            print("  run %d/%d %-12s %2d frames: %.2fs" % (i + 1, a.runs, c[0], c[1], res[c][-1]["wall"]),
                  file=sys.stderr)
    med = {c: {k: statistics.median(r[k] for r in rs) for k in ("wall", "build", "query")} for c, rs in res.items()}
    version = subprocess.run([a.python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True).stdout.strip()
    print("snapshot + statistics('lineno')[:10] with %d live Row objects (~%.1f M blocks) — Python %s, "
          "%d runs, medians" % (a.blocks, a.blocks * 3 / 1e6, version, a.runs))
    print()
    print("  %-12s %6s  %8s %8s  %8s %9s  %9s" % ("tool", "frames", "run", "× plain", "build", "query",
                                                  "query ×"))
    plain = med[("plain", 1)]["wall"]
    for c in configs:
        m = med[c]
        tm = med.get(("tracemalloc", c[1]))
        speed = "%8.0f×" % (tm["query"] / m["query"]) if c[0] == "memlens" and m["query"] > 0 else ""
        print("  %-12s %6s  %7.2fs %7.2f×  %7.2fs %8.3fs  %9s" % (
            c[0], c[1] if c[0] != "plain" else "-", m["wall"], m["wall"] / plain, m["build"],
            m["query"], speed))
    print()
    print("query × = how many times faster memlens answers than tracemalloc with the same frames")
    outdir = os.path.join(HERE, "out")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "api.json"), "w") as f:
        json.dump({"%s-%d" % c: v for c, v in med.items()}, f, indent=1)


if __name__ == "__main__":
    main()
