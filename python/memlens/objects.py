"""memlens.objects — the object graph: objgraph's census and reference chains, with bytes and sites.

    most_common_types(limit=10)      [(type name, count, bytes)], largest counts first; objects the gc
                                     does not track (str, int, tuples of atoms ...) are counted too
    show_most_common_types(limit=10) the same, printed
    growth(limit=10, collect=False)  [(type name, count, +count, bytes, +bytes)] since the last call
    show_growth(...)                 the same, printed
    count(typename), by_type(typename)
    find_chain(obj)                  Chain: the shortest chain of references from a root to obj, the
                                     root's kind (module global, cache, default argument, closure,
                                     class attribute, frame local, cycle, held from C) and its fix
    backrefs(obj, max_depth=3, filename='refs.png'|'.svg'|'.dot')   the referrers, drawn (graphviz)
    garbage()                        what only reference cycles keep alive (freed by the next full gc)

Each call walks the heap at most once in C (src/objects/): the gc's objects, and through tp_traverse
what they reach. A chain is searched forward from the roots and stops when it meets its target; a
target no root reaches (held from C, or by a cycle) is answered from a referrer index built in one
walk. Never gc.get_referrers per step. Nothing is kept between calls: the results hold references to
what they return, and nothing else. The walk runs with the gc disabled (restored after) and, on a big heap,
holds the GIL for its duration (~0.1 s per million objects).
"""
import collections
import os
import subprocess
import sys
import tempfile
import types

from memlens import _memlens, roots

