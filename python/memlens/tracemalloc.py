"""tracemalloc's API, served by the memlens tracker.

``import memlens as tracemalloc`` or ``from memlens import tracemalloc``: the same functions, classes,
exceptions and printed formats as the standard library's module. The result classes (Statistic,
Traceback, Filter, ...) *are* the standard library's, so programs that check types, pickle snapshots
or print statistics see no difference; snapshots dumped here load with ``tracemalloc.Snapshot.load``
and the other way round.

What differs is the cost. The tracker records every allocation with its full stack in C, and a
snapshot is taken as per-stack totals plus packed arrays (12 bytes per block, see
src/tracker/snapshot.h). ``statistics()``, ``compare_to()`` and ``filter_traces()`` work per stack,
not per block; the per-block trace tuples are only built if ``Snapshot.traces`` is read.

Two deliberate differences, both about memlens tracing a whole run (``memlens run``):
  - ``start(nframe)`` sets the traceback limit even when tracing already (tracemalloc ignores it then):
    under ``memlens run`` the tracer starts before the program, and the program's ``start(25)`` should
    still give 25 frames;
  - under ``memlens run`` (a capture file is being written) ``stop()`` hides the traces from this API
    instead of ending the capture, and ``clear_traces()`` shows in the capture as the blocks being
    released at that moment.
"""
import operator
import pickle
import sys
import tracemalloc as _tm
from collections.abc import Iterable

from memlens import _memlens

# The result types are the standard library's own.
from tracemalloc import (  # noqa: F401  (re-exported)
    BaseFilter,
    DomainFilter,
    Filter,
    Frame,
    Statistic,
    StatisticDiff,
    Trace,
    Traceback,
    _format_size,
)

__all__ = [
    "BaseFilter", "DomainFilter", "Filter", "Frame", "Snapshot", "Statistic", "StatisticDiff", "Trace",
    "Traceback", "clear_traces", "get_object_traceback", "get_traceback_limit", "get_traced_memory",
    "get_tracemalloc_memory", "is_tracing", "reset_peak", "start", "stop", "take_snapshot",
]

# tracemalloc's own bound: 65535 frames from 3.9 on; 3.8 allowed what fit in its size_t arithmetic.
_MAX_NFRAME = 65535 if sys.version_info >= (3, 9) else 178956969
# Trace tuples carry the stack's full depth from 3.9 on (Traceback.total_nframe).
_WITH_DEPTH = sys.version_info >= (3, 9)

_limit = 1  # frames per traceback, as tracemalloc.get_traceback_limit() reports
_hidden = False  # stop() was called while a capture keeps the tracer running


# ---- functions ----

def is_tracing():
    """True if memory allocations are being traced."""
    return _memlens.is_tracing() and not _hidden


def start(nframe=1):
    """Start tracing Python memory allocations, keeping up to *nframe* frames per traceback."""
    global _limit, _hidden
    n = operator.index(nframe)
    if not -2**31 <= n < 2**31:
        raise OverflowError("Python int too large to convert to C int")
    if not 1 <= n <= _MAX_NFRAME:
        raise ValueError("the number of frames must be in range [1; %d]" % _MAX_NFRAME)
    _limit = n
    _hidden = False
    _memlens.start_memory()


def stop():
    """Stop tracing Python memory allocations and forget the traces."""
    global _hidden
    if not _memlens.is_tracing():
        return
    if _memlens.has_capture():
        _hidden = True
    else:
        _memlens.stop()


def get_traceback_limit():
    """Maximum number of frames stored in the traceback of a trace."""
    return _limit


def get_traced_memory():
    """(current, peak): traced memory now and at most since start() or reset_peak(), in bytes."""
    return _memlens.traced_memory() if is_tracing() else (0, 0)


def reset_peak():
    """Set the peak of get_traced_memory() to the current traced memory."""
    if is_tracing():
        _memlens.reset_peak()


def clear_traces():
    """Forget the traces of the memory blocks allocated so far."""
    if is_tracing():
        _memlens.clear_traces()


def get_tracemalloc_memory():
    """Memory used by the tracer to store traces, in bytes."""
    return _memlens.tracker_memory()


def get_object_traceback(obj):
    """Traceback where *obj* was allocated, or None (not tracing, or allocated before)."""
    if not is_tracing():
        return None
    found = _memlens.object_stack(obj, _limit)
    return Traceback(found[0]) if found is not None else None


def take_snapshot():
    """Snapshot of the traces of the memory blocks allocated by Python."""
    if not is_tracing():
        raise RuntimeError("the tracemalloc module must be tracing memory allocations to take a snapshot")
    stacks, sizes, index = _memlens.snapshot(_limit)
    return Snapshot._from_arrays(stacks, None, sizes, index, _limit)


# ---- snapshots ----

def _trace_tuple(domain, size, frames, depth):
    return (domain, size, frames, depth) if _WITH_DEPTH else (domain, size, frames)


