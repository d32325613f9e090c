"""Function-level profile with memory beside time: `memlens profile`, and the Profile class.

    memlens profile [-o out.prof] [--format pstats|speedscope|folded|json] [-s cumtime] [-n 40]
                    [--no-memory] [--no-builtins] script.py [args...]

    with memlens.profiler.Profile() as p:
        work()
    p.print_stats("cumtime")            # the table
    p.dump_stats("out.prof")             # pstats.Stats("out.prof") loads it; snakeviz reads it

Per function: ncalls (total/primitive, as cProfile prints recursion), tottime, percall, cumtime,
percall, and with memory on, `allocated` (bytes allocated inside its calls, callees included, each
byte once under recursion, like cumtime) and `peak` (the most its calls held at once above their
starting level, callees included). The engine is in C (src/prof/funcprof.c); this module aggregates
its call tree and renders it.

Counting: a call is counted when a frame starts. Unlike cProfile, a generator's or coroutine's
resumptions are not extra calls: a generator that yields 1,000 values is 1 call, its time is the
time it ran (not the time it spent suspended), and the time is shown under the code that resumed it.
"""
import json
import marshal
import os
import sys
import tempfile

from memlens import _fmt, _memlens, _runner

COMMAND = "profile"

# sort key name -> (attribute, descending); cProfile's names are accepted too
SORT_KEYS = {
    "cumtime": ("cumtime", True), "cumulative": ("cumtime", True), "cum": ("cumtime", True),
    "tottime": ("tottime", True), "time": ("tottime", True),
    "ncalls": ("ncalls", True), "calls": ("ncalls", True), "pcalls": ("pcalls", True),
    "allocated": ("allocated", True), "alloc": ("allocated", True), "peak": ("peak", True),
    "net": ("net", True), "name": ("name", False), "filename": ("file", False), "file": ("file", False),
    "line": ("line", False), "stdname": ("label", False),
}
FORMATS = ("pstats", "speedscope", "folded", "json")


class FuncStats:
    """One function's totals."""
    __slots__ = ("key", "file", "line", "name", "qualname", "ncalls", "pcalls", "tottime", "cumtime",
                 "allocated", "self_allocated", "net", "peak", "callers")

    def __init__(self, key, qualname):
        self.key = key  # pstats' (file, line, name); ('~', 0, label) for C functions
        self.file, self.line, self.name = key
        self.qualname = qualname or self.name
        self.ncalls = self.pcalls = 0
        self.tottime = self.cumtime = 0.0
        self.allocated = self.self_allocated = self.net = self.peak = 0
        self.callers = {}  # caller key -> [pcalls, ncalls, tottime, cumtime]

    @property
    def label(self):
        if self.file == "~":
            return self.name
        return "%s:%d(%s)" % (self.file, self.line, self.qualname)


