"""memlens.leaks — find the leak, name its kind, show what keeps it alive.

The lessons' flow — observe growth, locate with tracemalloc, compare snapshots, follow reference chains
with objgraph, fix, verify — in one step:

    from memlens import leaks
    with leaks.LeakCheck() as check:        # or check = LeakCheck().start() ... check.stop()
        for request in requests:
            handle(request)
            check.snapshot()                # or memlens.mark("..."), or every `interval` seconds
    report = check.report                   # Report: .findings, .to_json(), .text(), .html()

or from the command line: ``memlens leaks run service.py [args]`` (``python -m memlens.leaks``).

How it decides (the analysis itself: memlens.leakanalysis):
  1. snapshots of the traced heap (memlens's tracer when built with it, else tracemalloc), per
     allocation line, at each point: every `interval` seconds, at each memlens.mark(), after each
     call of the functions named with --around, and at the end;
  2. a line *grows* when its live bytes rise over the run — in most intervals, in the second half too,
     ending near their highest, by at least min_growth bytes: a cache that fills up then stays, or
     memory that comes and goes, does not;
  3. a census of the heap by type (memlens.objects) at the first and last points says which types
     grew; objects of those types whose allocation line is a growing line are the samples;
  4. each sample's reference chain back to a root (one heap walk for all) names the holder and the
     leak's kind (memlens.roots): module global, unbounded cache, mutable default argument, closure
     cell, class attribute, running frame's local, reference cycle, unclosed resource, held from C;
  5. beside it, the gc: collections and pauses per generation, and the lines whose objects only the
     cyclic gc frees (memlens.gcstats).

Cost: a snapshot per point (tracemalloc: O(live blocks)); a heap walk at points where it costs less
than a tenth of the time since the previous one; the analysis at the end: two walks. Memory: per point,
one number pair per allocation line (bounded: points are thinned to MAX_POINTS).
"""
import os
import sys
import threading
import time

import memlens
from memlens import _runner, gcstats, objects
from memlens.leakanalysis import analyse, newest, own_file

__all__ = ["LeakCheck", "Report", "main"]

MAX_POINTS = 200


def _tracer(name=None):
    """The tracemalloc-compatible module to trace with: memlens's tracer when it has the snapshot API
    (and is not asked otherwise), else the standard library's tracemalloc."""
    if name != "tracemalloc":
        try:
            import memlens.tracemalloc as mtm  # the module itself: no lazy lookup per call
            return mtm
        except ImportError:
            pass
        if name == "memlens":
            raise RuntimeError("this memlens build has no in-process tracer (memlens.take_snapshot)")
    import tracemalloc
    return tracemalloc


class _Point:
    __slots__ = ("t", "label", "lines", "traced", "census", "garbage")

    def __init__(self, t, label):
        self.t, self.label = t, label
        self.lines = {}      # (file, line) -> [bytes, blocks]
        self.traced = 0
        self.census = None   # {type: (count, bytes)} when the heap was walked here
        self.garbage = None  # {(file, line, function): [objects, bytes]}


