"""The leak report (memlens.leaks) as text and as one self-contained HTML page.

Both render the JSON-ready dict of Report.data, so the CLI's text, the --json file and the --html page
say the same thing. The page has no script and loads nothing (inline CSS, inline SVG sparklines);
every string from the program is HTML-escaped. Bounded: the findings, chains and tables are the
report's own (top-N, long chains elided).
"""
import html as _html
import os

from memlens import _fmt

__all__ = ["text", "html"]


def _bytes(n):
    return _fmt.nbytes(int(round(n or 0)))


def _count(n):
    return _fmt.count(int(round(n or 0)))


_dur = _fmt.duration


def _short(path):
    try:
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else path
    except ValueError:
        return path


def _where(site):
    fn = site.get("function")
    return "%s:%d%s" % (_short(site["file"]), site["line"], (" in %s" % fn) if fn else "")


def _pause(s):
    return "%d µs" % s if s < 1000 else "%.1f ms" % (s / 1000.0)


# ---- text ----

def text(r):
    out = []
    w = out.append
    prog = " ".join(r.get("argv") or []) or "the program"
    w("memlens leaks: %s — %s; %s, %d snapshots, tracer %s"
      % (prog, r["message"], _dur(r["duration_s"]), r["points"], r["tracer"]))
    for note in r.get("notes", []):
        w("note: %s" % note)
    for i, f in enumerate(r["findings"], 1):
        w("")
        what = ("%s objects" % f["type"]) if f.get("type") else "memory"
        if f.get("part_of"):
            w("%d. %s — %s, grew %s: part of leak %d" % (i, _where(f["site"]), what, _bytes(f["growth_bytes"]),
                                                       f["part_of"]))
            continue
        w("%d. %s — %s, %s: %s" % (i, _where(f["site"]), what, f["kind_text"], f.get("holder") or "?"))
        w("   grew %s in %s (%s/s), %+d blocks (%s/s); now %s in %s blocks"
          % (_bytes(f["growth_bytes"]), _dur(r["duration_s"]), _bytes(f["rate_bytes_per_s"]),
             f["growth_count"], _count(f["rate_count_per_s"]), _bytes(f["bytes"]), _count(f["count"])))
        if f.get("type"):
            w("   %s: %s objects alive (%s), %+d over the run"
              % (f["type"], _count(f["type_count"]), _bytes(f["type_bytes"]), f["type_growth_count"]))
        if f["stack"]:
            w("   allocated at (most recent call last):")
            for fr in f["stack"][-6:]:
                w("     %s" % _where(fr))
        for s in f["samples"][:1]:
            w("   kept alive by (%s):" % s["kind_text"])
            for link in s["chain"]:
                if "elided" in link:
                    w("     ... %d more links" % link["elided"])
                    continue
                w("     %s%s   [refcount %d%s]" % (
                    link["object"], (" -> " + link["link"].strip()) if link["link"] else "",
                    link["refcount"], (", %s" % _short(link["site"])) if link["site"] else ""))
        w("   fix: %s" % f["fix"])
    g = r["gc"]
    w("")
    gens = ", ".join("gen%d %d×%s" % (x["generation"], x["collections"], (", max pause %s" % _pause(
        x["pause_max_s"] * 1e6)) if x["collections"] else "") for x in g["generations"])
    w("gc: %s; thresholds %s%s" % (gens or "no collections", tuple(g["thresholds"]),
                                  "" if g["enabled"] else "; gc DISABLED"))
    if g.get("freed_by_gc_bytes") and g["collected"]:
        w("   the cyclic gc freed %s (%s objects) that reference counting could not"
          % (_bytes(g["freed_by_gc_bytes"]), _count(g["collected"])))
    for c in g["cycles"][:5]:
        w("   %s creates reference cycles: ~%s objects/s, %s/s freed only by the gc"
          % (_where(c["site"]), _count(c["objects_per_s"]), _bytes(c["bytes_per_s"])))
    for row in g["garbage_list"][:5]:
        w("   gc.garbage holds %d %s" % (row["count"], row["type"]))
    a = g.get("arenas") or {}
    if a.get("watching"):
        w("pymalloc: %d arenas taken from the system, %d given back (%s each)"
          % (a["allocated"], a["freed"], _bytes(a["arena_size"]) if a["arena_size"] else "?"))
    return "\n".join(out) + "\n"