class Snapshot(_tm.Snapshot):
    """Snapshot of traces of memory blocks allocated by Python (tracemalloc.Snapshot, per stack).

    Holds per-stack totals ``(frames, depth, bytes, blocks)`` and, per block, its size and stack
    index. ``traces`` is built from them on first use.
    """

    def __init__(self, traces, traceback_limit):
        self.traceback_limit = traceback_limit
        self._traces = _tm._Traces(traces)
        self._stacks = self._domains = self._sizes = self._index = None

    @classmethod
    def _from_arrays(cls, stacks, domains, sizes, index, traceback_limit):
        self = cls.__new__(cls)
        self.traceback_limit = traceback_limit
        self._traces = None
        self._stacks, self._domains, self._sizes, self._index = stacks, domains, sizes, index
        return self

    @property
    def traces(self):
        if self._traces is None:
            if self._domains is None:
                raw = _memlens.traces(self._stacks, self._sizes, self._index, _WITH_DEPTH)
            else:
                raw = self._python_traces()
            self._traces = _tm._Traces(raw)
        return self._traces

    def _python_traces(self):
        sizes = memoryview(self._sizes).cast("Q")
        stacks, domains = self._stacks, self._domains
        return [_trace_tuple(domains[i], sizes[k], stacks[i][0], stacks[i][1])
                for k, i in enumerate(memoryview(self._index).cast("I"))]

    def _per_stack(self):
        """(stacks, domains): grouped from the trace tuples the first time, for snapshots built
        from Python (the constructor, load)."""
        if self._stacks is None:
            groups = {}
            sizes, index = [], []
            stacks, domains = [], []
            for trace in self._traces._traces:
                domain, size, frames = trace[0], trace[1], trace[2]
                depth = trace[3] if len(trace) > 3 else None
                key = (domain, frames, depth)
                i = groups.get(key)
                if i is None:
                    i = groups[key] = len(stacks)
                    stacks.append([frames, depth, 0, 0])
                    domains.append(domain)
                stacks[i][2] += size
                stacks[i][3] += 1
                sizes.append(size)
                index.append(i)
            self._stacks = [tuple(s) for s in stacks]
            self._domains = domains
            self._sizes = _pack("Q", sizes)
            self._index = _pack("I", index)
        return self._stacks, self._domains

    def dump(self, filename):
        """Write the snapshot into a file, in tracemalloc's own format."""
        plain = _tm.Snapshot(self.traces._traces, self.traceback_limit)
        with open(filename, "wb") as fp:
            pickle.dump(plain, fp, pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def load(filename):
        """Load a snapshot written by dump() here or by tracemalloc."""
        with open(filename, "rb") as fp:
            snap = pickle.load(fp)
        if isinstance(snap, _tm.Snapshot) and not isinstance(snap, Snapshot):
            snap = Snapshot(snap.traces._traces, snap.traceback_limit)
        return snap

    def filter_traces(self, filters):
        """New snapshot with the traces that pass *filters* (Filter / DomainFilter instances).
        Each filter is evaluated once per distinct stack, not once per block."""
        if not isinstance(filters, Iterable):
            raise TypeError("filters must be a list of filters, not %s" % type(filters).__name__)
        stacks, domains = self._per_stack()
        filters = list(filters)
        include = [f for f in filters if f.inclusive]
        exclude = [f for f in filters if not f.inclusive]
        keep, kept, kept_domains = [], [], []
        for i, (frames, depth, size, count) in enumerate(stacks):
            domain = domains[i] if domains is not None else 0
            if not filters or self._filter_trace(include, exclude, _trace_tuple(domain, size, frames, depth)):
                kept.append(stacks[i])
                kept_domains.append(domain)
                keep.append(len(kept))
            else:
                keep.append(0)
        sizes, index = _memlens.select(self._sizes, self._index, _pack("I", keep))
        return Snapshot._from_arrays(kept, None if domains is None else kept_domains, sizes, index,
                                     self.traceback_limit)

    def _group_by(self, key_type, cumulative):
        if key_type not in ("traceback", "filename", "lineno"):
            raise ValueError("unknown key_type: %r" % (key_type,))
        if cumulative and key_type not in ("lineno", "filename"):
            raise ValueError("cumulative mode cannot by used with key type %r" % key_type)
        stacks, _ = self._per_stack()
        totals = {}  # frames of the key -> [size, count]
        for frames, _depth, size, count in stacks:
            if not cumulative:
                if key_type == "traceback":
                    keys = (frames,)
                elif key_type == "lineno":
                    keys = (frames[:1],)
                else:
                    keys = (((frames[0][0], 0),),)
            elif key_type == "lineno":
                keys = [(frame,) for frame in frames]
            else:
                keys = [((frame[0], 0),) for frame in frames]
            for key in keys:
                t = totals.get(key)
                if t is None:
                    totals[key] = [size, count]
                else:
                    t[0] += size
                    t[1] += count
        stats = {}
        for key, (size, count) in totals.items():
            tb = Traceback(key)
            stats[tb] = Statistic(tb, size, count)
        return stats


def _pack(code, values):
    import array

    return array.array(code, values).tobytes()
