"""How memlens.leaks decides: which allocation lines keep growing, which objects are theirs, what keeps
those alive, and what the gc did — from the points a LeakCheck collected. Returns the report as a
JSON-ready dict (the Report's data).

  - growth (`grows`): a line is reported when its live bytes end at least min_growth above where they
    were after the first interval, rose in at least half of the intervals and fell in at most a quarter
    of the rises, rose in the second half too, and end within 10% of their highest;
  - samples: objects of the types that grew (census at the first and last walks), PER_TYPE of each at
    most, whose allocation line is a growing line — the program's own types before builtins;
  - chains: one heap walk for every sample (memlens.objects.find_chains), the samples held by one list
    only (any other container of ours would show as a referrer nothing explains);
  - parts: a finding whose objects are held by another finding's objects, or by the same holder, is
    "part of" that leak;
  - gc: per generation counts and pauses (memlens.gcstats), and the lines whose cyclic garbage was seen
    at snapshots, sharing what the gc freed.
Cost: two heap walks (the grown types' objects, then the chains; the types come from the end point's
walk) and a traceback lookup per object
looked at (at most PER_TYPE per grown type).
"""
import os
import sys

from memlens import gcstats, objects, roots

PER_TYPE = 3000  # objects of a grown type whose allocation site is looked up
_HERE = os.path.dirname(os.path.abspath(__file__))


def own_file(filename):
    return filename.startswith(_HERE + os.sep) or filename.endswith(("tracemalloc.py", "linecache.py"))


def newest(tb):
    """The allocating frame: Traceback objects (memlens's and tracemalloc's) go oldest to newest."""
    return tb[-1]


def _slope(ts, ys):
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    var = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / var if var > 0 else 0.0