# ---- html ----

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1d2430;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#5a6474;margin-bottom:16px}
.card{border:1px solid #d9dee7;border-radius:8px;padding:12px 16px;margin:12px 0;background:#fff}
.kind{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#fde2c2;color:#7a3e00}
.kind.none{background:#d5f0d8;color:#185c24}
.site{font-family:ui-monospace,monospace;font-size:13px}
.num{font-variant-numeric:tabular-nums}
.chain{font-family:ui-monospace,monospace;font-size:12.5px;background:#f6f8fb;border-radius:6px;padding:8px 10px;margin:6px 0}
.chain div{white-space:pre-wrap}
.fix{background:#eef6ee;border-left:3px solid #3b8c45;padding:6px 10px;margin-top:8px}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid #e6e9ef;text-align:left}
th{color:#5a6474;font-weight:600}td.r,th.r{text-align:right}
svg{vertical-align:middle}.dim{color:#7a8494}.part{padding:6px 16px;color:#444}
summary{cursor:pointer}
"""


def _e(s):
    return _html.escape(str(s), quote=True)


def _spark(series, width=220, height=40):
    if len(series) < 2:
        return ""
    ts = [p[0] for p in series]
    ys = [p[1] for p in series]
    t0, t1, y1 = min(ts), max(ts), max(ys) or 1
    pts = " ".join("%.1f,%.1f" % ((t - t0) / ((t1 - t0) or 1) * (width - 2) + 1,
                                  height - 1 - y / y1 * (height - 2)) for t, y in zip(ts, ys))
    return ('<svg width="%d" height="%d" role="img" aria-label="live bytes over time">'
            '<polyline fill="none" stroke="#c2410c" stroke-width="1.6" points="%s"/></svg>' % (width, height, pts))


def _chains_html(w, samples):
    for s in samples:
        rows = []
        for link in s["chain"]:
            if "elided" in link:
                rows.append("<div>… %d more links</div>" % link["elided"])
                continue
            rows.append("<div>%s%s <span class=dim>[%s, refcount %d%s]</span></div>" % (
                _e(link["object"]), (" → " + _e(link["link"].strip())) if link["link"] else "",
                _e(_bytes(link["size"])), link["refcount"], (", " + _e(_short(link["site"]))) if link["site"] else ""))
        w("<div>kept alive by (%s):</div><div class=chain>%s</div>" % (_e(s["kind_text"]), "".join(rows)))


def html(r):
    p = []
    w = p.append
    prog = " ".join(r.get("argv") or []) or "program"
    w("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>")
    w('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">')
    w("<title>memlens leaks: %s</title><style>%s</style></head><body>" % (_e(prog), _CSS))
    w("<h1>memlens leaks</h1><div class=sub>%s — %s · %s, %d snapshots, tracer %s, Python %s</div>"
      % (_e(prog), _e(r["message"]), _e(_dur(r["duration_s"])), r["points"], _e(r["tracer"]), _e(r["python"])))
    if r["timeline"]:
        w("<div>traced heap over the run %s <span class=num>%s at the end</span></div>"
          % (_spark(r["timeline"], 320, 48), _e(_bytes(r["timeline"][-1][1]))))
    for note in r.get("notes", []):
        w("<div class=sub>note: %s</div>" % _e(note))
    w("<h2>Leaks</h2>")
    if not r["findings"]:
        w('<div class=card><span class="kind none">no leak</span> %s</div>' % _e(r["message"]))
    for i, f in enumerate(r["findings"], 1):
        what = ("%s objects" % f["type"]) if f.get("type") else "memory"
        if f.get("part_of"):  # a part of another leak: one line, the details folded
            w('<div class="card part"><details><summary><b>%d.</b> <span class=site>%s</span> — %s, %s: part of '
              'leak %d</summary>' % (i, _e(_where(f["site"])), _e(what), _e(_bytes(f["growth_bytes"])), f["part_of"]))
            _chains_html(w, f["samples"][:1])
            w("</details></div>")
            continue
        w("<div class=card>")
        w('<div><b>%d.</b> <span class=site>%s</span> — %s &nbsp;<span class=kind>%s</span> <span class=site>%s</span></div>'
          % (i, _e(_where(f["site"])), _e(what), _e(f["kind_text"]), _e(f.get("holder") or "")))
        w("<div class=num>grew <b>%s</b> (%s/s), %+d blocks (%s/s); now %s in %s blocks %s</div>"
          % (_e(_bytes(f["growth_bytes"])), _e(_bytes(f["rate_bytes_per_s"])), f["growth_count"],
             _e(_count(f["rate_count_per_s"])), _e(_bytes(f["bytes"])), _e(_count(f["count"])), _spark(f["series"])))
        if f["stack"]:
            w("<details><summary>allocated at (%d frames)</summary><div class=chain>%s</div></details>"
              % (len(f["stack"]), "".join("<div>%s</div>" % _e(_where(fr)) for fr in f["stack"])))
        _chains_html(w, f["samples"][:1])
        if len(f["samples"]) > 1:
            w("<details><summary>%d more sample objects</summary>" % (len(f["samples"]) - 1))
            _chains_html(w, f["samples"][1:])
            w("</details>")
        w("<div class=fix><b>fix:</b> %s</div></div>" % _e(f["fix"]))
    g = r["gc"]
    w("<h2>Garbage collector</h2><div class=card>")
    w("<div>thresholds %s, counts %s, %s</div>" % (_e(tuple(g["thresholds"])), _e(tuple(g["counts"])),
                                                  "enabled" if g["enabled"] else "<b>disabled</b>"))
    w("<table><tr><th>generation</th><th class=r>collections</th><th class=r>collected</th><th class=r>uncollectable</th>"
      "<th class=r>total pause</th><th class=r>p50</th><th class=r>p99</th><th class=r>max</th></tr>")
    for x in g["generations"]:
        pauses = ("—",) * 4 if not x["collections"] else (
            _dur(x["pause_total_s"]), "< " + _pause(x["pause_p50_us"]), "< " + _pause(x["pause_p99_us"]),
            _pause(x["pause_max_s"] * 1e6))
        w("<tr><td>%d</td><td class=r>%s</td><td class=r>%s</td><td class=r>%s</td><td class=r>%s</td>"
          "<td class=r>%s</td><td class=r>%s</td><td class=r>%s</td></tr>"
          % ((x["generation"], _count(x["collections"]), _count(x["collected"]), _count(x["uncollectable"]))
             + tuple(_e(p) for p in pauses)))
    w("</table>")
    if g.get("freed_by_gc_bytes") and g["collected"]:
        w("<p>The cyclic gc freed <b>%s</b> (%s objects) that reference counting could not.</p>"
          % (_e(_bytes(g["freed_by_gc_bytes"])), _e(_count(g["collected"]))))
    if g["cycles"]:
        w("<table><tr><th>these lines create reference cycles</th><th class=r>objects/s</th><th class=r>bytes/s</th></tr>")
        for c in g["cycles"]:
            w("<tr><td class=site>%s</td><td class=r>%s</td><td class=r>%s</td></tr>"
              % (_e(_where(c["site"])), _e(_count(c["objects_per_s"])), _e(_bytes(c["bytes_per_s"]))))
        w("</table><div class=fix><b>fix:</b> break the cycles with weakref.ref / weakref.proxy for the "
          "back-references, or clear them when done.</div>")
    for row in g["garbage_list"]:
        w("<div>gc.garbage holds %d %s: %s</div>" % (row["count"], _e(row["type"]), _e("; ".join(row["examples"]))))
    a = g.get("arenas") or {}
    pm = g.get("pymalloc_at_start") or {}
    w("</div><h2>pymalloc</h2><div class=card>")
    if a.get("watching"):
        w("<div>%d arenas taken from the system during the run, %d given back (%s each)</div>"
          % (a["allocated"], a["freed"], _e(_bytes(a["arena_size"])) if a["arena_size"] else "?"))
    if pm:
        w("<div>at start: %s arenas, %s pools in use, %s in allocated blocks</div>"
          % (_e(pm.get("arenas_allocated_current", "?")), _e(pm.get("pools_in_use", "?")),
             _e(_bytes(pm.get("bytes_in_allocated_blocks", 0)))))
    w("</div></body></html>\n")
    return "".join(p)
