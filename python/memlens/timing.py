"""Micro-benchmarks: `memlens timeit`, with `python -m timeit`'s arguments.

    memlens timeit [-n N] [-r R] [-s SETUP]... [-p] [-u UNIT] [-v] [--plain] [--json] STMT...
    memlens timeit [-s SETUP] --compare "stmt A" "stmt B" ...

Like the stdlib: the statement runs inside a generated function (its variables are fast locals),
the loop count is calibrated until one run takes at least 0.2 s (1, 2, 5, 10, 20, 50 ... loops), the
garbage collector is off while timing, and -r runs are made (default 5). Different:

- less loop overhead: the statement is written 10 times in the loop body (when that compiles), so
  the loop's own cost — `for _i in itertools.repeat(None, n)`, ~8 ns per iteration on 3.11 — is paid
  once per 10 statements. `pass` measures ~1 ns instead of ~8; statements costing microseconds
  measure as the stdlib measures them;
- the report gives best, median and spread, and warns when the runs are noisy (stdev above 5% of the
  mean, or the worst run 4× the best), the way pyperf does;
- `--compare` times several statements in interleaved runs and states the ratio of each to the first
  with a 95% confidence interval (t-interval on the log of the per-run ratios);
- `--plain` prints exactly what `python -m timeit` prints.

Errors: a syntax error in STMT or SETUP is a usage error (exit 2, the line and the caret shown); an
exception raised by the statement prints its traceback (the statement's frames) and exits 1.
"""
import gc
import itertools
import json
import linecache
import math
import statistics
import sys
import time
import traceback

from memlens import _fmt, _runner

COMMAND = "timeit"
UNROLL = 10
MAX_UNROLLED_SOURCE = 20000
DEFAULT_REPEAT = 5
TARGET = 0.2  # seconds per run when calibrating, as the stdlib
NOISE = 0.05  # stdev / mean above which runs are called noisy

_SRC_NAME = "<memlens-timeit-src>"
_TEMPLATE = """
def inner(_it, _rest, _timer):
{setup}
    _t0 = _timer()
    for _i in _it:
{body}
    for _i in _rest:
{stmt}
    _t1 = _timer()
    return _t1 - _t0
"""


class StatementError(Exception):
    """A syntax error in STMT or SETUP: which one, and Python's message."""

    def __init__(self, which, error):
        super().__init__(which)
        self.which = which
        self.error = error


def _indent(src, n):
    return "\n".join(" " * n + line for line in src.split("\n"))