class LeakCheck:
    """Snapshots over a run and, at stop(), the leak report (see the module's doc).

    interval     seconds between timed snapshots (0 or None: only snapshot()/marks/around)
    nframe       frames kept per allocation (the stack shown for each site)
    min_growth   bytes a line must grow by to be reported
    max_findings at most this many growing sites are explained
    samples      objects whose chains are shown per finding
    tracer       "memlens", "tracemalloc" or None (memlens when available)
    """

    def __init__(self, interval=1.0, nframe=16, min_growth=64 * 1024, max_findings=10, samples=2, tracer=None):
        self.interval = interval or 0
        self.nframe = nframe
        self.min_growth = min_growth
        self.max_findings = max_findings
        self.samples = samples
        self.tm = _tracer(tracer)
        self.points = []
        self.report = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = None
        self._started_tracing = False
        self._walk_cost = 0.0
        self._last_walk = None
        self._gc = None
        self._t0 = None
        self._pymalloc_before = None
        self._tracing_tm = None
        self._around = []
        self._types = []

    # ---- running ----

    def start(self):
        gcstats.watch_arenas()
        self._pymalloc_before = gcstats.pymalloc()  # before the tracer hides it
        if not self.tm.is_tracing():
            self.tm.start(self.nframe)
            self._started_tracing = True
        meter = None if self.tm.__name__ == "memlens.tracemalloc" else self.tm.get_traced_memory
        self._gc = gcstats.GCWatch(meter).start()
        self._t0 = time.monotonic()
        self.snapshot("start", walk=True)
        if hasattr(memlens, "mark_callbacks"):
            memlens.mark_callbacks.append(self._on_mark)
        if self.interval > 0:
            self._thread = threading.Thread(target=self._tick, name="memlens-leaks", daemon=True)
            self._thread.start()
        return self

    def _tick(self):
        while not self._stop.wait(self.interval):
            try:
                self.snapshot("timer")
            except Exception:  # the program comes first: a failed snapshot is skipped
                pass

    def _on_mark(self, label):
        self.snapshot(label)

    def snapshot(self, label=None, walk=None):
        """Take a point now. The heap is walked (census, cyclic garbage) when walk is True, or when
        the last walk cost less than a tenth of the time since."""
        with self._lock:
            if self.report is not None or not self.tm.is_tracing():
                return
            now = time.monotonic()
            p = _Point(now - self._t0, label)
            snap = self.tm.take_snapshot()
            for stat in snap.statistics("traceback"):
                fr = newest(stat.traceback)
                if own_file(fr.filename):
                    continue
                key = (fr.filename, fr.lineno)
                row = p.lines.get(key)
                if row is None:
                    p.lines[key] = [stat.size, stat.count, stat.traceback, stat.size]
                else:
                    row[0] += stat.size
                    row[1] += stat.count
                    if stat.size > row[3]:
                        row[2], row[3] = stat.traceback, stat.size
            del snap
            p.traced = self.tm.get_traced_memory()[0]
            if walk or (walk is None and (self._last_walk is None or
                                          self._walk_cost < 0.1 * (now - self._last_walk))):
                self._walk(p)
                self._walk_cost = time.monotonic() - now
                self._last_walk = now
            self.points.append(p)
            if len(self.points) > MAX_POINTS:  # thin the middle, keep the first and the last
                del self.points[1:-1:2]

    def _walk(self, p):
        res = objects._query(census=True, garbage=True, garbage_limit=2000, ignore=self._own_objects())
        p.census = {objects.type_name(t, False): (n, b) for t, n, b, _tr in res["census"]}  # names: no types
        self._types[:] = [row[0] for row in res["census"]]  # the last walk's types, for the analysis
        g = res["garbage"]
        del res
        by_site = {}
        for o, size in zip(g["sample"], g["sizes"]):
            tb = self.tm.get_object_traceback(o)
            if tb is None:
                continue
            fr = newest(tb)
            if own_file(fr.filename):
                continue
            key = (fr.filename, fr.lineno, "")
            row = by_site.setdefault(key, [0, 0])
            row[0] += 1
            row[1] += size
        scale = g["count"] / max(1, len(g["sample"]))  # the sample is a stride through all garbage
        p.garbage = {k: [v[0] * scale, v[1] * scale] for k, v in by_site.items()}
        g.clear()

    def _own_objects(self):
        """This check's own containers: not referrers of anything the program made."""
        return [self, self.__dict__, self.points, self._around, self._types]

    def stop(self):
        """Final snapshot, analysis, tracing stopped (if this check started it). Returns the Report."""
        if self.report is not None:
            return self.report
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if hasattr(memlens, "mark_callbacks") and self._on_mark in memlens.mark_callbacks:
            memlens.mark_callbacks.remove(self._on_mark)
        for undo in self._around:
            undo()
        try:
            self.snapshot("end", walk=True)
            with self._lock:
                self.report = Report(analyse(self))
        finally:
            self._types.clear()
            self._gc.stop()
            if self._started_tracing:
                self.tm.stop()
        return self.report

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- --around module:function ----

    def around(self, spec):
        """Snapshot after each outermost call of module:function (a dotted qualname for methods).
        The function is wrapped where it is defined when it is first called: a profile hook watches
        for that first call only."""
        module, _, qualname = spec.partition(":")
        if not module or not qualname:
            raise ValueError("--around wants module:function, not %r" % spec)
        _Around(self, module, qualname).install()


class _Around:
    """Wraps module:function on its first call, found by a profile hook that is removed once done."""

    def __init__(self, check, module, qualname):
        self.check, self.module, self.qualname = check, module, qualname
        self.name = qualname.rsplit(".", 1)[-1]
        self.depth = 0

    def install(self):
        sys.setprofile(self._hook)
        threading.setprofile(self._hook)
        self.check._around.append(self._remove)

    def _remove(self):
        if sys.getprofile() == self._hook:
            sys.setprofile(None)
        threading.setprofile(None)

    def _matches(self, frame):
        mod = frame.f_globals.get("__name__")
        if frame.f_code.co_name != self.name:
            return False
        if mod == self.module:
            return True
        main = frame.f_globals.get("__file__")
        return mod == "__main__" and main and os.path.splitext(os.path.basename(main))[0] == self.module

    def _hook(self, frame, event, arg):
        if event != "call" or not self._matches(frame):
            return
        self._remove()
        # wrap the function where its name is looked up: the module's globals, or the class
        holder = frame.f_globals
        parts = self.qualname.split(".")
        for p in parts[:-1]:
            holder = holder.get(p) if isinstance(holder, dict) else getattr(holder, p, None)
        fn = holder.get(parts[-1]) if isinstance(holder, dict) else getattr(holder, parts[-1], None)
        if fn is None or getattr(fn, "__code__", None) is not frame.f_code:
            return
        check, state = self.check, self

        def wrapper(*args, **kw):
            state.depth += 1
            try:
                return fn(*args, **kw)
            finally:
                state.depth -= 1
                if state.depth == 0:
                    check.snapshot("after %s" % fn.__qualname__)

        wrapper.__wrapped__ = fn
        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(wrapper, attr, getattr(fn, attr, None))
        if isinstance(holder, dict):
            holder[parts[-1]] = wrapper
        else:
            setattr(holder, parts[-1], wrapper)
        # this first call is already running: its end is caught by a trace on its frame
        prev = frame.f_trace

        def on_return(fr, ev, a):
            if ev == "return" and fr is frame:
                check.snapshot("after %s" % fn.__qualname__)
            return prev(fr, ev, a) if prev else on_return
        frame.f_trace = on_return
        frame.f_trace_lines = False
        if sys.gettrace() is None:
            sys.settrace(lambda *a: None)  # frame traces run only while some trace function is set
            check._around.append(lambda: sys.settrace(None))


