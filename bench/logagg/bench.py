#!/usr/bin/python3
"""bench.py — logagg against cat, a plain C baseline, mawk and the lessons' Python, in one run.

Generates (once, cached under bench/data/) a combined-format log of LOGAGG_BENCH_GB gigabytes (default
1; 10 for the issue's goal) with ~1M Zipf-distributed clients, IPv4 and IPv6, some malformed lines and
some non-UTF-8 bytes, plus its exact ground truth. Every tool runs on the page-cached file (read once,
untimed, before each tool: a VM with proactive reclaim evicts it within minutes); wall time and
peak resident memory (GNU time's %M, i.e. wait4's ru_maxrss: it includes file-backed pages, so mmap'd
input counts) are
the median of --runs runs (the Python versions run once: they take minutes at full size). Ratios are
against logagg and against cat. logagg's PV/UV are checked against the ground truth.

usage: bench.py [--logagg build/logagg] [--bin build/bench] [--gb N] [--runs N] [--data bench/data]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RSS_FILE = Path("/tmp/logagg-bench-rss.txt")


def measure(argv, stdout_path):
    """Runs argv once; returns (wall seconds, peak RSS bytes, exit status, stdout text, stderr tail).
    stdout_path None: stdout goes to /dev/null (cat)."""
    sink = stdout_path or Path(os.devnull)
    errpath = (stdout_path or Path(os.devnull)).with_suffix(".err") if stdout_path else Path(os.devnull)
    with open(sink, "wb") as out, open(errpath, "wb") as err:
        # GNU time reports the child's own peak RSS; wait4 from here would also count the pre-exec
        # copy of this Python process (~13 MB) for small tools like cat.
        t0 = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(RSS_FILE), *argv], stdout=out, stderr=err)
        _, status, _ = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    rss = int(RSS_FILE.read_text().split()[-1]) * 1024
    if not stdout_path:
        return wall, rss, rc, "", ""
    text = stdout_path.read_text(errors="replace")[:4096]
    errtail = errpath.read_text(errors="replace").strip().splitlines()[-1:] or [""]
    return wall, rss, rc, text, errtail[0]


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logagg", default="build/logagg")
    ap.add_argument("--bin", default="build/bench")
    ap.add_argument("--gb", type=float, default=float(os.environ.get("LOGAGG_BENCH_GB", "1")))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("LOGAGG_BENCH_RUNS", "5")))
    ap.add_argument("--data", default=str(HERE.parent / "data"))
    ap.add_argument("--skip-python", action="store_true", help="leave out the (slow) Python versions")
    a = ap.parse_args()

    data = Path(a.data)
    data.mkdir(parents=True, exist_ok=True)
    tag = f"{a.gb:g}g"
    log, truth = data / f"access-{tag}.log", data / f"access-{tag}.truth.json"
    if not (log.exists() and truth.exists()):
        print(f"generating {log} ({a.gb:g} GB, 1M Zipf clients, 15% IPv6) ...", file=sys.stderr)
        subprocess.run([f"{a.bin}/loggen", "--size", f"{a.gb}G", "--clients", "1000000", "--seed", "42",
                        "--truth", str(truth), "-o", str(log)], check=True)
    t = json.loads(truth.read_text())
    load_before = os.getloadavg()[0]

    out = data / "out"
    out.mkdir(exist_ok=True)
    py = "/usr/bin/python3"
    tools = [
        ("cat FILE >/dev/null", ["cat", str(log)], a.runs),
        ("C baseline (1 thread, read + table)", [f"{a.bin}/baseline", str(log)], a.runs),
        ("mawk '{c[$1]++}'", ["mawk", "{c[$1]++}", str(log)], max(1, a.runs // 2)),
    ]
    if not a.skip_python:
        tools += [
            ("lessons' Python (lesson.py)", [py, str(HERE / "lesson.py"), str(log)], 1),
            ("lesson.py + decode(errors='replace')", [py, str(HERE / "lesson_tolerant.py"), str(log)], 1),
        ]
    tools.append(("logagg", [a.logagg, "--json", str(out / "logagg.json"), str(log)], a.runs))

    rows = []
    for name, argv, runs in tools:
        subprocess.run(["cat", str(log)], stdout=subprocess.DEVNULL, check=True)  # into the page cache
        res = [measure(argv, None if argv[0] == "cat" else out / f"run{len(rows)}.txt") for _ in range(runs)]
        wall = statistics.median(r[0] for r in res)
        rss = statistics.median(r[1] for r in res)
        rc, text, err = res[-1][2], res[-1][3], res[-1][4]
        if rc != 0:
            note = f"FAILED (exit {rc}): {err[:70]}"
        elif "PV:" in text:
            kv = dict(l.split(": ") for l in text.splitlines() if ": " in l)
            note = f"PV {int(kv['PV']):,} UV {int(kv['UV']):,}"
        else:
            note = ""
        rows.append([name, wall, rss, runs, note])
        print(f"  {name}: {wall:.2f} s, {human(rss)}", file=sys.stderr)

    j = json.loads((out / "logagg.json").read_text())
    ok = j["requests"] == t["requests"] and j["clients"] == t["clients"] and j["exact"]
    rows[-1][4] = f"PV {j['requests']:,} UV {j['clients']:,} " + ("= truth" if ok else "!= TRUTH")
    lw, lr = rows[-1][1], rows[-1][2]
    cw, cr = rows[0][1], rows[0][2]

    print(f"\nlogagg benchmark: {log.name}, {t['bytes'] / 1e9:.2f} GB, {t['lines']:,} lines, "
          f"truth PV {t['requests']:,} UV {t['clients']:,} ({t['malformed']:,} malformed lines)")
    print(f"{os.cpu_count()} cores, page-cached; median of N runs; RSS = peak resident incl. file-backed pages; "
          f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (other jobs add noise)\n")
    w = max(len(r[0]) for r in rows)
    print(f"{'tool':<{w}}  {'N':>2}  {'wall':>8}  {'peak RSS':>9}  {'wall/logagg':>11}  {'RSS/logagg':>10}  {'wall/cat':>8}  result")
    for name, wall, rss, runs, note in rows:
        print(f"{name:<{w}}  {runs:>2}  {wall:>7.2f}s  {human(rss):>9}  {wall / lw:>10.2f}x  {rss / lr:>9.2f}x  "
              f"{wall / cw:>7.2f}x  {note}")
    scale = 10 / (t["bytes"] / 1e9)
    print(f"\ngoal for 10 GB: <= 2.5 s and <= 64 MB. logagg here: {lw:.2f} s, {human(lr)}"
          + (f" (x{scale:.1f} size: ~{lw * scale:.1f} s if linear)" if abs(scale - 1) > 0.05 else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