__all__ = ["most_common_types", "show_most_common_types", "growth", "show_growth", "count", "by_type",
           "find_chain", "backrefs", "garbage", "Chain", "TypeStat", "Graph"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_PY311 = sys.version_info >= (3, 11)

TypeStat = collections.namedtuple("TypeStat", "name count bytes")
Growth = collections.namedtuple("Growth", "name count delta bytes delta_bytes")


# ---- the walk ----

def _own(code):
    return code.co_filename.startswith(_HERE + os.sep)


def _frames():
    """(roots, ignore): the running frames of every thread, roots of the chains (with their locals from
    3.11 on, where a running frame's object does not show them), and memlens's own frames, left out of
    the graph. memlens's frames' locals are never read (on 3.11-3.12 reading f_locals stores a copy
    in the frame, which would tie its locals into a cycle): the functions below drop their own
    references to the objects they ask about before they query."""
    roots_, ignore = [], []
    me = sys._getframe()  # left out: a frame in a list held by its own locals would be a cycle
    for top in list(sys._current_frames().values()):
        f = top
        while f is not None:
            if f is me:
                pass
            elif _own(f.f_code):
                ignore.append(f)
            elif _PY311 and f.f_code.co_flags & 0x02 and f.f_locals is not f.f_globals:  # CO_NEWLOCALS
                roots_.append((f, list(roots.frame_locals(f).values())))
            else:
                roots_.append((f, None))
            f = f.f_back
        del f, top
    del me
    return roots_, ignore


def _query(ignore=(), **kw):
    frames, own = _frames()
    try:
        return _memlens.obj_query(frames=frames, ignore=own + list(ignore), **kw)
    finally:
        del frames, own


def type_name(t, shortnames=True):
    """objgraph's naming: the type's name, or module.name with shortnames=False."""
    if shortnames or t.__module__ == "builtins":
        return t.__name__
    return "%s.%s" % (t.__module__, t.__qualname__)


def census(shortnames=True, untracked=True):
    """Every type on the heap: {name: TypeStat}, counting the objects the gc does not track (str, int,
    tuples of atoms ...) found through the others; untracked=False counts the gc's objects only, as
    objgraph does, without walking their references (about 3x faster)."""
    rows = _query(census=True, untracked=untracked)["census"]
    out = {}
    for t, n, b, _tracked in rows:
        name = type_name(t, shortnames)
        old = out.get(name)
        out[name] = TypeStat(name, n + (old.count if old else 0), b + (old.bytes if old else 0))
    return out


# ---- objgraph's census functions ----

def most_common_types(limit=10, shortnames=True, untracked=True):
    """The most common types: [(name, count, bytes)], as objgraph.most_common_types with bytes."""
    stats = sorted(census(shortnames, untracked).values(), key=lambda s: (-s.count, s.name))
    return stats[:limit] if limit else stats


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else "%.1f %s" % (n, unit)
        n /= 1024.0


def show_most_common_types(limit=10, shortnames=True, file=None):
    rows = most_common_types(limit, shortnames)
    width = max([len(r.name) for r in rows] + [4])
    out = file or sys.stdout
    for r in rows:
        out.write("%-*s %10d %12s\n" % (width, r.name, r.count, _fmt_bytes(r.bytes)))


_peak = {}


def growth(limit=10, peak_stats=None, shortnames=True, collect=False):
    """Types whose count rose above its highest value seen by earlier calls, as objgraph.growth:
    [(name, count, delta, bytes, delta_bytes)], biggest delta first. The first call sees every type
    grow from zero. Unlike objgraph, no collection is forced unless collect=True."""
    if collect:
        import gc
        gc.collect()
    peak = _peak if peak_stats is None else peak_stats
    out = []
    for name, s in census(shortnames).items():
        old_n, old_b = peak.get(name, (0, 0))
        if s.count > old_n:
            out.append(Growth(name, s.count, s.count - old_n, s.bytes, s.bytes - old_b))
            peak[name] = (s.count, s.bytes)
    out.sort(key=lambda g: (-g.delta, g.name))
    return out[:limit] if limit else out


def show_growth(limit=10, peak_stats=None, shortnames=True, collect=False, file=None):
    rows = growth(limit, peak_stats, shortnames, collect)
    width = max([len(r.name) for r in rows] + [4])
    out = file or sys.stdout
    for r in rows:
        out.write("%-*s %10d %+10d %12s %+12s\n" % (width, r.name, r.count, r.delta, _fmt_bytes(r.bytes),
                                                   _fmt_bytes(r.delta_bytes)))


def count(typename):
    """Objects of the type named so (short or module.name), tracked by the gc or not."""
    return len(_query(select=typename)["selected"])


def by_type(typename):
    """The objects of the type named so (short or module.name), tracked by the gc or not."""
    return _query(select=typename)["selected"]


# ---- chains ----

class Chain(list):
    """The objects from a root down to the target (the last item), and why the target lives:

    kind        a key of roots.KINDS: module_global, cache, default_arg, closure, class_attr,
                frame_local, cycle, resource, held_from_c, unknown
    kind_text   the same in words ("mutable default argument")
    name        the holder, as one would write it: app.history, remember.__defaults__[0]
    links       links[i]: how self[i] refers to self[i + 1] ('.history', '[3]', ' local 'seen'')
    refcounts   each object's reference count (the query's own references left out)
    explained   how many of those references the heap has a referrer for (the rest are held from
                C), or None: the forward search, which finds most chains, does not see every
                referrer; find_chain(obj, explain=True) counts them (one walk and index of the heap)
    fix         what to change, in words
    """

    def __init__(self, objs, kind_c, refcounts, explained):
        super().__init__(objs)
        self.root_kind = kind_c
        self.kind, self.name, self.links = roots.describe(kind_c, objs)
        self.refcounts = refcounts
        self.explained = None if None in explained else explained

    kind_text = property(lambda self: roots.KINDS[self.kind])
    fix = property(lambda self: roots.fix(self.kind, self.name))

    def format(self, limit=12):
        """One line per link (the middle of a long chain elided)."""
        lines = []
        n = len(self)
        for i, o in enumerate(self):
            if n > limit and limit // 2 <= i < n - limit // 2:
                if i == limit // 2:
                    lines.append("  ... %d more" % (n - limit))
                continue
            link = self.links[i] if i < len(self.links) else ""
            lines.append("  %s%s  (refcount %d)" % (describe_object(o), (" -> " + link) if link else "",
                                                   self.refcounts[i]))
        return "\n".join(lines)

    def __repr__(self):
        return "<Chain %s: %s, %d links>" % (self.kind, self.name, len(self))


def describe_object(o):
    """type and a short identity of an object: 'module app', 'dict', 'list (1000 items)', 'Record'."""
    t = roots._short(o)
    if isinstance(o, types.ModuleType):
        return "module %s" % o.__name__
    if isinstance(o, types.FrameType):
        return "frame %s() %s:%d" % (o.f_code.co_name, o.f_code.co_filename, o.f_lineno)
    if isinstance(o, (types.FunctionType, type)):
        return "%s %s" % (t, o.__qualname__)
    if isinstance(o, (list, dict, set, tuple, frozenset)):
        return "%s (%d items)" % (t, len(o))
    return t


def find_chains(objs, max_depth=0, explain=False):
    """Chains for several objects in one search of the heap (see find_chain). The container objs
    itself is not counted as a referrer. explain=True also counts every chain object's referrers
    (Chain.explained), from one walk and index of the whole heap instead of the forward search."""
    targets = list(objs)
    res = _query(targets=targets, chains=True, max_depth=max_depth, ignore=[objs], explain=explain)["chains"]
    del targets, objs
    return [Chain(c[1], c[0], c[2], c[3]) if c is not None else None for c in res]


def find_chain(obj, max_depth=0, explain=False):
    """The shortest chain of references from a root (a module, a running frame) down to obj, as a
    Chain. When no root reaches it, the chain ends at the object held from C, or shows the reference
    cycle that keeps it. max_depth bounds the search (0: none). explain=True also counts each
    object's referrers (Chain.explained). The calling frame counts as a root: pass an object your
    own variables do not hold, e.g. find_chain(by_type('Record')[-1])."""
    targets = [obj]
    del obj
    return find_chains(targets, max_depth, explain)[0]


# ---- back-references, drawn ----

class Graph:
    """The referrers of an object a few levels up: nodes (objects, target first), edges
    (referrer index, referent index), each node's label (type, size, allocation site)."""

    def __init__(self, nodes, edges, truncated, refcounts):
        self.nodes, self.edges, self.truncated, self.refcounts = nodes, edges, truncated, refcounts

    def labels(self):
        out = []
        sizes = [sys.getsizeof(o, 0) for o in self.nodes]
        for o, size, rc in zip(self.nodes, sizes, self.refcounts):
            site = allocation_site(o)
            out.append("%s\n%s, refcount %d%s" % (describe_object(o), _fmt_bytes(size), rc,
                                                  ("\n" + site) if site else ""))
        return out

    def dot(self):
        def q(s):
            return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines = ["digraph backrefs {", '  node [shape=box, fontname="Helvetica", fontsize=10];']
        for i, text in enumerate(self.labels()):
            o = self.nodes[i]
            color = "#f6d5a8" if i == 0 else "#c9e4ca" if isinstance(o, (types.ModuleType, types.FrameType)) \
                else "#e8eef8"
            lines.append("  n%d [label=%s, style=filled, fillcolor=%s];" % (i, q(text), q(color)))
        for a, b in self.edges:
            lines.append("  n%d -> n%d [label=%s];" % (a, b, q(roots.label(self.nodes[a], self.nodes[b]).strip())))
        if self.truncated:
            lines.append('  more [label="(more referrers not drawn)", shape=plaintext];')
        lines.append("}")
        return "\n".join(lines) + "\n"


def allocation_site(o):
    """'file:line' where o was allocated, when memlens or tracemalloc traced it; else ''."""
    try:
        import memlens
        tb = memlens.get_object_traceback(o) if memlens.is_tracing() else None
        if tb is None:
            import tracemalloc
            tb = tracemalloc.get_object_traceback(o) if tracemalloc.is_tracing() else None
    except Exception:
        return ""
    return "%s:%d" % (tb[0].filename, tb[0].lineno) if tb else ""


def backrefs(obj, max_depth=3, filename=None, too_many=10, max_nodes=200):
    """The referrers of obj up to max_depth levels (at most too_many per object, max_nodes in all),
    as a Graph, drawn into filename when given: .dot is written as is, .png/.svg/.pdf through
    graphviz's `dot` (Debian package graphviz). Roots (modules, running frames) are not expanded."""
    targets = [obj]
    del obj
    res = _query(targets=targets, backrefs=max_depth, too_many=too_many, max_nodes=max_nodes)["backrefs"]
    del targets
    nodes, edges, truncated, refcounts, _expl = res
    g = Graph(nodes, edges, truncated, refcounts)
    if filename:
        _draw(g.dot(), os.fspath(filename))
    return g


def _draw(dot, filename):
    fmt = os.path.splitext(filename)[1].lstrip(".").lower() or "dot"
    d = os.path.dirname(os.path.abspath(filename))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".memlens-", suffix="." + fmt)
    os.close(fd)
    try:
        if fmt == "dot":
            with open(tmp, "w") as f:
                f.write(dot)
        else:
            try:
                subprocess.run(["dot", "-T" + fmt, "-o", tmp], input=dot.encode(), check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            except FileNotFoundError:
                raise RuntimeError("drawing %s needs graphviz's `dot` (apt-get install graphviz); "
                                   "or ask for a .dot file" % filename) from None
            except subprocess.CalledProcessError as e:
                raise RuntimeError("dot failed: %s" % e.stderr.decode(errors="replace").strip()) from None
        os.replace(tmp, filename)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ---- cyclic garbage ----

def garbage(limit=10000):
    """What only reference cycles keep alive right now (the next full collection frees it), without
    collecting: {"count", "bytes", "types": [TypeStat], "sample": [objects], "sizes": [bytes]}."""
    g = _query(garbage=True, garbage_limit=limit)["garbage"]
    g["types"] = sorted((TypeStat(type_name(t), n, b) for t, n, b in g["types"]), key=lambda s: -s.bytes)
    return g