def grows(series, min_growth):
    """A line keeps growing: up in most intervals, up in the second half, ending near its top."""
    n = len(series)
    if n < 3:
        return False
    base = series[1] if n >= 5 else series[0]  # the first interval is often start-up
    ups = sum(1 for a, b in zip(series, series[1:]) if b > a)
    downs = sum(1 for a, b in zip(series, series[1:]) if b < a)
    return (series[-1] - base >= min_growth and ups >= max(2, (n - 1) // 2) and downs * 4 <= ups
            and series[-1] > series[n // 2] and series[-1] >= 0.9 * max(series))


def _frames_of(tb):
    """The stack, outermost first, without memlens's own frames and the runner's."""
    frames = [{"file": f.filename, "line": f.lineno} for f in tb
              if not own_file(f.filename) and not f.filename.startswith("<frozen runpy")]
    if frames and frames[0]["file"] == "<string>":  # `memlens leaks run`'s python -c
        del frames[0]
    return frames


def _function_of(filename, lineno):
    """The function holding a line, from the source (tracebacks carry no names): the nearest `def`
    above it that is less indented; '<module>' at the top level; '' when the source is not there."""
    import linecache
    line = linecache.getline(filename, lineno)
    if not line:
        return ""
    indent = len(line) - len(line.lstrip())
    for ln in range(lineno - 1, 0, -1):
        text = linecache.getline(filename, ln)
        stripped = text.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(text) - len(stripped)
        if depth < indent:
            if stripped.startswith(("def ", "async def ")):
                return stripped.split("def ", 1)[1].split("(", 1)[0]
            indent = depth  # a class or a block: keep looking outwards
        if indent == 0:
            break
    return "<module>"


def _type_name(t):
    return objects.type_name(t, shortnames=False)


def analyse(check):
    pts = check.points
    duration = pts[-1].t - pts[0].t if pts else 0.0
    rep = {
        "memlens_leaks": 1,
        "python": sys.version.split()[0],
        "argv": list(sys.argv),
        "tracer": "memlens" if check.tm.__name__ == "memlens.tracemalloc" else check.tm.__name__,
        "duration_s": duration,
        "points": len(pts),
        "min_growth": check.min_growth,
        "findings": [],
        "timeline": [[round(p.t, 4), p.traced] for p in pts],
    }
    rep["gc"] = _gc_section(check, duration)
    rep["notes"] = []
    if check.tm.__name__ == "tracemalloc" and sys.version_info[:2] == (3, 11):
        rep["notes"].append("tracemalloc in Python 3.11 cannot tell where instances of classes with a managed "
                            "__dict__ were allocated: their leaks show without sample objects; the memlens "
                            "tracer (the default) can")
    if len(pts) < 3:
        rep["status"] = "too_short"
        rep["message"] = ("only %d snapshot%s: growth needs at least 3 (run longer, lower --interval, call "
                          "memlens.mark() in the loop, or use --around module:function)"
                          % (len(pts), "" if len(pts) == 1 else "s"))
        return rep

    keys = set()
    for p in pts:
        keys.update(p.lines)
    growing = []
    for key in keys:
        series = [p.lines.get(key, (0, 0))[0] for p in pts]
        if grows(series, check.min_growth):
            counts = [p.lines.get(key, (0, 0))[1] for p in pts]
            growing.append((series[-1] - series[0], key, series, counts))
    growing.sort(key=lambda g: -g[0])
    growing = growing[:check.max_findings]

    walked = [p for p in pts if p.census is not None]
    first, last = walked[0].census, walked[-1].census
    grown_types = sorted((t for t in last if last[t][0] > first.get(t, (0, 0))[0]),
                         key=lambda t: -(last[t][1] - first.get(t, (0, 0))[1]))[:20]  # type names

    findings = []
    samples = _samples(check, [g[1] for g in growing], set(grown_types)) if growing else {}
    ts = [p.t for p in pts]
    for growth, key, series, counts in growing:
        row = pts[-1].lines.get(key) or [series[-1], counts[-1], None, 0]
        tb = row[2]
        f = {
            "site": {"file": key[0], "line": key[1], "function": _function_of(key[0], key[1])},
            "stack": _frames_of(tb) if tb is not None else [],
            "bytes": series[-1],
            "count": counts[-1],
            "growth_bytes": growth,
            "growth_count": counts[-1] - counts[0],
            "rate_bytes_per_s": _slope(ts, series),
            "rate_count_per_s": _slope(ts, counts),
            "series": [[round(t, 4), s] for t, s in zip(ts, series)],
        }
        for fr in f["stack"]:
            fr["function"] = _function_of(fr["file"], fr["line"])
        t, objs = samples.get(key, (None, []))
        if t is not None:
            f["type"] = t
            f["type_count"], f["type_bytes"] = last.get(t, (0, 0))
            f["type_growth_count"] = last.get(t, (0, 0))[0] - first.get(t, (0, 0))[0]
        else:
            f["type"] = None
        f["samples"] = []
        findings.append((f, objs))

    # the samples go into one list, the only container of ours that holds them (the query ignores it;
    # any other would show as a referrer that nothing explains)
    flat, counts = [], []
    for _, objs in findings:
        flat.extend(objs)
        counts.append(len(objs))
        objs.clear()
    samples.clear()
    chains = objects.find_chains(flat, explain=True) if flat else []  # the report shows referrers
    del flat
    i = 0
    for (f, _), n in zip(findings, counts):
        for c in chains[i:i + n]:
            if c is not None:
                f["samples"].append(_chain_json(c, check.tm))
        i += n
        best = next((s for s in f["samples"]), None)
        if best is not None:
            f["kind"], f["kind_text"], f["holder"], f["fix"] = best["kind"], best["kind_text"], best["holder"], best["fix"]
        else:
            f["kind"], f["kind_text"], f["holder"] = "unknown", roots.KINDS["unknown"], ""
            f["fix"] = "no live object of a grown type was allocated on this line (the growth may be a "\
                       "container's buffer: see the objects appended here)"
        rep["findings"].append(f)
    del chains, findings
    _mark_secondary(rep["findings"])
    rep["status"] = "leaks" if rep["findings"] else "no_leaks"
    n_leaks = sum(1 for f in rep["findings"] if "part_of" not in f)
    n_sites = len(rep["findings"])
    rep["message"] = ("%d leak%s (%d growing allocation site%s)" % (n_leaks, "" if n_leaks == 1 else "s", n_sites,
                                                                  "" if n_sites == 1 else "s")
                      if n_sites else "no allocation site kept growing over %d snapshots" % len(pts))
    rep["types_grown"] = [{"type": t, "count": last[t][0], "bytes": last[t][1],
                           "growth_count": last[t][0] - first.get(t, (0, 0))[0],
                           "growth_bytes": last[t][1] - first.get(t, (0, 0))[1]} for t in grown_types[:10]]
    return rep


def _mark_secondary(findings):
    """A finding whose objects belong to another finding's leak — held by that finding's objects
    (the ints inside leaked records), or kept by the same holder (a cache's keys beside its values) —
    gets "part_of" (1-based) and that finding's kind. Findings of the program's own types are taken
    as the primary ones before builtin types (list, str, int ...)."""
    sites = {(f["site"]["file"], f["site"]["line"]): i for i, f in enumerate(findings)}

    def builtin(f):
        return "." not in (f.get("type") or "")

    primaries = []
    for i in sorted(range(len(findings)), key=lambda i: (builtin(findings[i]), i)):
        f, owner = findings[i], None
        for s in f["samples"][:1]:
            for link in s["chain"][:-1]:
                file, _, line = link.get("site", "").rpartition(":")
                j = sites.get((file, int(line))) if line.isdigit() else None
                if j in primaries:
                    owner = j
                    break
        if owner is None:
            owner = next((j for j in primaries if f.get("holder") and findings[j].get("holder") == f["holder"]
                          and findings[j]["kind"] == f["kind"]), None)
        if owner is None:
            primaries.append(i)
            continue
        g = findings[owner]
        f["part_of"] = owner
        f["kind"], f["kind_text"], f["holder"] = g["kind"], g["kind_text"], g["holder"]
    # the leaks first, their parts after; part_of becomes the leak's 1-based number in that order
    order = sorted(range(len(findings)), key=lambda i: ("part_of" in findings[i], i))
    number = {old: new + 1 for new, old in enumerate(order)}
    findings[:] = [findings[i] for i in order]
    for f in findings:
        if "part_of" in f:
            f["part_of"] = number[f["part_of"]]
            f["fix"] = "part of leak %d: %s" % (f["part_of"], findings[f["part_of"] - 1]["fix"])


def _samples(check, keys, names):
    """{site key: (type name, [objects])}: for each growing line, objects of a grown type allocated
    there (the most common such type), at most check.samples of them."""
    types_ = tuple(t for t in check._types if _type_name(t) in names)  # from the last walk (the end)
    if not types_:
        return {}
    objs = objects._query(select=types_, ignore=check._own_objects())["selected"]
    del types_
    wanted = set(keys)
    by_type_all = {}
    for o in objs:
        by_type_all.setdefault(type(o), []).append(o)
    objs.clear()
    found = {}
    for t, lst in by_type_all.items():  # at most PER_TYPE lookups a type: a stride through its objects
        name = _type_name(t)
        for o in lst[::max(1, len(lst) // PER_TYPE)]:
            tb = check.tm.get_object_traceback(o)
            if tb is None:
                continue
            fr = newest(tb)
            key = (fr.filename, fr.lineno)
            if key in wanted:
                found.setdefault(key, {}).setdefault(name, []).append(o)
        lst.clear()
    by_type_all.clear()
    objs.clear()
    out = {}
    for key, by_type in found.items():
        # the program's own types first (a record, a file), then the builtins they are made of
        t, lst = max(by_type.items(), key=lambda kv: ("." in kv[0], len(kv[1])))
        out[key] = (t, lst[-check.samples:])  # the gc lists the youngest first: these are older ones
        by_type.clear()
    return out


def _chain_json(c, tm):
    links = []
    for i, o in enumerate(c):
        tb = None
        try:
            tb = tm.get_object_traceback(o)
        except Exception:
            pass
        links.append({
            "object": objects.describe_object(o),
            "type": _type_name(type(o)),
            "size": sys.getsizeof(o, 0),
            "refcount": c.refcounts[i],
            "referrers_seen": c.explained[i],
            "link": c.links[i] if i < len(c.links) else "",
            "site": ("%s:%d" % (newest(tb).filename, newest(tb).lineno)) if tb else "",
        })
    if len(links) > 40:  # a deep chain: its root end and its target end
        links = links[:20] + [{"elided": len(links) - 40}] + links[-20:]
    return {"kind": c.kind, "kind_text": c.kind_text, "holder": c.name, "fix": c.fix, "chain": links,
            "length": len(c)}


def _gc_section(check, duration):
    s = check._gc.stats() if check._gc else {"generations": [], "metered": False}
    garbage = {}
    for p in check.points:
        for k, (n, b) in (p.garbage or {}).items():
            row = garbage.setdefault(k, [0.0, 0.0])
            row[0] += n
            row[1] += b
    for k in list(garbage):
        garbage[(k[0], k[1], _function_of(k[0], k[1]))] = garbage.pop(k)
    freed = sum(g["freed_bytes"] or 0 for g in s["generations"]) if s["metered"] else 0
    collected = sum(g["collected"] for g in s["generations"])
    # sites that build cycles the gc actually freed (with the gc off, nothing is: the leak findings
    # show those cycles instead)
    cycles = [c for c in gcstats.cycle_sites(garbage, freed, collected, duration)
              if c["share"] >= 0.01 and c["objects_per_s"] >= 1][:10] if collected else []
    for c in cycles:
        c["fix"] = roots.fix("cycle", "%s:%d" % (c["site"]["file"], c["site"]["line"]))
    return {
        "generations": s["generations"],
        "freed_by_gc_bytes": freed if s["metered"] else None,
        "collected": collected,
        "cycles": cycles,
        "garbage_list": gcstats.gc_garbage(),
        **gcstats.thresholds(),
        "pymalloc_at_start": _pymalloc_summary(check._pymalloc_before),
        "pymalloc_now": _pymalloc_summary(gcstats.pymalloc()),
        "arenas": gcstats.arenas(),
    }


def _pymalloc_summary(p):
    if not p:
        return None
    keep = ("arenas_allocated_total", "arenas_reclaimed", "arenas_highwater_mark", "arenas_allocated_current",
            "bytes_in_allocated_blocks", "bytes_in_available_blocks", "pools_in_use", "unused_pools", "pool_size")
    return {k: p[k] for k in keep if k in p}


