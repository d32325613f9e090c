#!/usr/bin/env python3
"""reports.py — times every report command on the capture of a 60-second allocation-heavy run
(bench/workloads/alloc_60s.py) and prints wall time and peak RSS of each. Captures are not kept.
usage: bench/reports.py [CAPTURE]   (without CAPTURE, traces the workload first: ~60 s)"""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MEMLENS = os.environ.get("MEMLENS", os.path.join(ROOT, "build", "memlens"))
tmp = tempfile.mkdtemp(prefix="memlens-bench-")
cap = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tmp, "alloc_60s.mlens")
if len(sys.argv) < 2:
    subprocess.run([MEMLENS, "run", "-q", "-o", cap, os.path.join(ROOT, "bench/workloads/alloc_60s.py")], check=True)
print(f"capture: {cap} ({os.path.getsize(cap) / 1e6:.1f} MB)")
cmds = [["summary", cap], ["top", cap], ["leaks", cap], ["report", cap, "-o", f"{tmp}/r.html"],
        ["flamegraph", cap, "-o", f"{tmp}/f.html"], ["diff", cap, cap, "-o", f"{tmp}/d.html"]]
cmds += [["export", cap, "--format", f, "-o", f"{tmp}/out.{f}"] for f in ("pprof", "speedscope", "folded", "json", "csv")]
print(f"{'command':28s} {'wall':>8s}      peak RSS")
for c in cmds:
    t0 = time.perf_counter()
    proc = subprocess.Popen([MEMLENS, *c], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # this command's own peak RSS, not the children's max
    dt = time.perf_counter() - t0
    assert status == 0, c
    name = " ".join(c[:1] + c[2:4] if c[0] == "export" else c[:1])
    print(f"{name:28s} {dt * 1000:8.1f} ms   {usage.ru_maxrss / 1024:6.1f} MiB")
print(f"report.html: {os.path.getsize(f'{tmp}/r.html') / 1024:.0f} KiB")