class Timer:
    """A statement ready to time: timeit(number) -> seconds for `number` executions."""

    def __init__(self, stmt="pass", setup="pass", timer=time.perf_counter, globals=None, unroll=UNROLL):
        for which, src in (("STMT", stmt), ("SETUP", setup)):
            try:
                compile(src, "<%s>" % which.lower(), "exec")
            except SyntaxError as e:
                raise StatementError(which, e) from None
        self.timer = timer
        self.unroll = 1
        ns = {}
        for k in ((unroll, 1) if unroll > 1 and len(stmt) * unroll <= MAX_UNROLLED_SOURCE else (1,)):
            src = _TEMPLATE.format(setup=_indent(setup, 4),
                                   body=_indent("\n".join([stmt] * k), 8), stmt=_indent(stmt, 8))
            try:
                code = compile(src, _SRC_NAME, "exec")
            except SyntaxError as e:  # e.g. `global x` cannot repeat after x is used
                if k == 1:
                    raise StatementError("STMT", e) from None
                continue
            self.unroll = k
            self.src = src
            break
        linecache.cache[_SRC_NAME] = (len(self.src), None, self.src.split("\n"), _SRC_NAME)
        g = dict(globals) if globals is not None else {}
        exec(code, g, ns)
        self.inner = ns["inner"]

    def timeit(self, number):
        it = itertools.repeat(None, number // self.unroll)
        rest = itertools.repeat(None, number % self.unroll)
        gc_was = gc.isenabled()
        gc.disable()
        try:
            return self.inner(it, rest, self.timer)
        finally:
            if gc_was:
                gc.enable()

    def autorange(self, callback=None):
        """(number, seconds): the first of 1, 2, 5, 10, 20, 50 ... loops that takes >= 0.2 s."""
        i = 1
        while True:
            for j in (1, 2, 5):
                number = i * j
                t = self.timeit(number)
                if callback:
                    callback(number, t)
                if t >= TARGET:
                    return number, t
            i *= 10


class Result:
    """Per-loop seconds of each run."""

    def __init__(self, number, runs):
        self.number = number
        self.runs = runs  # seconds per loop, one per run

    @property
    def best(self):
        return min(self.runs)

    @property
    def median(self):
        return statistics.median(self.runs)

    @property
    def stdev(self):
        return statistics.stdev(self.runs) if len(self.runs) > 1 else 0.0

    def noise(self):
        """A warning sentence, or None."""
        mean = statistics.mean(self.runs)
        if mean > 0 and self.stdev / mean > NOISE:
            return ("the runs vary by ±%.0f%% (stdev / mean): the machine is busy or the statement's cost varies; "
                    "close other programs, raise -r, or compare medians" % (100 * self.stdev / mean))
        if self.best > 0 and max(self.runs) > 4 * self.best:
            return ("the worst run (%s) was %.1f× slower than the best (%s): a cache or the machine may have "
                    "interfered" % (_fmt.duration(max(self.runs)), max(self.runs) / self.best, _fmt.duration(self.best)))
        return None


def timeit(stmt="pass", setup="pass", number=None, repeat=DEFAULT_REPEAT, timer=time.perf_counter, globals=None):
    """Times stmt: returns a Result (number of loops per run, seconds per loop of each run)."""
    t = Timer(stmt, setup, timer, globals)
    if not number:
        number, _ = t.autorange()
    return Result(number, [t.timeit(number) / number for _ in range(repeat)])


# 97.5% quantile of Student's t for 1..30 degrees of freedom (two-sided 95% interval)
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)


def ratio_interval(base_runs, runs):
    """(ratio, low, high): the geometric mean of runs[i] / base_runs[i] (runs made side by side) and
    its 95% confidence interval."""
    logs = [math.log(b / a) for a, b in zip(base_runs, runs)]
    n = len(logs)
    m = statistics.mean(logs)
    if n < 2:
        return math.exp(m), math.exp(m), math.exp(m)
    half = (_T975[n - 2] if n - 1 <= len(_T975) else 1.96) * statistics.stdev(logs) / math.sqrt(n)
    return math.exp(m), math.exp(m - half), math.exp(m + half)


def _times(x):
    return "%.3g×" % x if x < 1000 else "%.0f×" % x


def compare_sentence(a, b, ratio, low, high):
    ci = "95%% confidence interval %s–%s" % (_times(low), _times(high))
    if low > 1:
        return "%s is %s slower than %s (%s)" % (b, _times(ratio), a, ci)
    if high < 1:
        return "%s is %s faster than %s (%s)" % (b, _times(1 / ratio), a, ci)
    return "no significant difference between %s and %s (ratio %s, %s)" % (b, a, _times(ratio), ci)


# ---- stdlib's output (--plain) ----

_UNITS = {"nsec": 1e-9, "usec": 1e-6, "msec": 1e-3, "sec": 1.0}


def _plain_time(dt, unit=None):
    """timeit.main's format_time."""
    if unit is not None:
        scale = _UNITS[unit]
    else:
        for unit, scale in sorted(_UNITS.items(), key=lambda kv: kv[1], reverse=True):
            if dt >= scale:
                break
    return "%.*g %s" % (3, dt / scale, unit)


# ---- command line ----