class Stats:
    """The aggregated profile: per function, plus the call tree for flame graphs."""

    def __init__(self, data):
        self.seconds = data["seconds"]
        self.memory = data["memory"]
        self.failed = data["failed"]
        funcs, nodes = data["funcs"], data["nodes"]
        self.frames = [None] + [(f[0], f[1], f[2]) for f in funcs[1:]]
        self.qualnames = [None] + [f[3] for f in funcs[1:]]
        self.nodes = nodes
        self.funcs = {}
        self._aggregate(nodes)

    def _aggregate(self, nodes):
        children = [[] for _ in nodes]
        for i in range(1, len(nodes)):
            children[nodes[i][0]].append(i)
        stats = [None] * len(self.frames)
        for i in range(1, len(self.frames)):
            stats[i] = FuncStats(self.frames[i], self.qualnames[i])
        on_path = [0] * len(self.frames)  # calls of each function open on the current path
        pairs = {}  # (caller func, callee func) -> open on the current path
        # iterative depth-first walk: (node, entering?)
        work = [(c, True) for c in reversed(children[0])]
        while work:
            i, entering = work.pop()
            parent, func, calls, total, self_time, alloc, net, peak = nodes[i]
            pfunc = nodes[parent][1] if parent else 0
            if not entering:
                on_path[func] -= 1
                if pfunc:
                    pairs[pfunc, func] -= 1
                continue
            s = stats[func]
            recursive = on_path[func] > 0
            s.ncalls += calls
            s.tottime += self_time
            s.self_allocated += alloc - sum(nodes[c][5] for c in children[i])
            s.peak = max(s.peak, peak)
            if not recursive:
                s.pcalls += calls
                s.cumtime += total
                s.allocated += alloc
                s.net += net
            if pfunc:
                edge = s.callers.setdefault(self.frames[pfunc], [0, 0, 0.0, 0.0])
                edge[1] += calls
                edge[2] += self_time
                if not pairs.get((pfunc, func)):
                    edge[0] += calls
                    edge[3] += total
                pairs[pfunc, func] = pairs.get((pfunc, func), 0) + 1
            on_path[func] += 1
            work.append((i, False))
            work.extend((c, True) for c in reversed(children[i]))
        self.funcs = {s.key: s for s in stats[1:] if s.ncalls or s.tottime}
        self.total_calls = sum(s.ncalls for s in self.funcs.values())
        self.prim_calls = sum(s.pcalls for s in self.funcs.values())
        self.total_allocated = sum(nodes[c][5] for c in children[0])

    # ---- outputs ----

    def sorted(self, sort="cumtime"):
        attr, desc = SORT_KEYS[sort]
        return sorted(self.funcs.values(), key=lambda s: getattr(s, attr), reverse=desc)

    def table(self, sort="cumtime", limit=40, title=None):
        """The terminal table (lines)."""
        out = []
        head = "%s calls (%s primitive) in %s" % (_fmt.count(self.total_calls), _fmt.count(self.prim_calls),
                                                  _fmt.duration(self.seconds))
        if self.memory:
            head += "; %s allocated" % _fmt.nbytes(self.total_allocated)
        out.append((title + ": " if title else "") + head)
        if self.failed:
            out.append("incomplete: %s" % self.failed)
        out.append("")
        header = ["ncalls", "tottime", "percall", "cumtime", "percall"]
        if self.memory:
            header += ["allocated", "peak"]
        header.append("filename:lineno(function)")
        rows = []
        funcs = self.sorted(sort)
        shown = funcs if not limit else funcs[:limit]
        for s in shown:
            nc = str(s.ncalls) if s.ncalls == s.pcalls else "%d/%d" % (s.ncalls, s.pcalls)
            row = [nc, _fmt.duration(s.tottime), _fmt.duration(s.tottime / s.ncalls) if s.ncalls else "",
                   _fmt.duration(s.cumtime), _fmt.duration(s.cumtime / s.pcalls) if s.pcalls else ""]
            if self.memory:
                row += [_fmt.nbytes(s.allocated), _fmt.nbytes(s.peak)]
            row.append(s.label)
            rows.append(row)
        out.extend(_fmt.table(header, rows))
        if len(funcs) > len(shown):
            out.append("(%d more functions; -n 0 shows all)" % (len(funcs) - len(shown)))
        return out

    def pstats_dict(self):
        """cProfile's marshalled layout: {(file, line, name): (cc, nc, tt, ct, {caller: (cc, nc, tt, ct)})}."""
        return {k: (s.pcalls, s.ncalls, s.tottime, s.cumtime,
                    {c: tuple(v) for c, v in s.callers.items()}) for k, s in self.funcs.items()}

    def _frame_name(self, f):
        file, line, name = self.frames[f]
        return name if file == "~" else "%s (%s:%d)" % (self.qualnames[f] or name, file, line)

    def _paths(self):
        """(node, path of func ids from the root) for every node, parents first."""
        paths = [()] * len(self.nodes)
        for i in range(1, len(self.nodes)):
            paths[i] = paths[self.nodes[i][0]] + (self.nodes[i][1],)
            yield i, paths[i]

    def folded(self):
        """Folded stacks ("a;b;c N"): self time in microseconds per call path (flamegraph.pl,
        speedscope, inferno read it)."""
        names = {}
        lines = []
        for i, path in self._paths():
            us = int(round(self.nodes[i][4] * 1e6))
            if us > 0:
                lines.append("%s %d\n" % (";".join(names.setdefault(f, self._frame_name(f).replace(";", "?"))
                                                   for f in path), us))
        return "".join(lines)

    def speedscope(self, name):
        """speedscope's file format: one sampled profile of self time (and one of allocated bytes)."""
        frames = []
        index = {}
        samples, weights = [], []
        for i, path in self._paths():
            for f in path:
                if f not in index:
                    index[f] = len(frames)
                    file, line, fname = self.frames[f]
                    frame = {"name": fname if file == "~" else (self.qualnames[f] or fname)}
                    if file != "~":
                        frame.update(file=file, line=line)
                    frames.append(frame)
            samples.append([index[f] for f in path])
            weights.append(self.nodes[i][4])
        profiles = [{"type": "sampled", "name": name + " (time)", "unit": "seconds", "startValue": 0,
                     "endValue": sum(weights), "samples": samples, "weights": weights}]
        if self.memory:
            self_alloc = self._self_alloc()
            profiles.append({"type": "sampled", "name": name + " (allocated)", "unit": "bytes", "startValue": 0,
                             "endValue": sum(self_alloc[1:]), "samples": samples, "weights": self_alloc[1:]})
        return {"$schema": "https://www.speedscope.app/file-format-schema.json", "shared": {"frames": frames},
                "profiles": profiles, "name": name, "activeProfileIndex": 0,
                "exporter": "memlens %s" % _memlens.__version__}

    def _self_alloc(self):
        own = [n[5] for n in self.nodes]
        for i in range(1, len(self.nodes)):
            own[self.nodes[i][0]] -= self.nodes[i][5]
        return [max(0, v) for v in own]

    def json(self):
        return {"seconds": self.seconds, "memory": self.memory, "incomplete": self.failed,
                "functions": [{"file": s.file, "line": s.line, "name": s.name, "qualname": s.qualname,
                               "ncalls": s.ncalls, "pcalls": s.pcalls, "tottime": s.tottime, "cumtime": s.cumtime,
                               "allocated": s.allocated, "self_allocated": s.self_allocated, "net": s.net,
                               "peak": s.peak} for s in self.sorted("cumtime")]}

    def dump(self, path, fmt="pstats", name="memlens"):
        """Writes the profile to path (via a temporary file and a rename: never half-written)."""
        if fmt == "pstats":
            data, mode = marshal.dumps(self.pstats_dict()), "wb"
        elif fmt == "folded":
            data, mode = self.folded(), "w"
        elif fmt == "speedscope":
            data, mode = json.dumps(self.speedscope(name)), "w"
        elif fmt == "json":
            data, mode = json.dumps(self.json(), indent=1) + "\n", "w"
        else:
            raise ValueError("unknown format %r (one of %s)" % (fmt, ", ".join(FORMATS)))
        d = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".memlens-", dir=d)
        try:
            with os.fdopen(fd, mode) as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise


