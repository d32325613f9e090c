"""The in-process API (issue: memlens from inside Python): tracemalloc's functions and classes, case
by case against the standard library's own module in the same interpreter; marks and diffs between
them; Tracker regions; rss(); and random arguments thrown at every entry point."""
import json
import os
import re
import subprocess

import pytest

from conftest import LIBDIR, ROOT, _san_env

LESSONS = os.path.join(ROOT, "examples", "lessons")


def _masked(text, path):
    return re.sub(r"\d+(\.\d+)?", "#", text.replace(path, "PROG"))


@pytest.mark.parametrize("example", sorted(f for f in os.listdir(LESSONS) if f.startswith("tracemalloc_")))
def test_lessons_run_unchanged(example, python, tmp_path):
    """Each lesson example, with `import tracemalloc` made `import memlens as tracemalloc`, prints what
    the standard module prints: the same lines, the same top site, sizes within 1%."""
    src = open(os.path.join(LESSONS, example), encoding="utf-8").read()
    outs = []
    for name, text in (("std.py", src), ("ml.py", src.replace("import tracemalloc", "import memlens as tracemalloc"))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        env = dict(_san_env(), PYTHONPATH=LIBDIR, PYTHONIOENCODING="utf-8")
        proc = subprocess.run([python, str(path)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout.replace(str(path), "PROG"))
    std, ml = (o.splitlines() for o in outs)
    top = 1 if len(std) > 1 and std[0].startswith("[") and "]" == std[0][-1] else 0  # after a "[ title ]"
    assert len(ml) > top
    for i in range(top + 1):
        assert _masked(std[i], "") == _masked(ml[i], "")

    def size(line):
        m = re.search(r"size=([\d.]+)", line)
        return float(m.group(1) if m else re.findall(r"[\d.]+", line)[-1])
    assert size(ml[top]) == pytest.approx(size(std[top]), rel=0.01)


API_CASES = r"""
import sys, tracemalloc as std
import memlens
results = {}

def outcome(fn, *args):
    try:
        r = fn(*args)
        return ["ok", repr(r)]
    except Exception as e:
        return ["raise", type(e).__name__]

# not tracing: both modules alike
for mod, key in ((std, "std"), (memlens, "ml")):
    results[key] = {
        "is_tracing": mod.is_tracing(),
        "traced": mod.get_traced_memory(),
        "limit": mod.get_traceback_limit(),
        "objtb": mod.get_object_traceback(object()),
        "snapshot": outcome(mod.take_snapshot),
        "clear": outcome(mod.clear_traces),
        "reset": outcome(getattr(mod, "reset_peak", lambda: None)),  # (3.9+ in tracemalloc)
        "stop": outcome(mod.stop),
        "start_bad": [outcome(mod.start, a)[1] for a in (0, -1, 65536, "x", 1.5, None, 2**70)],
    }
print(JSON(results))
"""


def test_not_tracing_and_bad_arguments_match_tracemalloc(inproc):
    out = inproc(API_CASES.replace("JSON", "__import__('json').dumps"))
    r = json.loads(out.stdout)
    assert r["ml"] == r["std"]
    assert r["ml"]["snapshot"] == ["raise", "RuntimeError"]
    bad = r["ml"]["start_bad"]  # (65536 frames is too many from 3.9 on, not for 3.8)
    assert bad[:2] + bad[3:] == ["ValueError", "ValueError", "TypeError", "TypeError", "TypeError", "OverflowError"]


def test_exact_sizes_lines_and_peak(inproc):
    out = inproc("""
        import memlens as tracemalloc
        tracemalloc.start(3)
        base = tracemalloc.get_traced_memory()[0]
        blob = bytearray(10 * 1024 * 1024)                       # line 5
        cur, peak = tracemalloc.get_traced_memory()
        print("grew", cur - base)
        snap = tracemalloc.take_snapshot()
        top = snap.statistics("lineno")[0]
        print("top", top.traceback[0].filename.endswith("prog.py"), top.traceback[0].lineno, top.size, top.count)
        del blob
        cur2, peak2 = tracemalloc.get_traced_memory()
        print("freed", cur - cur2, peak2 >= cur)
        tracemalloc.reset_peak()
        cur3, peak3 = tracemalloc.get_traced_memory()
        print("reset", peak3 - cur3 < 1024, peak3 < peak2)
        print("limit", tracemalloc.get_traceback_limit(), snap.traceback_limit)
        print("mem", tracemalloc.get_tracemalloc_memory() > 0)
        tracemalloc.stop()
        print("stopped", tracemalloc.is_tracing(), tracemalloc.get_traced_memory())
    """)
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    # other objects come and go between the two readings (the tuples read, the interpreter's caches)
    assert abs(int(lines["grew"]) - 10 * 1024 * 1024) < 64 * 1024
    assert lines["top"].split()[:2] == ["True", "5"]
    assert 10 * 1024 * 1024 <= int(lines["top"].split()[2]) < 10 * 1024 * 1024 + 1024
    assert abs(int(lines["freed"].split()[0]) - 10 * 1024 * 1024) < 64 * 1024
    assert lines["freed"].split()[1] == "True"
    assert lines["reset"] == "True True"
    assert lines["limit"] == "3 3"
    assert lines["mem"] == "True"
    assert lines["stopped"] == "False (0, 0)"


def test_object_traceback_matches_tracemalloc(inproc):
    """get_object_traceback for plain, GC-tracked, dict-holding (a pre-header from 3.11) and slotted
    objects: the frames the standard module gives for objects made by the same lines (where it finds
    them: Python 3.11's misses objects with a managed dict), and always found by memlens."""
    out = inproc("""
        import sys
        class Plain:
            pass
        class Slotted:
            __slots__ = ("a",)
        def make(n):
            return [bytearray(100),          # line 8
                    Plain(),                 # line 9
                    Slotted(),               # line 10
                    {1, 2, n},               # line 11
                    "x" * n]                 # line 12
        import tracemalloc as std
        std.start(2)
        a = make(1000)
        got_std = [[(f.filename[-7:], f.lineno) for f in tb] if tb else None for tb in map(std.get_object_traceback, a)]
        std.stop()
        import memlens
        memlens.start(2)
        b = make(1000)
        got_ml = [[(f.filename[-7:], f.lineno) for f in memlens.get_object_traceback(o)] for o in b]
        print(all(s is None or s[-1] == m[-1] for s, m in zip(got_std, got_ml)), sum(s is not None for s in got_std))
        print([m[-1][1] for m in got_ml], [m[0][1] for m in got_ml])
        print(memlens.get_object_traceback(sys))  # allocated before tracing: None
        tb = memlens.get_object_traceback(b[1])
        print(type(tb).__module__, type(tb).__name__, tb.format()[-2].strip())
    """)
    same, lines, before, fmt = out.stdout.splitlines()
    assert same.split()[0] == "True" and int(same.split()[1]) >= 4
    assert lines == "[8, 9, 10, 11, 12] [20, 20, 20, 20, 20]"
    assert before == "None"
    assert fmt.startswith('tracemalloc Traceback File "') and fmt.endswith('prog.py", line 9'), fmt


def test_snapshot_methods_match_tracemalloc_on_the_same_traces(inproc):
    """statistics / compare_to / filter_traces / traces / dump / load: memlens.Snapshot built from
    the same trace tuples as a tracemalloc.Snapshot prints exactly the same, for every key type and
    cumulative mode; and a live memlens snapshot regrouped by the standard module agrees with it."""
    out = inproc("""
        import os, sys, random, tracemalloc as std
        import memlens
        rnd = random.Random(7)
        files = ["a.py", "b.py", "<frozen x>", "dir/c.py"]
        frames_pool = [tuple((rnd.choice(files), rnd.randint(0, 9)) for _ in range(rnd.randint(1, 4)))
                       for _ in range(60)]
        def traces(n):
            out = []
            for _ in range(n):
                fr = rnd.choice(frames_pool)
                t = (rnd.choice([0, 0, 0, 7]), rnd.randint(1, 5000), fr)
                out.append(t + (len(fr) + rnd.randint(0, 2),) if sys.version_info >= (3, 9) else t)
            return out
        t1, t2 = traces(3000), traces(2500)
        S = lambda mod, t: mod.Snapshot(t, 4)
        bad = 0
        checks = 0
        for key in ("lineno", "filename", "traceback"):
            for cum in (False, True):
                if cum and key == "traceback":
                    for mod in (std, memlens):
                        try:
                            S(mod, t1).statistics(key, cum); bad += 1
                        except ValueError:
                            pass
                    continue
                a = [str(s) for s in S(std, t1).statistics(key, cum)]
                b = [str(s) for s in S(memlens, t1).statistics(key, cum)]
                c = [str(s) for s in S(std, t2).compare_to(S(std, t1), key, cum)]
                d = [str(s) for s in S(memlens, t2).compare_to(S(memlens, t1), key, cum)]
                checks += 2
                bad += (a != b) + (c != d)
        for filters in ([std.Filter(False, "a.py")], [std.Filter(True, "b.py", 3)], [std.Filter(True, "*c.py", all_frames=True)],
                        [std.DomainFilter(False, 7)], [std.DomainFilter(True, 7), std.Filter(False, "<frozen*")], []):
            a = S(std, t1).filter_traces(filters)
            b = S(memlens, t1).filter_traces(filters)
            checks += 2
            bad += (sorted(a.traces._traces) != sorted(b.traces._traces))
            bad += [str(s) for s in a.statistics("traceback")] != [str(s) for s in b.statistics("traceback")]
        try:
            S(memlens, t1).filter_traces(3); bad += 1
        except TypeError:
            pass
        for k in ("foo", 1):
            try:
                S(memlens, t1).statistics(k); bad += 1
            except ValueError:
                pass
        print("synthetic", checks, bad)

        memlens.start(5)
        keep = [bytearray(i % 300 + 1) for i in range(20000)]
        live = memlens.take_snapshot()
        regrouped = std.Snapshot(live.traces._traces, live.traceback_limit)
        same = all([str(s) for s in live.statistics(k, c)] == [str(s) for s in regrouped.statistics(k, c)]
                   for k, c in (("lineno", False), ("lineno", True), ("filename", True), ("traceback", False)))
        print("live", same, len(live.traces) == len(regrouped.traces), len(live.traces) >= 20000)
        live.dump("m.pickle")
        back_std = std.Snapshot.load("m.pickle")
        back_ml = memlens.Snapshot.load("m.pickle")
        print("dump", type(back_std).__module__, type(back_ml).__module__,
              [str(s) for s in back_std.statistics("lineno")] == [str(s) for s in back_ml.statistics("lineno")]
              == [str(s) for s in live.statistics("lineno")])
        regrouped.dump("s.pickle")
        print("load", [str(s) for s in memlens.Snapshot.load("s.pickle").statistics("traceback")]
              == [str(s) for s in regrouped.statistics("traceback")])
        t = live.traces[0]
        print("trace", type(t).__name__, type(t.traceback).__name__, t.domain, t.size > 0)
    """)
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    checks, bad = map(int, lines["synthetic"].split())
    assert checks == 22 and bad == 0
    assert lines["live"] == "True True True"
    assert lines["dump"] == "tracemalloc memlens.tracemalloc True"
    assert lines["load"] == "True"
    assert lines["trace"] == "Trace Traceback 0 True"


def test_compare_to_and_clear_traces(inproc):
    out = inproc("""
        import memlens as tracemalloc
        tracemalloc.start()
        s1 = tracemalloc.take_snapshot()
        grown = [bytes(1024 * 1024)]                              # line 5
        s2 = tracemalloc.take_snapshot()
        d = [x for x in s2.compare_to(s1, "lineno") if x.traceback[0].lineno == 5 and x.traceback[0].filename.endswith("prog.py")][0]
        print("diff", d.size_diff >= 1024 * 1024, d.size_diff < 1024 * 1024 + 200, d.count_diff)
        tracemalloc.clear_traces()
        cur, peak = tracemalloc.get_traced_memory()
        print("cleared", cur < 4096, peak < 4096)
        del grown                                                 # a free of a forgotten block
        s3 = tracemalloc.take_snapshot()
        print("after", any(st.traceback[0].lineno == 5 for st in s3.statistics("lineno")
                           if st.traceback[0].filename.endswith("prog.py")))
    """)
    assert out.stdout.splitlines() == ["diff True True 2", "cleared True True", "after False"]


def test_start_stop_start_and_threads(inproc):
    out = inproc("""
        import threading
        import memlens as tracemalloc
        for round in range(3):
            tracemalloc.start()
            data = []
            def work():
                data.append(bytearray(1 << 20))
            ts = [threading.Thread(target=work) for _ in range(4)]
            [t.start() for t in ts]; [t.join() for t in ts]
            top = [s for s in tracemalloc.take_snapshot().statistics("lineno") if s.traceback[0].lineno == 8]
            print(round, top[0].count >= 8, 4 << 20 < top[0].size < (4 << 20) + 4096)
            tracemalloc.stop()
    """)
    assert out.stdout.splitlines() == ["0 True True", "1 True True", "2 True True"]


def test_marks_and_diff_between_them(trace, memlens):
    t = trace("""
        import memlens
        keep = []
        memlens.mark("before")
        keep.append(bytearray(5 * 1024 * 1024))      # line 5
        memlens.mark("loaded")
        for i in range(1000):
            keep.append(bytes(1000))                  # line 8
        memlens.mark("grown")
        try:
            memlens.mark(3)
        except TypeError as e:
            print("TypeError", e)
    """)
    assert t.returncode == 0, t.stderr
    assert t.stdout.startswith("TypeError mark() argument must be str")
    marks = t.capture.marks  # the reference reader of docs/FORMAT.md
    assert [m[2] for m in marks] == ["before", "loaded", "grown"]
    assert marks[1][1] - marks[0][1] >= 5 * 1024 * 1024 and marks[0][0] <= marks[1][0] <= marks[2][0]
    summary = memlens("summary", t.path).stdout
    assert re.search(r"marks\s+\S+ \S+\s+[\d.]+ KiB  before\n\s+\S+ \S+\s+5\.0 MiB  loaded\n\s+\S+ \S+\s+6\.0 MiB  grown", summary), summary
    d = memlens("diff", t.path, "--from", "before", "--to", "loaded")
    assert d.returncode == 0, d.stderr
    first = d.stdout.split("\n\n", 1)[1].splitlines()[1]
    assert re.match(r"\s*0 B\s+5\.0 MiB\s+\+5\.0 MiB\s+5\.0 MiB\s+.*prog\.py:5 in <module>", first), d.stdout
    d = memlens("diff", t.path, "--from", "loaded", "--to", "grown")
    first = d.stdout.split("\n\n", 1)[1].splitlines()[1]
    assert re.match(r"\s*0 B\s+1017\.\d KiB\s+\+1017\.\d KiB\s+.*prog\.py:8 in <module>", first), d.stdout
    d = memlens("diff", t.path, "--from", "grown")  # to the end of the run
    assert d.returncode == 0 and "at the end" in d.stdout
    js = json.loads(memlens("export", t.path, "--format", "json", "-o", "-").stdout)
    assert [m["label"] for m in js["marks"]] == ["before", "loaded", "grown"]
    assert js["marks"][1]["heap_bytes"] - js["marks"][0]["heap_bytes"] >= 5 * 1024 * 1024
    page = memlens("report", t.path, "-o", "-").stdout
    assert '"marks":[[' in page and '"grown"]]' in page  # drawn on the timeline
    bad = memlens("diff", t.path, "--from", "nope")
    assert bad.returncode == 1 and "no mark named 'nope'" in bad.stderr
    bad = memlens("diff", t.path, "--to", "grown")
    assert bad.returncode == 2 and "--to needs --from" in bad.stderr


def test_tracker_region(inproc, tmp_path, memlens):
    out = inproc("""
        import memlens
        before = bytearray(3 * 1024 * 1024)            # not in the region
        with memlens.Tracker("region.mlens") as t:
            inside = bytearray(10 * 1024 * 1024)       # line 5
            try:
                with memlens.Tracker("other.mlens"):
                    pass
            except RuntimeError as e:
                print("nested:", e)
        print("tracing after:", memlens.is_tracing())
        try:
            with memlens.Tracker("/nonexistent/dir/x.mlens"):
                pass
        except OSError as e:
            print("OSError")
    """)
    assert out.stdout.splitlines() == ["nested: memlens is already tracing this process", "tracing after: False", "OSError"]
    s = memlens("summary", tmp_path / "region.mlens")
    assert s.returncode == 0, s.stderr
    assert re.search(r"peak heap\s+10\.0 MiB", s.stdout), s.stdout
    assert re.search(r"10\.0 MiB\s+\S*prog\.py:5 in <module>", s.stdout), s.stdout


def test_rss_like_psutil(inproc):
    out = inproc("""
        import os, memlens
        r = memlens.rss()
        pages = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        print(isinstance(r, int), abs(r - pages) < 4 << 20, r.anon + r.file + r.shmem == r, r.anon > 0, r.file > 0)
        big = bytearray(50 << 20)
        for i in range(0, len(big), 4096):
            big[i] = 1
        r2 = memlens.rss()
        print(r2.anon - r.anon >= 49 << 20, repr(r2).startswith("RSS("))
    """)
    assert out.stdout.splitlines() == ["True True True True True", "True True"]


FUZZ = r"""
import random, sys, memlens, tracemalloc as std
from memlens import _memlens
rnd = random.Random(int(sys.argv[1]))
values = [None, 0, 1, -1, 2**31, 2**64, 1.5, float("nan"), "", "x" * 10000, "\udcff", b"", b"\x00" * 12,
          [], [1, 2], [(("a", 1),), 1], {}, object(), memlens, std.Filter(True, "x"), (), ((("f", 1),), 1, 2, 3)]
fns = [getattr(memlens, n) for n in ("start", "stop", "is_tracing", "clear_traces", "get_traced_memory",
       "reset_peak", "get_traceback_limit", "get_object_traceback", "get_tracemalloc_memory", "take_snapshot",
       "mark", "rss")]
fns += [getattr(_memlens, n) for n in dir(_memlens) if callable(getattr(_memlens, n))
        and n not in ("stop", "start_capture")]
fns += [lambda *a: memlens.Snapshot(*a).statistics("lineno"), lambda *a: memlens.Tracker(*a)]
kinds = set()
for i in range(4000):
    fn = rnd.choice(fns)
    args = [rnd.choice(values) for _ in range(rnd.randint(0, 4))]
    try:
        fn(*args)
        if rnd.random() < 0.1:
            memlens.start(rnd.randint(1, 30))
            snap = memlens.take_snapshot()
            snap.statistics(rnd.choice(["lineno", "filename", "traceback"]))
            snap.filter_traces([std.Filter(rnd.random() < 0.5, "*")])
    except (TypeError, ValueError, OverflowError, RuntimeError, OSError, SystemError, AttributeError, IndexError, KeyError) as e:
        kinds.add(type(e).__name__)
print("survived", sorted(kinds))
"""


@pytest.mark.parametrize("seed", [1, 2])
def test_random_arguments_never_crash(inproc, seed):
    out = inproc(FUZZ, seed, timeout=300)
    assert out.stdout.startswith("survived"), out.stdout + out.stderr
    assert "SystemError" not in out.stdout


def test_api_under_memlens_run(trace, memlens):
    """Under `memlens run` the API reads the run's tracer; stop() hides the traces from the API but
    the capture goes on to the end."""
    t = trace("""
        import memlens as tracemalloc
        print("tracing", tracemalloc.is_tracing())
        tracemalloc.start()
        data = [bytearray(1000) for _ in range(1000)]             # line 5
        top = [s for s in tracemalloc.take_snapshot().statistics("lineno")
               if s.traceback[0].filename.endswith("prog.py")][0]
        print("top", top.traceback[0].lineno, 2000 <= top.count <= 2003, 1000 * 1000 < top.size < 1000 * 1100)
        tracemalloc.stop()
        print("after stop", tracemalloc.is_tracing(), tracemalloc.get_traced_memory())
        late = bytearray(7 * 1024 * 1024)                          # line 11: still in the capture
    """)
    assert t.returncode == 0, t.stderr
    assert t.stdout.splitlines() == ["tracing True", "top 5 True True", "after stop False (0, 0)"]
    s = memlens("summary", t.path).stdout
    assert re.search(r"7\.0 MiB\s+\S*prog\.py:11 in <module>", s), s
    assert t.capture.complete


def test_run_lines(trace, memlens, tmp_path):
    """memlens run --lines FUNC: the capture as usual, and memory per line of FUNC at exit."""
    t = trace("""
        def build(n):
            a = [0] * n                 # line 3: 8 MB of pointers
            b = [str(i) for i in range(n // 10)]
            del a
            return b

        keep = build(1_000_000)
        print("done", len(keep))
    """, opts=["--lines", "build"])
    assert t.returncode == 0, t.stderr
    assert t.stdout.startswith("done 100000\n")
    rows = {int(line.split()[0]): line for line in t.stdout.splitlines() if re.match(r"\s+\d+\s", line)}
    assert re.match(r"\s+3\s+7\.6 MiB\s+7\.6 MiB\s+1\s", rows[3]), t.stdout
    assert re.match(r"\s+5\s+[\d.]+ MiB\s+-7\.6 MiB\s+1\s", rows[5]), t.stdout
    s = memlens("summary", t.path).stdout
    assert re.search(r"7\.6 MiB\s+\S*prog\.py:3 in build", s), s
    bad = memlens("run", "--lines", "f", "-m", "json.tool")
    assert bad.returncode == 2 and "--lines works with a script" in bad.stderr


def test_start_while_a_profiler_counts(inproc):
    """The profilers start the tracker counting only (no stacks); memlens.start() inside turns stacks
    on, and the snapshot names the line."""
    out = inproc("""
        import memlens

        @memlens.profile
        def f():
            memlens.start()
            data = bytearray(1 << 20)                                  # line 7
            return [s for s in memlens.take_snapshot().statistics("lineno") if s.traceback[0].lineno == 7]

        r = f()
        print("stacks", len(r) == 1 and 1 << 20 <= r[0].size < (1 << 20) + 1024)
    """)
    assert out.stdout.splitlines()[0] == "stacks True", out.stdout