USAGE = """usage: memlens timeit [-n N] [-r R] [-s SETUP]... [-p] [-u UNIT] [-v] [--plain] [--json] [--] STMT...
       memlens timeit [options] --compare STMT_A STMT_B...

Times a Python statement (python -m timeit's arguments; several STMT arguments are lines of one
statement, except with --compare).

options:
  -n, --number N    loops per run (default: calibrated so that a run takes 0.2 s or more)
  -r, --repeat R    runs (default 5; 7 with --compare)
  -s, --setup S     run once before the timing (repeatable: lines of one setup)
  -p, --process     CPU time of the process (time.process_time) instead of wall time
  -u, --unit U      nsec, usec, msec or sec for --plain
  -v, --verbose     print the calibration and the raw times
  --plain           python -m timeit's output, exactly
  --compare         time each STMT in interleaved runs; ratios to the first with 95% confidence
  --json            results as JSON on stdout
  --python PATH     interpreter (default: python3 on PATH)
  -h, --help        this help
"""


def parse(argv):
    import getopt
    try:
        opts, args = getopt.getopt(argv, "n:u:s:r:tcpvh", ["number=", "setup=", "repeat=", "time", "clock", "process",
                                                           "verbose", "unit=", "help", "plain", "compare", "json"])
    except getopt.error as e:
        _runner.die(COMMAND, "%s (see memlens timeit --help)" % e)
    o = {"number": 0, "repeat": None, "setup": [], "timer": time.perf_counter, "unit": None, "verbose": 0,
         "plain": False, "compare": False, "json": False}
    for opt, val in opts:
        if opt in ("-n", "--number") or opt in ("-r", "--repeat"):
            key = "number" if opt in ("-n", "--number") else "repeat"
            try:
                o[key] = int(val)
                if o[key] < 1:
                    raise ValueError
            except ValueError:
                _runner.die(COMMAND, "%s needs a positive integer, not '%s'" % (opt, val))
        elif opt in ("-s", "--setup"):
            o["setup"].append(val)
        elif opt in ("-u", "--unit"):
            if val not in _UNITS:
                _runner.die(COMMAND, "-u must be one of nsec, usec, msec or sec, not '%s'" % val)
            o["unit"] = val
        elif opt in ("-p", "--process"):
            o["timer"] = time.process_time
        elif opt in ("-v", "--verbose"):
            o["verbose"] += 1
        elif opt in ("-h", "--help"):
            sys.stdout.write(USAGE)
            raise SystemExit(0)
        elif opt in ("--plain", "--compare", "--json"):
            o[opt[2:]] = True
    if o["compare"] and len(args) < 2:
        _runner.die(COMMAND, "--compare needs two statements or more")
    if o["compare"] and o["plain"]:
        _runner.die(COMMAND, "--plain and --compare do not go together")
    if o["repeat"] is None:
        o["repeat"] = 7 if o["compare"] else DEFAULT_REPEAT
    if o["compare"] and o["repeat"] < 2:
        _runner.die(COMMAND, "--compare needs -r 2 or more for a confidence interval")
    return o, args


def _syntax_error(e):
    err = e.error
    where = "line %s" % err.lineno if err.lineno else ""
    if err.offset:
        where += ", column %d" % err.offset
    msg = "syntax error in %s: %s%s" % (e.which, err.msg, " (%s)" % where if where else "")
    if err.text:
        text = err.text.rstrip("\n")
        msg += "\n    %s\n    %s^" % (text, " " * max(0, (err.offset or 1) - 1 - (len(text) - len(text.lstrip()))))
        msg = msg.replace("\n    " + text, "\n    " + text.strip(), 1)
    _runner.die(COMMAND, msg)


def _raised(e):
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb)
    sys.stderr.write("memlens: timeit: the timed code (SETUP or STMT) raised %s\n" % type(e).__name__)
    return 1