class Profile:
    """Deterministic function profile of the code run between enable() and disable().

    memory: count bytes per function (starts the tracker in memory when it is not tracing).
    builtins: profile calls of C functions too (len, list.append ...), as cProfile does.
    """

    def __init__(self, memory=True, builtins=True):
        self.memory = memory
        self.builtins = builtins
        self._stats = None
        self._threads = False

    def enable(self):
        self._stats = None
        if _memlens.PROF_HOOK == "setprofile":  # 3.12+: sys.monitoring sees every thread already
            import threading
            threading.setprofile(_memlens.prof_thread_hook)
            self._threads = True
        _memlens.prof_enable(memory=self.memory, builtins=self.builtins)

    def disable(self):
        _memlens.prof_disable()
        if self._threads:
            import threading
            threading.setprofile(None)
            self._threads = False

    def __enter__(self):
        self.enable()
        return self

    def __exit__(self, *exc):
        self.disable()

    def runcall(self, func, *args, **kwargs):
        self.enable()
        try:
            return func(*args, **kwargs)
        finally:
            self.disable()

    def stats(self):
        if self._stats is None:
            self._stats = Stats(_memlens.prof_data())
        return self._stats

    def print_stats(self, sort="cumtime", limit=40, file=None):
        print("\n".join(self.stats().table(sort, limit)), file=file or sys.stdout)

    def dump_stats(self, path, fmt="pstats"):
        self.stats().dump(path, fmt)


