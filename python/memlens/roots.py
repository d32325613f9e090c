"""What keeps an object alive, in words: the labels of a reference chain and the leak's kind.

A chain comes from the C layer (src/objects/chains.h) as objects from a root down to the target, with
how the chain ended: at a module, at a running frame, at an object held from C, or in a reference
cycle. This module names each link the way a reader would write it (``app.history[3]``,
``remember.__defaults__[0]``, ``handler.__closure__[0] (events)``), classifies the leak by what holds
it, and spells out the fix.

Kinds (``KINDS``): module global, unbounded cache, mutable default argument, closure cell, class
attribute, running frame's local, reference cycle, unclosed resource, held from C.

Labelling reads the chain's objects (dict items, a function's defaults, a frame's locals): O(size)
for each container in the chain, nothing for the rest of the heap. It runs no user code: attributes
are read from ``__dict__``/slots, never through ``getattr`` on arbitrary objects.
"""
import io
import sys
import types

KINDS = {
    "module_global": "module global",
    "cache": "unbounded cache",
    "default_arg": "mutable default argument",
    "closure": "closure cell",
    "class_attr": "class attribute",
    "frame_local": "running frame's local",
    "cycle": "reference cycle",
    "resource": "unclosed resource",
    "held_from_c": "held from C",
    "unknown": "unknown",
}

FIXES = {
    "module_global": "{name} only grows: bound it (collections.deque(maxlen=N)), remove entries once they are "
                     "done with, or hold them weakly (weakref.WeakSet / weakref.WeakValueDictionary).",
    "cache": "{name} is a cache without a bound: give it one (functools.lru_cache(maxsize=N), evict old "
             "entries), or let entries go with their users (weakref.WeakValueDictionary).",
    "default_arg": "{name} is a mutable default argument, created once and shared by every call: default to "
                   "None and create the container inside the function (if seen is None: seen = []).",
    "closure": "{name} is captured by a closure that lives on: do not capture the growing container, clear it, "
               "or capture a weak reference (weakref.ref) instead.",
    "class_attr": "{name} is a class attribute, alive as long as the class (for ever): make it per instance, "
                  "bound it, or hold the objects weakly (weakref.WeakSet / WeakKeyDictionary).",
    "frame_local": "{name} grows while its function runs: process in bounded batches, clear it as you go, or "
                   "yield results instead of collecting them.",
    "cycle": "only a reference cycle keeps these objects ({name}): the cyclic gc frees them late or never "
             "(gc disabled or rarely run). Break the cycle: hold the back-reference with weakref.ref / "
             "weakref.proxy, or clear it when done.",
    "resource": "{name} holds open resources that are never closed: use `with open(...) as f:` (or "
                "contextlib.closing / try-finally: close()), and drop them once closed.",
    "held_from_c": "{name}: a C extension holds references that no Python object explains: check the "
                   "extension's reference counting (a missing Py_DECREF) or its internal caches.",
    "unknown": "no root was reached within the search depth ({name}).",
}


def _short(o):
    t = type(o)
    return t.__qualname__ if t.__module__ in ("builtins", "__main__") else "%s.%s" % (t.__module__, t.__qualname__)


def _attr(link):
    """"['name']" -> ".name": a key of a namespace dict reads as an attribute."""
    if link.startswith("['") and link.endswith("']") and link[2:-2].isidentifier():
        return "." + link[2:-2]
    return link


def _find_in_dict(d, dst):
    try:
        items = list(d.items())
    except Exception:
        return None
    for k, v in items:
        if v is dst:
            return "[%r]" % (k,)
    for k, v in items:
        if k is dst:
            return "(key %r)" % (k,) if isinstance(k, (str, int)) else "(a key)"
    return None


def _find_in_seq(seq, dst):
    for i, v in enumerate(seq):
        if v is dst:
            return "[%d]" % i
    return None


def _slots(cls):
    for c in cls.__mro__:
        s = c.__dict__.get("__slots__", ())
        for name in (s,) if isinstance(s, str) else s:
            desc = c.__dict__.get(name)
            if isinstance(desc, types.MemberDescriptorType):
                yield name, desc