def _report(label, r, o, out):
    """Our own report of one statement."""
    if o["plain"]:
        unit = o["unit"]
        if o["verbose"]:
            out.write("raw times: %s\n\n" % ", ".join(_plain_time(t * r.number, unit) for t in r.runs))
        out.write("%d loop%s, best of %d: %s per loop\n" % (r.number, "s" if r.number != 1 else "", len(r.runs),
                                                             _plain_time(r.best, unit)))
        worst = max(r.runs)
        if worst >= r.best * 4:
            import warnings
            warnings.warn_explicit("The test results are likely unreliable. The worst time (%s) was more than four "
                                   "times slower than the best time (%s)." % (_plain_time(worst, unit),
                                                                               _plain_time(r.best, unit)),
                                   UserWarning, "", 0)
        return
    stdev_pct = 100 * r.stdev / statistics.mean(r.runs) if r.runs else 0
    out.write("%s: %s loops × %d runs\n" % (label, _fmt.count(r.number), len(r.runs)))
    out.write("  best    %s per loop\n" % _fmt.duration(r.best))
    out.write("  median  %s per loop\n" % _fmt.duration(r.median))
    out.write("  spread  ±%.1f%% (stdev %s; worst %s)\n" % (stdev_pct, _fmt.duration(r.stdev),
                                                          _fmt.duration(max(r.runs))))
    if o["verbose"]:
        out.write("  runs    %s\n" % ", ".join(_fmt.duration(t) for t in r.runs))
    noise = r.noise()
    if noise:
        out.write("  warning: %s\n" % noise)


def main(argv=None):
    _runner.restore_environment()
    o, args = parse(sys.argv[1:] if argv is None else argv)
    stmts = args if o["compare"] else ["\n".join(args) or "pass"]
    setup = "\n".join(o["setup"]) or "pass"
    sys.path.insert(0, "")  # like python -m timeit: the current directory is importable from SETUP
    out = sys.stdout
    try:
        timers = [Timer(s, setup, o["timer"]) for s in stmts]
    except StatementError as e:
        _syntax_error(e)
    try:
        numbers = []
        for t in timers:
            number = o["number"]
            if not number:
                cb = None
                if o["verbose"]:
                    def cb(n, secs):
                        out.write("%d loop%s -> %.*g secs\n" % (n, "s" if n != 1 else "", 3, secs))
                number, _ = t.autorange(cb)
                if o["verbose"]:
                    out.write("\n")
            numbers.append(number)
        runs = [[] for _ in timers]
        for _ in range(o["repeat"]):  # interleaved: noise spreads over all statements alike
            for k, t in enumerate(timers):
                runs[k].append(t.timeit(numbers[k]) / numbers[k])
    except Exception as e:
        return _raised(e)
    results = [Result(n, r) for n, r in zip(numbers, runs)]
    if o["json"]:
        doc = {"statements": [{"stmt": s, "loops": r.number, "runs": r.runs, "best": r.best, "median": r.median,
                               "stdev": r.stdev, "unroll": t.unroll, "warning": r.noise()}
                              for s, r, t in zip(stmts, results, timers)]}
        if o["compare"]:
            doc["ratios"] = [dict(zip(("ratio", "low", "high"), ratio_interval(results[0].runs, r.runs)))
                             for r in results[1:]]
        out.write(json.dumps(doc, indent=1) + "\n")
        return 0
    labels = ["STMT"] if not o["compare"] else ["%s" % chr(ord("A") + k) if k < 26 else "S%d" % k
                                                for k in range(len(stmts))]
    for label, s, r in zip(labels, stmts, results):
        if o["compare"]:
            out.write("%s = %s\n" % (label, s))
        _report(label if o["compare"] else s.replace("\n", "; "), r, o, out)
    if o["compare"]:
        out.write("\n")
        for label, r in zip(labels[1:], results[1:]):
            out.write(compare_sentence(labels[0], label, *ratio_interval(results[0].runs, r.runs)) + "\n")
    return 0


if __name__ == "__main__":
    from memlens.timing import main as _main

    sys.exit(_main())