# ---- command line ----

USAGE = """usage: memlens profile [options] [--] script.py [args...]

Runs the script and prints where its time (and memory) went, per function.

options:
  -o, --output FILE     also write the profile to FILE (pstats format unless --format)
  --format FMT          FILE's format: pstats (pstats.Stats, snakeviz), speedscope, folded, json
  -s, --sort KEY        cumtime (default), tottime, ncalls, allocated, peak, name, filename, line
  -n, --limit N         rows in the table (default 40; 0: all)
  -q, --quiet           no table (with -o)
  --no-memory           time only (no allocation tracking)
  --no-builtins         Python functions only, not C functions such as len or list.append
  --python PATH         interpreter to run (default: python3 on PATH)
  -h, --help            this help
"""


def parse(argv):
    opts = {"output": None, "format": None, "sort": "cumtime", "limit": 40, "quiet": False, "memory": True,
            "builtins": True}
    given, rest = _runner.parse_options(argv, COMMAND, ("-q", "--quiet", "--no-memory", "--no-builtins"),
                                        ("-o", "--output", "--format", "-s", "--sort", "-n", "--limit"), USAGE)
    for name, val in given:
        if name in ("-q", "--quiet"):
            opts["quiet"] = True
        elif name in ("--no-memory", "--no-builtins"):
            opts[name[5:]] = False
        elif name in ("-o", "--output"):
            opts["output"] = val
        elif name == "--format":
            if val not in FORMATS:
                _runner.die(COMMAND, "--format must be one of %s, not '%s'" % (", ".join(FORMATS), val))
            opts["format"] = val
        elif name in ("-s", "--sort"):
            if val not in SORT_KEYS:
                _runner.die(COMMAND, "unknown sort key '%s' (cumtime, tottime, ncalls, allocated, peak, name, "
                                     "filename, line)" % val)
            opts["sort"] = val
        else:
            if not val.isdigit():
                _runner.die(COMMAND, "-n needs a number of rows (0: all), not '%s'" % val)
            opts["limit"] = int(val)
    if opts["format"] and not opts["output"]:
        _runner.die(COMMAND, "--format goes with -o FILE")
    if not opts["memory"] and opts["sort"] in ("allocated", "alloc", "peak", "net"):
        _runner.die(COMMAND, "sorting by %s needs memory counting (drop --no-memory)" % opts["sort"])
    return opts, rest


def main(argv=None):
    _runner.restore_environment()
    opts, prog = parse(sys.argv[1:] if argv is None else argv)
    script = prog[0]
    if opts["output"]:
        d = os.path.dirname(os.path.abspath(opts["output"]))
        if not os.path.isdir(d) or not os.access(d, os.W_OK):
            _runner.die(COMMAND, "%s: cannot write in %s" % (opts["output"], d))
    code = _runner.compile_script(script, COMMAND)
    prof = Profile(memory=opts["memory"], builtins=opts["builtins"])

    def finish(how):
        prof.disable()
        stats = prof.stats()
        sys.stdout.flush()
        if not opts["quiet"] or not opts["output"]:
            title = "memlens profile of %s" % script
            if how:
                title += " (ended by %s: profile up to that point)" % how
            sys.stdout.write("\n" + "\n".join(stats.table(opts["sort"], opts["limit"], title)) + "\n")
            sys.stdout.flush()
        if opts["output"]:
            try:
                stats.dump(opts["output"], opts["format"] or "pstats", name=os.path.basename(script))
            except OSError as e:
                sys.stderr.write("memlens: %s: %s\n" % (opts["output"], e.strerror or e))
                return
            sys.stderr.write("memlens: profile written to %s (%s)\n" % (opts["output"], opts["format"] or "pstats"))

    return _runner.run(script, prog, code, prof.enable, _memlens.prof_disable, finish)


if __name__ == "__main__":
    from memlens.profiler import main as _main

    sys.exit(_main())