def _instance_dict(o):
    try:
        d = object.__getattribute__(o, "__dict__")
    except Exception:
        return None
    return d if isinstance(d, dict) else None


LABELLED = 500  # links labelled at each end of a chain


def frame_locals(frame):
    """The locals of a frame as a dict (a copy), without running the program's code."""
    try:
        return dict(frame.f_locals)
    except Exception:
        return {}


def label(src, dst):
    """How src refers to dst, as the text that follows src's name ('.name', '[3]', '.__defaults__')."""
    if isinstance(src, types.ModuleType):
        return ".__dict__" if getattr(src, "__dict__", None) is dst else ""
    if isinstance(src, types.FrameType):
        for k, v in frame_locals(src).items():
            if v is dst:
                return " local %r" % k
        return ""
    if isinstance(src, type):
        if _type_dict_is(src, dst):
            return ".__dict__"
        found = _find_in_dict(dict(src.__dict__), dst)
        if found:
            return _attr(found)
        return ".__mro__" if dst in src.__mro__ else ""
    if isinstance(src, types.FunctionType):
        for attr in ("__defaults__", "__kwdefaults__", "__closure__", "__globals__", "__dict__", "__code__"):
            if getattr(src, attr, None) is dst:
                return "." + attr
        return ""
    if isinstance(src, types.CellType):
        return ".cell_contents"
    if isinstance(src, types.MethodType):
        return ".__self__" if src.__self__ is dst else ".__func__"
    if isinstance(src, dict):
        return _find_in_dict(src, dst) or ""
    if isinstance(src, (list, tuple)):
        return _find_in_seq(src, dst) or ""
    if isinstance(src, (set, frozenset)):
        return " (member)"
    if type(src).__name__ == "deque":
        return _find_in_seq(src, dst) or ""
    if type(src).__name__ == "_lru_cache_wrapper":
        return " (cache)"
    d = _instance_dict(src)
    if d is not None:
        if d is dst:
            return ".__dict__"
        found = _find_in_dict(d, dst)
        if found:
            return _attr(found)
    for name, desc in _slots(type(src)):
        try:
            if desc.__get__(src, type(src)) is dst:
                return "." + name
        except Exception:
            pass
    if type(dst) is type and type(src) is dst:
        return ".__class__"
    return ""


def _qualname(o):
    return "%s.%s" % (o.__module__, o.__qualname__)


def _is_namespace(o, owner):
    """o is the __dict__ of owner (a module, class or instance)."""
    if isinstance(owner, (types.ModuleType, type)):
        return getattr(owner, "__dict__", None) is o or (isinstance(owner, type) and _type_dict_is(owner, o))
    return _instance_dict(owner) is o


def _type_dict_is(cls, o):
    # a class's __dict__ is a mappingproxy over the real dict that tp_traverse shows
    return isinstance(o, dict) and o.keys() == cls.__dict__.keys() and all(
        o[k] is cls.__dict__[k] for k in list(o)[:8])


def _open_resource(o):
    try:
        if isinstance(o, io.IOBase):
            return not o.closed
        sock = sys.modules.get("socket")
        if sock is not None and isinstance(o, sock.socket):
            return o.fileno() != -1
    except Exception:
        return False
    return False


def _holder(objs):
    """Index of the container that holds the target, skipping the target's own instance dict."""
    k = len(objs) - 2
    while k > 0 and isinstance(objs[k], dict) and _is_namespace(objs[k], objs[k - 1]) \
            and not isinstance(objs[k - 1], (types.ModuleType, type)):
        k -= 1
    return k


class _Links:
    """The labels of a chain's edges, each computed when first read: naming the holder reads the
    edges down to it; the last one (a container's index of the target: O(size of the container)) is
    only computed if asked for. A very long chain (a linked list) is labelled at both ends only."""

    def __init__(self, objs):
        self.objs, self.n, self.cache = objs, max(0, len(objs) - 1), {}

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        if i not in self.cache:
            far = LABELLED <= i < self.n - LABELLED
            self.cache[i] = "" if far else label(self.objs[i], self.objs[i + 1])
        return self.cache[i]

    def __iter__(self):
        return (self[i] for i in range(self.n))

    def __eq__(self, other):
        return list(self) == list(other)

    def __add__(self, other):
        return list(self) + list(other)

    def __repr__(self):
        return repr(list(self))


