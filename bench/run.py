#!/usr/bin/env python3
"""memlens benchmark: wall time and peak RSS of each tool on each workload, as ratios to plain python
measured in the same run.

    python3 bench/run.py [--runs N] [--python PATH] [--only NAME,...] [--tools NAME,...]

Each (workload, tool) runs N times (default 3), interleaved so that machine noise spreads evenly; the
table shows medians. Peak RSS is the kernel's ru_maxrss of the process tree (wait4), which for
`memlens run` is the traced interpreter. Results also go to bench/out/results.json.
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
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import mlcapture  # noqa: E402

WORKLOADS = ["alloc_heavy", "million_objects", "leak_loop", "ast_stdlib"]


def tools(python, memlens, out):
    return {
        "plain": [python],
        "memlens": [memlens, "run", "-q", "--python", python, "-o", out],
        "tracemalloc-1": [python, "-X", "tracemalloc=1"],
        "tracemalloc-25": [python, "-X", "tracemalloc=25"],
    }


def measure(cmd):
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("benchmark command failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), err))
    return wall, usage.ru_maxrss * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--memlens", default=os.path.join(ROOT, "build", "memlens"))
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--tools", default="plain,memlens,tracemalloc-1,tracemalloc-25")
    a = ap.parse_args()
    out = os.path.join(tempfile.mkdtemp(prefix="memlens-bench-"), "bench.mlens")
    table = tools(a.python, a.memlens, out)
    names = a.tools.split(",")
    if "plain" not in names:
        names.insert(0, "plain")
    results = {}
    version = subprocess.run([a.python, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True).stdout.strip()
    print("memlens benchmark — Python %s (%s), %d runs each, medians; ratios against plain python"
          % (version, a.python, a.runs))
    for wl in a.only.split(","):
        script = os.path.join(HERE, "workloads", wl + ".py")
        samples = {n: [] for n in names}
        extra = {}
        for r in range(a.runs):
            for n in names:
                samples[n].append(measure(table[n] + [script]))
                if n == "memlens" and r == 0:
                    cap = mlcapture.Capture(out)
                    per_block = [t for lvl, t in cap.notes if "bytes per block" in t]
                    extra = {"capture_bytes": os.path.getsize(out), "stacks": len(cap.nodes) - 1,
                             "peak_blocks": cap.peak["blocks"], "tracker_note": per_block[0] if per_block else ""}
            print("  %s: run %d/%d done" % (wl, r + 1, a.runs), file=sys.stderr, flush=True)
        base_wall = statistics.median(w for w, _ in samples["plain"])
        base_rss = statistics.median(m for _, m in samples["plain"])
        print("\n%s" % wl)
        print("  %-16s %9s %8s %11s %8s" % ("tool", "wall", "× plain", "peak RSS", "× plain"))
        results[wl] = {}
        for n in names:
            wall = statistics.median(w for w, _ in samples[n])
            rss = statistics.median(m for _, m in samples[n])
            results[wl][n] = {"wall_s": wall, "rss_bytes": rss, "wall_x": wall / base_wall, "rss_x": rss / base_rss,
                              "walls": [w for w, _ in samples[n]]}
            print("  %-16s %8.2fs %7.2f× %8.1f MiB %7.2f×" % (n, wall, wall / base_wall, rss / 2**20, rss / base_rss))
        if extra:
            results[wl]["memlens_capture"] = extra
            print("  memlens capture: %.1f KiB, %d stacks; %s" % (extra["capture_bytes"] / 1024, extra["stacks"],
                                                                 extra["tracker_note"]))
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "results.json"), "w") as f:
        json.dump({"python": version, "runs": a.runs, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
