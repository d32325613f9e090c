"""memlens: exact memory tracing for Python programs.

From the command line, ``memlens run script.py`` traces a whole program into a capture that
``memlens summary`` / ``top`` / ``leaks`` / ``report`` read. From Python:

- tracemalloc's API, same names and printed formats: ``import memlens as tracemalloc`` (see
  ``memlens.tracemalloc``): ``start``, ``take_snapshot``, ``Snapshot.statistics`` ...
- ``mark(label)``: a named point in the capture, for ``memlens diff FILE --from A --to B``;
- ``Tracker(path)``: ``with memlens.Tracker("out.mlens"):`` traces just that region into a capture;
- ``rss()``: resident memory, like psutil's ``memory_info().rss``, with its anon/file/shmem split;
- ``profile``: memory (and time) per line of a function, memory_profiler's layout (memlens.lines);
- ``objects``: the object graph: census by type with bytes, reference chains (memlens.objects).

Everything but ``mark``, ``Tracker`` and ``rss`` is imported on first use, so that ``import memlens``
stays cheap (the ``memlens run`` bootstrap imports it before the program starts).
"""
import os as _os
import sys as _sys

from memlens import _memlens
from memlens._memlens import __version__

_API = (
    "BaseFilter", "DomainFilter", "Filter", "Frame", "Snapshot", "Statistic", "StatisticDiff", "Trace",
    "Traceback", "clear_traces", "get_object_traceback", "get_traceback_limit", "get_traced_memory",
    "get_tracemalloc_memory", "is_tracing", "reset_peak", "start", "stop", "take_snapshot",
)
__all__ = ["__version__", "mark", "Tracker", "rss", "RSS", "profile", "objects", "tracemalloc"] + list(_API)

# Imported on first use: name -> (module, attribute; None for the module itself).
_LAZY = dict({name: ("memlens.tracemalloc", name) for name in _API},
             profile=("memlens.lines", "profile"),
             objects=("memlens.objects", None),
             tracemalloc=("memlens.tracemalloc", None))


def __getattr__(name):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError("module 'memlens' has no attribute %r" % name) from None
    import importlib

    mod = importlib.import_module(module)
    return getattr(mod, attr) if attr else mod


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


# ---- marks ----

#: Functions called as fn(label) after every mark() (the leak checker takes snapshots there).
mark_callbacks = []


def mark(label):
    """Put a named point in the capture being written (``memlens run``, ``Tracker``): the counters of
    every allocation site are exact at that point, and ``memlens diff FILE --from A --to B`` shows
    what grew between two marks. Without a capture, only the callbacks in ``mark_callbacks`` run."""
    if not isinstance(label, str):
        raise TypeError("mark() argument must be str, not %s" % type(label).__name__)
    _memlens.mark(label)
    if mark_callbacks:  # (an empty list costs no allocation at the mark)
        for fn in tuple(mark_callbacks):
            fn(label)


# ---- regions ----

class Tracker:
    """Trace a region of a program into a capture file::

        with memlens.Tracker("region.mlens"):
            build_report()

    The capture reads like one of ``memlens run`` (``memlens summary region.mlens``). Only one tracer
    runs per process: entering raises RuntimeError if memlens is tracing already (``memlens run``,
    ``memlens.start()``, another Tracker)."""

    def __init__(self, path, max_depth=0):
        self.path = _os.fspath(path)
        if not isinstance(max_depth, int) or isinstance(max_depth, bool) or max_depth < 0:
            raise ValueError("max_depth must be an int >= 0")
        self.max_depth = max_depth

    def __enter__(self):
        if _memlens.is_tracing():
            raise RuntimeError("memlens is already tracing this process")
        meta = {
            "memlens_version": __version__,
            "python_version": _sys.version.split("\n")[0],
            "python_executable": _sys.executable or "",
            "argv": "\0".join(_sys.argv),
            "start_unix_ns": str(__import__("time").time_ns()),
            "region": "Tracker",
        }
        _memlens.start_capture(self.path, self.max_depth, meta)
        return self

    def __exit__(self, *exc):
        _memlens.stop()
        return False


# ---- resident memory ----

class RSS(int):
    """Resident set size in bytes (an int, as psutil's ``memory_info().rss``), with its parts:
    ``anon`` (heap, stacks), ``file`` (mapped files, shared libraries) and ``shmem``."""

    def __new__(cls, rss, anon, file, shmem):
        self = super().__new__(cls, rss)
        self._parts = (anon, file, shmem)
        return self

    anon = property(lambda self: self._parts[0])
    file = property(lambda self: self._parts[1])
    shmem = property(lambda self: self._parts[2])

    def __repr__(self):
        return "RSS(%d, anon=%d, file=%d, shmem=%d)" % ((int(self),) + self._parts)


def rss():
    """Resident memory of this process now (from /proc/self/status), as an RSS."""
    return RSS(*_memlens.rss())
