#!/usr/bin/env python3
"""memlens.objects against objgraph (Debian's python3-objgraph): census + reference chain on a heap of
1 M gc objects (the lessons' User rows, plus a cache of sessions), in the same run, medians.

    python3 bench/objects/run.py [--runs 5] [--rows 1000000] [--python /usr/bin/python3]

Each run is a fresh interpreter that builds the heap, then times, in an order that alternates between
runs: memlens's census (every object, the gc's and the ~2 M str/int they reach), memlens's census of
the gc's objects only (what objgraph counts), memlens's chain to a shallow and to a deep target, and
objgraph's most_common_types and find_backref_chain to the same targets. Wall time, best of 3 inside a
run, median over runs. The machine is shared: read the ratios, not the milliseconds.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

CHILD = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
import objgraph
from memlens import objects

N, FLIP = int(sys.argv[2]), sys.argv[3] == "1"

class User:
    def __init__(self, name, score):
        self.name, self.score = name, score

class Session:
    def __init__(self, sid):
        self.sid = sid
        self.records = [Record(sid, k) for k in range(10)]

class Record:
    def __init__(self, sid, k):
        self.key = (sid, k)

rows = [User("user%d" % i, i) for i in range(N)]
cache = {sid: Session(sid) for sid in range(1000)}

def best(fn, n=3):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)

def shallow():
    return rows[N // 2]

def deep():
    return cache[777].records[5]

tasks = {
    "memlens census": lambda: objects.most_common_types(10),
    "memlens census, gc objects only": lambda: objects.most_common_types(10, untracked=False),
    "memlens chain, shallow": lambda: objects.find_chain(shallow()),
    "memlens chain, deep": lambda: objects.find_chain(deep()),
    "objgraph census": lambda: objgraph.most_common_types(10),
    "objgraph chain, shallow": lambda: objgraph.find_backref_chain(shallow(), objgraph.is_proper_module),
    "objgraph chain, deep": lambda: objgraph.find_backref_chain(deep(), objgraph.is_proper_module),
}
def same_chains():
    a = [type(o) for o in objgraph.find_backref_chain(deep(), objgraph.is_proper_module)]
    b = [type(o) for o in objects.find_chain(deep())]
    assert a == b, (a, b)

same_chains()
names = list(tasks)[::-1] if FLIP else list(tasks)
res = {name: best(tasks[name]) for name in names}
res["objects"] = sum(s.count for s in objects.most_common_types(0))
res["gc objects"] = sum(s.count for s in objects.most_common_types(0, untracked=False))
print(json.dumps(res))
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--python", default="/usr/bin/python3")
    o = ap.parse_args()
    lib = os.path.join(ROOT, "build", "lib")
    runs = []
    for i in range(o.runs):
        p = subprocess.run([o.python, "-c", CHILD, lib, str(o.rows), str(i % 2)], capture_output=True, text=True)
        if p.returncode:
            sys.exit("bench/objects: run %d failed:\n%s" % (i, p.stderr))
        runs.append(json.loads(p.stdout))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    ver = subprocess.run([o.python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                         text=True).stdout.strip()
    print("memlens.objects vs objgraph — Python %s (%s), %d runs, medians (best of 3 in each run)"
          % (ver, o.python, o.runs))
    print("heap: %d objects, %d of them tracked by the gc\n" % (med["objects"], med["gc objects"]))
    for k in ("memlens census", "memlens census, gc objects only", "memlens chain, shallow", "memlens chain, deep",
              "objgraph census", "objgraph chain, shallow", "objgraph chain, deep"):
        print("  %-34s %8.1f ms" % (k, med[k] * 1000))
    print()
    og = {d: med["objgraph census"] + med["objgraph chain, %s" % d] for d in ("shallow", "deep")}
    for census in ("memlens census", "memlens census, gc objects only"):
        for d in ("shallow", "deep"):
            ml = med[census] + med["memlens chain, %s" % d]
            what = "gc objects only" if "only" in census else "all objects"
            print("  census (%-15s) + chain (%-7s) %5.1fx faster than objgraph (%.0f ms vs %.0f ms)"
                  % (what, d, og[d] / ml, ml * 1000, og[d] * 1000))


if __name__ == "__main__":
    main()