class Report:
    """The result of a LeakCheck: .data (the JSON-ready dict), .findings, .status, and renderers."""

    def __init__(self, data):
        self.data = data

    findings = property(lambda self: self.data["findings"])
    status = property(lambda self: self.data["status"])

    def to_json(self, indent=1):
        import json
        return json.dumps(self.data, indent=indent, default=str)

    def text(self):
        from memlens import leakreport
        return leakreport.text(self.data)

    def html(self):
        from memlens import leakreport
        return leakreport.html(self.data)


# ---- the runner: python -m memlens.leaks [options] script.py [args] ----

def _write(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


USAGE = """usage: memlens leaks run [options] [--] script.py [args...]
   (python3 -m memlens.leaks [options] [--] script.py [args...])

options: --interval S, --around MODULE:FUNCTION (repeatable), --json FILE, --html FILE, --text FILE,
         --min-growth BYTES, --max-findings N, --samples N, --nframe N, --tracer memlens|tracemalloc
(memlens leaks run --help describes them)
"""
_VALUED = ("--interval", "--around", "--json", "--html", "--text", "--status", "--min-growth", "--max-findings",
           "--samples", "--nframe", "--tracer")


def _parse(argv):
    given, prog = _runner.parse_options(argv, "leaks run", (), _VALUED, USAGE)
    o = {"interval": 1.0, "around": [], "nframe": 16, "min_growth": 64 * 1024, "max_findings": 10, "samples": 2,
         "tracer": None, "json": None, "html": None, "text": None, "status": None}
    numbers = {"--interval": float, "--nframe": int, "--min-growth": int, "--max-findings": int, "--samples": int}
    for name, val in given:
        key = name[2:].replace("-", "_")
        if name in numbers:
            try:
                o[key] = numbers[name](val)
                if o[key] < 0 or (name == "--nframe" and o[key] < 1):
                    raise ValueError
            except ValueError:
                _runner.die("leaks run", "%s needs a number >= %d, not '%s'" % (name, name == "--nframe", val))
        elif name == "--around":
            if ":" not in val:
                _runner.die("leaks run", "--around wants module:function, not '%s'" % val)
            o["around"].append(val)
        elif name == "--tracer" and val not in ("memlens", "tracemalloc"):
            _runner.die("leaks run", "--tracer wants memlens or tracemalloc, not '%s'" % val)
        else:
            o[key] = val
    return o, prog


def main(argv=None):
    """Runs the program as `python3 script.py args` would (memlens._runner: same __main__, argv,
    sys.path[0], exit status and tracebacks), under a LeakCheck, and writes the report files however
    it ends. Returns the program's exit status."""
    _runner.restore_environment()
    o, prog = _parse(sys.argv[1:] if argv is None else argv)
    code = _runner.compile_script(prog[0], "leaks run")
    try:
        check = LeakCheck(interval=o["interval"], nframe=o["nframe"], min_growth=o["min_growth"],
                          max_findings=o["max_findings"], samples=o["samples"], tracer=o["tracer"])
    except RuntimeError as e:
        _runner.die("leaks run", str(e))

    def start():
        check.start()
        for spec in o["around"]:
            check.around(spec)

    def finish(how):
        try:
            rep = check.stop()
            if how:
                rep.data["ended"] = how
            for key, render in (("json", rep.to_json), ("html", rep.html), ("text", rep.text)):
                if o[key]:
                    _write(o[key], render())
            if o["status"]:
                _write(o["status"], rep.status + "\n")
        except Exception as e:  # never hide the program's own outcome
            sys.stderr.write("memlens: leaks run: the report failed: %s: %s\n" % (type(e).__name__, e))

    return _runner.run(prog[0], prog, code, start, lambda: None, finish)


if __name__ == "__main__":
    sys.exit(main())
