#!/usr/bin/env python3
"""memlens speed tools against their peers, as ratios to plain python measured in the same run.

    python3 bench/prof/run.py [--runs N] [--python PATH] [--only profile,lines,timeit]

- profile: `memlens profile` (with and without memory columns) against `python -m cProfile` and
  scalene (--cpu-only, sampled), on bench/workloads/*.py.
- lines: `memlens lineprof` (with and without memory) and `python -m memlens.lines` (memory layout with
  RSS) against `kernprof -l` (line_profiler) on bench/prof/workloads/*.py (functions marked @profile);
  memory_profiler (`python -m memory_profiler`) on the same workloads at 1/50 of their size, against
  plain python at that size (it is 40-300x slower).
- timeit: `memlens timeit` against `python -m timeit`: the time reported for `pass` (loop overhead)
  and for real statements (same -n and -r, runs interleaved).

Each command runs N times (default 3), interleaved so that machine noise spreads evenly; tables show
medians. Wall time is measured around the whole command. Results also go to bench/out/prof.json.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FUNC_WORKLOADS = ["alloc_heavy", "million_objects", "leak_loop", "ast_stdlib"]
LINE_WORKLOADS = ["line_loop", "alloc_lines", "lesson_slow"]
MP_SCALE = "0.02"  # memory_profiler's share of each line workload
TIMEIT_STMTS = [("pass", "pass"), ("sorted(x)", "x = list(range(10000, 0, -1))"),
                ("'-'.join(map(str, r))", "r = range(100)"), ("{i: i for i in r}", "r = range(1000)")]


def measure(cmd, cwd):
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), proc.returncode, proc.stderr.decode()[-400:]))
    return wall


def has_module(python, name):
    return subprocess.run([python, "-c", "import " + name], capture_output=True).returncode == 0


def run_table(title, workloads, tools, runs, cwd):
    """tools: name -> function(workload) -> command (None: not available). Prints and returns medians."""
    results = {}
    for wl in workloads:
        samples = {n: [] for n in tools}
        for r in range(runs):
            for n, make in tools.items():
                cmd = make(wl)
                if cmd is None:
                    continue
                try:
                    samples[n].append(measure(cmd, cwd))
                except RuntimeError as e:
                    print("  %s: %s failed: %s" % (wl, n, e), file=sys.stderr)
            print("  %s: run %d/%d done" % (wl, r + 1, runs), file=sys.stderr, flush=True)
        results[wl] = {n: statistics.median(s) for n, s in samples.items() if s}
    print("\n%s (wall time × plain python, medians of %d)" % (title, runs))
    names = [n for n in tools if not n.startswith("plain")]
    print("  %-14s" % "workload" + "".join("%16s" % n for n in names))
    for wl, res in results.items():
        cells = []
        for n in names:
            base = res.get("plain-small" if n == "memory_profiler" else "plain")
            cells.append("%15.2f×" % (res[n] / base) if n in res and base else "%16s" % "-")
        print("  %-14s" % wl + "".join(cells))
    return results


def timeit_table(python, memlens, runs):
    """Reported best time per loop: memlens timeit vs python -m timeit, same -n/-r, interleaved."""
    def ours(stmt, setup, n):
        out = subprocess.run([memlens, "timeit", "--python", python, "--json", "-n", str(n), "-r", "5", "-s", setup,
                              stmt], capture_output=True, text=True, check=True).stdout
        return json.loads(out)["statements"][0]["best"]

    def stdlib(stmt, setup, n):
        out = subprocess.run([python, "-m", "timeit", "-n", str(n), "-r", "5", "-s", setup, stmt],
                             capture_output=True, text=True, check=True).stdout
        v, unit = re.match(r"\d+ loops?, best of \d+: ([\d.]+) (\w+)", out).groups()
        return float(v) * {"nsec": 1e-9, "usec": 1e-6, "msec": 1e-3, "sec": 1.0}[unit]

    print("\ntimeit: best time per loop reported (medians of %d interleaved invocations, -r 5 each)" % runs)
    print("  %-26s %12s %12s %9s" % ("statement", "memlens", "stdlib", "ratio"))
    res = {}
    for stmt, setup in TIMEIT_STMTS:
        n = 10_000_000 if stmt == "pass" else None
        if n is None:  # the stdlib's own calibration, so both run the same loop count
            out = subprocess.run([python, "-m", "timeit", "-s", setup, stmt], capture_output=True, text=True).stdout
            n = int(out.split()[0])
        a, b = [], []
        for _ in range(runs):
            a.append(ours(stmt, setup, n))
            b.append(stdlib(stmt, setup, n))
        ma, mb = statistics.median(a), statistics.median(b)
        res[stmt] = {"memlens": ma, "stdlib": mb, "loops": n}
        print("  %-26s %10.2f ns %10.2f ns %8.3f" % (stmt, ma * 1e9, mb * 1e9, ma / mb))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--memlens", default=os.path.join(ROOT, "build", "memlens"))
    ap.add_argument("--only", default="profile,lines,timeit")
    a = ap.parse_args()
    py, ml = a.python, a.memlens
    libdir = os.path.join(os.path.dirname(os.path.abspath(ml)), "lib")
    tmp = tempfile.mkdtemp(prefix="memlens-bench-prof-")
    version = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True).stdout.strip()
    print("memlens speed tools — Python %s (%s), %d interleaved runs, medians; ratios against plain python"
          % (version, py, a.runs))
    out = {"python": version, "runs": a.runs}
    only = a.only.split(",")
    prof = os.path.join(tmp, "out.prof")
    wl_func = lambda wl: os.path.join(ROOT, "bench", "workloads", wl + ".py")  # noqa: E731
    wl_line = lambda wl: os.path.join(HERE, "workloads", wl + ".py")  # noqa: E731
    scalene = shutil.which("scalene")
    if "profile" in only:
        tools = {
            "plain": lambda wl: [py, wl_func(wl)],
            "cProfile": lambda wl: [py, "-m", "cProfile", "-o", prof, wl_func(wl)],
            "memlens": lambda wl: [ml, "profile", "--python", py, "-q", "-o", prof, wl_func(wl)],
            "memlens-nomem": lambda wl: [ml, "profile", "--python", py, "--no-memory", "-q", "-o", prof, wl_func(wl)],
            "scalene-cpu": lambda wl: ([py, "-m", "scalene", "--cli", "--cpu-only", "--outfile",
                                        os.path.join(tmp, "scalene.txt"), wl_func(wl)] if scalene else None),
        }
        out["profile"] = run_table("memlens profile", FUNC_WORKLOADS, tools, a.runs, tmp)
    if "lines" in only:
        env_lines = [py, "-c", "import sys; sys.path.insert(0, %r); from memlens.lines import main; "
                               "sys.argv[0] = 'memlens.lines'; sys.exit(main())" % libdir]
        kernprof = shutil.which("kernprof") if has_module(py, "line_profiler") else None
        mprof = has_module(py, "memory_profiler")
        tools = {
            "plain": lambda wl: [py, wl_line(wl)],
            "plain-small": lambda wl: [py, wl_line(wl), MP_SCALE] if mprof else None,
            "kernprof -l": lambda wl: [py, kernprof, "-l", "-o", os.path.join(tmp, "k.lprof"), wl_line(wl)]
            if kernprof else None,
            "memlens": lambda wl: [ml, "lineprof", "--python", py, "-o", os.path.join(tmp, "l.txt"), wl_line(wl)],
            "memlens-nomem": lambda wl: [ml, "lineprof", "--python", py, "--no-memory", "-o",
                                         os.path.join(tmp, "l.txt"), wl_line(wl)],
            "memlens.lines": lambda wl: env_lines + ["-o", os.path.join(tmp, "m.txt"), wl_line(wl)],
            "memory_profiler": lambda wl: [py, "-m", "memory_profiler", wl_line(wl), MP_SCALE] if mprof else None,
        }
        out["lines"] = run_table("memlens lineprof / memlens.lines", LINE_WORKLOADS, tools, a.runs, tmp)
    if "timeit" in only:
        out["timeit"] = timeit_table(py, ml, a.runs)
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "prof.json"), "w") as f:
        json.dump(out, f, indent=1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