def describe(kind_c, objs):
    """(kind, name, links) for a chain from the C layer: kind a key of KINDS, name the holder as a
    reader would write it (app.history, remember.__defaults__[0]), links the label of each edge
    (links[i]: how objs[i] refers to objs[i+1])."""
    links = _Links(objs)
    if not objs or kind_c == "unknown":
        return "unknown", _short(objs[-1]) if objs else "?", links
    if kind_c == "external":
        return "held_from_c", "%s (refcount not explained by its referrers)" % _short(objs[0]), links
    if kind_c == "cycle":
        parts = [_short(o) + l for o, l in zip(objs, links + [""])]
        if len(parts) > 12:
            parts = parts[:5] + ["...(%d objects)..." % (len(parts) - 7)] + parts[-2:]
        return "cycle", " -> ".join(parts), links

    root = objs[0]
    if isinstance(root, types.ModuleType):
        kind, base = "module_global", root.__name__
    else:
        kind, base = "frame_local", "%s() at %s:%d" % (root.f_code.co_name, root.f_code.co_filename, root.f_lineno)
    segs = []  # what follows base: ".history", "[0]" ...
    holder = _holder(objs)
    for i in range(holder):  # the edges down to the holder name it
        src, dst, l = objs[i], objs[i + 1], links[i]
        if _is_namespace(dst, src):
            continue
        if isinstance(src, dict) and i > 0 and _is_namespace(src, objs[i - 1]):
            owner = objs[i - 1]
            if isinstance(owner, type):
                kind, base, segs = "class_attr", _qualname(owner), [_attr(l)]
            elif isinstance(owner, types.ModuleType):
                base, segs = owner.__name__, [_attr(l)]
            else:
                segs.append(_attr(l))
        elif isinstance(src, types.FrameType):
            kind, base, segs = "frame_local", "%s()%s" % (src.f_code.co_name, l), []
        elif isinstance(src, types.FunctionType) and l in (".__defaults__", ".__kwdefaults__"):
            kind, base, segs = "default_arg", src.__qualname__, [l]
        elif isinstance(src, types.FunctionType) and l == ".__closure__":
            kind, base, segs = "closure", src.__qualname__, [l]
        elif isinstance(src, tuple) and i > 0 and isinstance(objs[i - 1], types.FunctionType) \
                and src is objs[i - 1].__closure__:
            try:
                segs.append("%s (%s)" % (l, objs[i - 1].__code__.co_freevars[src.index(dst)]))
            except (ValueError, IndexError):
                segs.append(l)
        elif l == ".cell_contents":
            continue
        elif type(src).__name__ == "_lru_cache_wrapper":
            kind, base, segs = "cache", "%s (lru_cache)" % _qualname(src), []
        elif l.startswith((".", "[")):
            segs.append(l)
    if holder > 0 and holder < len(links) and isinstance(objs[holder], dict) \
            and _is_namespace(objs[holder], objs[holder - 1]):  # the target is itself an attribute
        owner = objs[holder - 1]
        if isinstance(owner, type):
            kind, base, segs = "class_attr", _qualname(owner), []
        elif isinstance(owner, types.ModuleType):
            base, segs = owner.__name__, []
        segs.append(_attr(links[holder]))
    if len(segs) > 12:  # a linked list: the head of the path, how many links, its end
        segs = segs[:6] + ["...(%d links)..." % (len(segs) - 8)] + segs[-2:]
    name = base + "".join(segs)
    target, hold = objs[-1], objs[holder]
    if _open_resource(target) or _open_resource(hold):
        kind = "resource"
    elif kind in ("module_global", "class_attr") and (
            any(type(o).__name__ == "_lru_cache_wrapper" for o in objs)
            or (isinstance(hold, dict) and not (holder > 0 and _is_namespace(hold, objs[holder - 1])))):
        kind = "cache"
    return kind, name, links


def fix(kind, name):
    return FIXES.get(kind, FIXES["unknown"]).format(name=name)
