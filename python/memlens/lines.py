"""Line by line: memory (memory_profiler's layout) or time (line_profiler's), from one engine.

    @memlens.profile                      # in a program: the report is printed when it exits
    def build(): ...

    python3 -m memlens.lines script.py    # memory_profiler's habit: functions marked @profile
    memlens lineprof script.py            # kernprof -l -v's habit: time per line, bytes beside it
    memlens lineprof --func mod:qualname script.py   # no decorator needed

Memory per line comes from the tracker's exact byte counts (every allocation and free the
interpreter makes), not from RSS: `Increment` is the net bytes a line added over all its runs, so it
is right inside loops, and `Mem usage` is the most heap seen after the line (this thread's traced
bytes since profiling began). An RSS column is beside it for comparison with memory_profiler. The
engine is in C (src/prof/lines.c); this module registers functions, runs scripts and renders.
"""
import atexit
import functools
import inspect
import linecache
import os
import sys
import threading

from memlens import _fmt, _memlens, _runner

_state = {"enabled": False, "standalone": False, "stream": None, "precision": 1, "atexit": False,
          "layout": "memory", "options": {}}
_lock = threading.Lock()


def _enable(memory=True, rss=True, everywhere=False):
    _memlens.lines_enable(memory=memory, rss=rss, everywhere=everywhere)
    if everywhere and _memlens.LINES_WRAP:
        threading.settrace(_memlens.lines_thread_hook)
    _state["enabled"] = True
    _state["options"] = {"memory": memory, "rss": rss}


def _disable():
    _memlens.lines_disable()
    if _memlens.LINES_WRAP:
        threading.settrace(None)
    _state["enabled"] = False


