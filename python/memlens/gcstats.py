"""memlens.gcstats — the cyclic gc and pymalloc over a run (the lessons' gc / weakref part, measured).

    w = GCWatch(meter=None); w.start(); ...; s = w.stats(); w.stop()
        per generation: collections, objects collected, uncollectable, pause times (total, max,
        log2 histogram with p50/p90/p99), and the traced memory each collection freed (memory only
        the cyclic gc gives back), from a C callback in gc.callbacks (src/objects/gcwatch.h)
    cycle_sites(garbage_by_site, freed_bytes, collected, duration)
        "these lines create cycles": the sites of the cyclic garbage seen, each with its share of
        what the gc freed over the run (an estimate: the gc does not say which objects it freed;
        the shares come from the garbage memlens.objects.garbage() finds at each snapshot)
    pymalloc()       pymalloc's own report (arenas, pools, blocks), parsed; None while an allocator
                     hook (tracemalloc, memlens) hides it
    arenas()         arenas taken from and given back to the system since watch_arenas()
    gc_garbage()     gc.garbage's contents, by type, with a few reprs
    thresholds()     gc.get_threshold(), gc.get_count(), gc.isenabled()
"""
import gc
import re

from memlens import _memlens

__all__ = ["GCWatch", "cycle_sites", "pymalloc", "watch_arenas", "arenas", "gc_garbage", "thresholds"]

BUCKETS = 24


def _percentile(hist, q):
    """Upper bound (µs) of the bucket holding quantile q of a log2 histogram (bucket i: [2^i, 2^(i+1)) µs)."""
    total = sum(hist)
    if not total:
        return 0
    seen = 0
    for i, n in enumerate(hist):
        seen += n
        if seen >= q * total:
            return 2 ** (i + 1)
    return 2 ** len(hist)


class GCWatch:
    """Counts every collection from start() to stop(). meter: a callable returning the traced bytes
    (e.g. tracemalloc.get_traced_memory), or None to use the memlens tracker when it traces."""

    def __init__(self, meter=None):
        self.meter = meter

    def start(self):
        _memlens.obj_gc_watch(self.meter)
        return self

    def stop(self):
        _memlens.obj_gc_unwatch()

    def stats(self):
        raw = _memlens.obj_gc_stats()
        gens = []
        for g, s in enumerate(raw["generations"]):
            gens.append({
                "generation": g,
                "collections": s["collections"],
                "collected": s["collected"],
                "uncollectable": s["uncollectable"],
                "pause_total_s": s["pause_ns"] / 1e9,
                "pause_max_s": s["max_pause_ns"] / 1e9,
                "pause_p50_us": _percentile(s["hist"], 0.5),
                "pause_p90_us": _percentile(s["hist"], 0.9),
                "pause_p99_us": _percentile(s["hist"], 0.99),
                "pause_hist_us": s["hist"],
                "freed_bytes": s["freed_bytes"] if raw["metered"] else None,
            })
        return {"generations": gens, "metered": raw["metered"]}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def cycle_sites(garbage_by_site, freed_bytes, collected, duration):
    """[{site, objects, bytes, share, objects_per_s, bytes_per_s}] from the cyclic garbage seen per
    site ({(file, line, function): [objects, bytes]}) and what the gc freed over the run."""
    total = sum(b for _, b in garbage_by_site.values()) or 1
    out = []
    for site, (n, b) in garbage_by_site.items():
        share = b / total
        out.append({
            "site": {"file": site[0], "line": site[1], "function": site[2]},
            "garbage_objects_seen": n,
            "garbage_bytes_seen": b,
            "share": share,
            "objects_per_s": share * collected / duration if duration > 0 else 0.0,
            "bytes_per_s": share * freed_bytes / duration if duration > 0 and freed_bytes else 0.0,
        })
    out.sort(key=lambda r: -r["garbage_bytes_seen"])
    return out


_LINE = re.compile(r"^#\s*(.+?)\s*=\s*([\d,]+)\s*$")
_UNUSED = re.compile(r"^(\d[\d,]*) unused pools \* (\d[\d,]*) bytes\s*=\s*([\d,]+)")
_CLASS = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")


def parse_pymalloc(text):
    """The numbers of sys._debugmallocstats()'s report: every '# name = value' line (spaces become
    underscores), the unused pools, and per size class the pools and blocks in use."""
    out = {"classes": []}
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            key = re.sub(r"[^a-z0-9]+", "_", m.group(1).lower()).strip("_")
            out.setdefault(key, int(m.group(2).replace(",", "")))
            continue
        m = _UNUSED.match(line)
        if m:
            out["unused_pools"] = int(m.group(1).replace(",", ""))
            out["pool_size"] = int(m.group(2).replace(",", ""))
            continue
        m = _CLASS.match(line)
        if m:
            cls, size, pools, used, avail = (int(x) for x in m.groups())
            out["classes"].append({"class": cls, "size": size, "pools": pools, "blocks_in_use": used,
                                   "blocks_available": avail})
    out["pools_in_use"] = sum(c["pools"] for c in out["classes"])
    return out


def pymalloc():
    """pymalloc's report, parsed (parse_pymalloc), or None when an allocator hook hides it."""
    text = _memlens.obj_pymalloc_text()
    return parse_pymalloc(text) if text else None


def watch_arenas():
    """Count pymalloc's arenas from now on (see arenas())."""
    _memlens.obj_arenas_watch()


def arenas():
    """{"allocated", "freed", "in_use_delta", "arena_size"}: arenas taken from / given back to the
    system since watch_arenas()."""
    s = _memlens.obj_arenas_stats()
    s["in_use_delta"] = s["allocated"] - s["freed"]
    return s


def gc_garbage(limit=5):
    """gc.garbage (objects the gc found unreachable but could not free), by type, with a few reprs."""
    by_type = {}
    for o in list(gc.garbage):
        name = type(o).__qualname__
        row = by_type.setdefault(name, {"type": name, "count": 0, "examples": []})
        row["count"] += 1
        if len(row["examples"]) < limit:
            try:
                row["examples"].append(repr(o)[:120])
            except Exception:
                row["examples"].append("<%s>" % name)
    return sorted(by_type.values(), key=lambda r: -r["count"])


def thresholds():
    return {"thresholds": list(gc.get_threshold()), "counts": list(gc.get_count()), "enabled": gc.isenabled()}