def _wrap(func):
    """Before 3.12 a decorated function traces its thread while it runs (lines_enter/lines_exit
    bracket each call, each generator step, each await), so the rest of the program is untraced."""
    enter, leave = _memlens.lines_enter, _memlens.lines_exit
    if inspect.isasyncgenfunction(func):
        @functools.wraps(func)
        async def wrapper(*args, **kwargs):
            enter()
            try:
                async for item in func(*args, **kwargs):
                    yield item
            finally:
                leave()
    elif inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def wrapper(*args, **kwargs):
            enter()
            try:
                return await func(*args, **kwargs)
            finally:
                leave()
    elif inspect.isgeneratorfunction(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            enter()
            try:
                return (yield from func(*args, **kwargs))
            finally:
                leave()
    else:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            enter()
            try:
                return func(*args, **kwargs)
            finally:
                leave()
    return wrapper


def add(func):
    """Profile func line by line (from now on, if the engine runs). Returns what to call instead."""
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        raise TypeError("memlens.profile needs a Python function, not %r" % (func,))
    _memlens.lines_add(code)
    return _wrap(func) if _memlens.LINES_WRAP else func


def profile(func=None, stream=None, precision=1):
    """memory_profiler's decorator: ``@profile`` or ``@profile(stream=f, precision=2)``. Outside
    `python3 -m memlens.lines` / `memlens lineprof`, the engine starts at the first decoration and the
    report is printed (to stream, else stdout) when the program exits."""
    if func is None:
        return functools.partial(profile, stream=stream, precision=precision)
    with _lock:
        if not _state["enabled"]:
            _enable(memory=True, rss=True)
            _state.update(standalone=True, stream=stream, precision=precision)
        if _state["standalone"] and not _state["atexit"]:
            atexit.register(_report_at_exit)
            _state["atexit"] = True
    return add(func)


def _report_at_exit():
    if _state["enabled"]:
        _disable()
    show(_state["stream"], _state["precision"])


# ---- reports ----

def _source(code, rows):
    """(first, last, lines of the file) for the function's source block."""
    lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno
    last = max([r[0] for r in rows] + [first])
    if lines and first <= len(lines):
        try:
            last = max(last, first + len(inspect.getblock(lines[first - 1:])) - 1)
        except (IndentationError, SyntaxError, IndexError):
            pass
    return first, last, lines


def _line_text(lines, n):
    return lines[n - 1].rstrip("\n") if 0 < n <= len(lines) else ""


def render_memory(data, precision=1):
    """memory_profiler's layout: Line #, Mem usage, Increment, Occurrences, (RSS, Time,) Line Contents."""
    out = []
    for code, calls, entry_mem, entry_rss, rows in data:
        if not calls and not rows:
            continue
        by_line = {r[0]: r for r in rows}
        first, last, lines = _source(code, rows)
        out.append("Filename: %s" % code.co_filename)
        out.append("")
        header = ["Line #", "Mem usage", "Increment", "Occurrences", "RSS", "Time", "Line Contents"]
        table = []
        for n in range(first, last + 1):
            r = by_line.get(n)
            if n == first and calls:
                cells = [str(n), _fmt.mib(entry_mem or 0, precision), "", str(calls),
                         _fmt.mib(entry_rss, precision) if entry_rss else "", ""]
            elif r and r[5] is not None:
                cells = [str(n), _fmt.mib(r[5], precision), _fmt.mib(r[4], precision), str(r[1]),
                         _fmt.mib(r[6], precision) if r[6] else "", _fmt.duration(r[2])]
            elif r:
                cells = [str(n), "", "", str(r[1]), "", _fmt.duration(r[2])]
            else:
                cells = [str(n), "", "", "", "", ""]
            table.append(cells + [_line_text(lines, n)])
        out.extend(_fmt.table(header, table, rule="="))
        out.append("")
        out.append("")
    return out


def render_time(data):
    """line_profiler's layout (Line #, Hits, Time, Per Hit, % Time, Line Contents) with Alloc and
    Net bytes beside time."""
    out = []
    memory = _state["options"].get("memory", True)
    for code, calls, entry_mem, entry_rss, rows in data:
        total = sum(r[2] for r in rows)
        by_line = {r[0]: r for r in rows}
        first, last, lines = _source(code, rows)
        name = getattr(code, "co_qualname", code.co_name)
        out.append("Total time: %s" % _fmt.duration(total))
        out.append("File: %s" % code.co_filename)
        out.append("Function: %s at line %d (%d call%s)" % (name, first, calls, "" if calls == 1 else "s"))
        out.append("")
        header = ["Line #", "Hits", "Time", "Per Hit", "% Time"]
        if memory:
            header += ["Alloc", "Net"]
        header.append("Line Contents")
        table = []
        for n in range(first, last + 1):
            r = by_line.get(n)
            cells = [str(n)]
            if r and r[1]:
                cells += [str(r[1]), _fmt.duration(r[2]), _fmt.duration(r[2] / r[1]),
                          "%.1f" % (100.0 * r[2] / total) if total else ""]
                if memory:
                    cells += [_fmt.nbytes(r[3]), _fmt.nbytes(r[4], signed=True)]
            else:
                cells += [""] * (len(header) - 2)
            table.append(cells + [_line_text(lines, n)])
        out.extend(_fmt.table(header, table, rule="="))
        out.append("")
    return out


def data():
    return _memlens.lines_data()


def show(stream=None, precision=1, layout=None):
    """Prints the report of every function profiled so far."""
    layout = layout or _state["layout"]
    rows = data()
    text = render_memory(rows, precision) if layout == "memory" else render_time(rows)
    failed = _memlens.lines_failed()
    if failed:
        text.insert(0, "incomplete: %s" % failed)
    f = stream or sys.stdout
    f.write("\n".join(text) + "\n")
    f.flush()


# ---- command line ----

USAGE = """usage: %(cmd)s [options] [--] script.py [args...]

Runs the script and reports, for each function marked @profile (or named with --func),
%(what)s

options:
  --func MOD:QUALNAME   profile this function without a decorator (repeatable); MOD is the script's
                        module name (or __main__) or an importable module (imported first)
  -o, --output FILE     write the report to FILE instead of stdout
  --no-memory           time only (no allocation tracking)
  --precision N         decimals of MiB in the memory layout (default 1)
  --python PATH         interpreter to run (memlens %(name)s only; default: python3 on PATH)
  -h, --help            this help
"""

WHAT = {"memory": "per line: memory usage after it, increment, occurrences, RSS and time\n"
                  "(memory_profiler's layout, exact bytes).\n",
        "time": "per line: hits, time, time per hit, % time, bytes allocated and net\n"
                "(line_profiler's layout with memory beside time).\n"}


def _parse(argv):
    opts = {"layout": "memory", "funcs": [], "output": None, "memory": True, "precision": 1}
    if argv[:1] == ["--lineprof"]:  # memlens lineprof
        opts["layout"] = "time"
        argv = argv[1:]
    cmd = "lineprof" if opts["layout"] == "time" else "lines"
    usage = USAGE % {"cmd": "memlens lineprof" if cmd == "lineprof" else "python3 -m memlens.lines", "name": cmd,
                     "what": WHAT[opts["layout"]]}
    given, rest = _runner.parse_options(argv, cmd, ("--no-memory",), ("--func", "-o", "--output", "--precision"),
                                        usage)
    for name, val in given:
        if name == "--no-memory":
            opts["memory"] = False
        elif name == "--func":
            mod, colon, qual = val.partition(":")
            if not colon or not mod or not qual:
                _runner.die(cmd, "--func needs MODULE:QUALNAME (e.g. __main__:build or pkg.mod:Class.method), "
                                 "not '%s'" % val)
            opts["funcs"].append((mod, qual))
        elif name == "--precision":
            if not val.isdigit() or int(val) > 9:
                _runner.die(cmd, "--precision needs a number of decimals from 0 to 9, not '%s'" % val)
            opts["precision"] = int(val)
        else:
            opts["output"] = val
    return cmd, opts, rest


def _codes_by_qualname(code, prefix=""):
    """Every function code object inside `code`, with its qualified name (computed before 3.11,
    where code objects do not carry it): functions nest as f.<locals>.g, class bodies as C.m."""
    for c in code.co_consts:
        if not inspect.iscode(c):
            continue
        qual = getattr(c, "co_qualname", prefix + c.co_name)
        is_function = bool(c.co_flags & inspect.CO_NEWLOCALS)
        yield qual, c
        yield from _codes_by_qualname(c, qual + (".<locals>." if is_function else "."))


def _resolve(cmd, script, code, mod, qual):
    stem = os.path.splitext(os.path.basename(script))[0]
    if mod in ("__main__", stem):
        found = [c for q, c in _codes_by_qualname(code) if q == qual]
        if not found:
            _runner.die(cmd, "--func %s:%s: no function %s in %s" % (mod, qual, qual, script))
        return found
    import importlib
    try:
        obj = importlib.import_module(mod)
    except Exception as e:
        _runner.die(cmd, "--func %s:%s: cannot import %s: %s" % (mod, qual, mod, e))
    for part in qual.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            _runner.die(cmd, "--func %s:%s: %s has no %s" % (mod, qual, mod, qual))
    obj = inspect.unwrap(getattr(obj, "__func__", obj))
    if not hasattr(obj, "__code__"):
        _runner.die(cmd, "--func %s:%s: not a Python function" % (mod, qual))
    return [obj.__code__]


def main(argv=None):
    _runner.restore_environment()
    cmd, opts, prog = _parse(sys.argv[1:] if argv is None else argv)
    script = prog[0]
    code = _runner.compile_script(script, cmd)
    targets = [c for mod, qual in opts["funcs"] for c in _resolve(cmd, script, code, mod, qual)]
    for c in targets:
        _memlens.lines_add(c)
    out = None
    if opts["output"]:
        try:
            out = open(opts["output"], "w")
        except OSError as e:
            _runner.die(cmd, "%s: %s" % (opts["output"], e.strerror or e))
    _state.update(layout=opts["layout"], standalone=False, precision=opts["precision"])
    import builtins
    builtins.profile = profile  # kernprof's and memory_profiler's habit: @profile with no import

    def start():
        _enable(memory=opts["memory"], rss=opts["memory"] and opts["layout"] == "memory",
                everywhere=bool(targets))

    def finish(how):
        _disable()
        sys.stdout.flush()
        f = out or sys.stdout
        if how:
            f.write("memlens %s: the program ended by %s; lines up to that point\n" % (cmd, how))
        if not _memlens.lines_data():
            sys.stderr.write("memlens: %s: no function was profiled: mark functions with @profile or name them "
                             "with --func MODULE:QUALNAME\n" % cmd)
        show(f, opts["precision"])
        if out:
            out.close()
            sys.stderr.write("memlens: report written to %s\n" % opts["output"])

    return _runner.run(script, prog, code, start, _memlens.lines_disable, finish)


if __name__ == "__main__":
    from memlens.lines import main as _main

    sys.exit(_main())
