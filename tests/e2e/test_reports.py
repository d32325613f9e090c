"""The report commands on real runs: the HTML page in headless chromium, the diff of a __slots__
optimisation, every export read back by its consumer where one is installed (scripts/deps.sh --reports
installs them), CI gates, bad input."""
import gzip
import json
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(__file__)
BROWSER = os.path.join(HERE, "browser")
MiB = 1 << 20

BEFORE = """\
class User:
    def __init__(self, i):
        self.id = i
        self.name = "user%d" % i
        self.email = "u%d@example.com" % i

rows = [User(i) for i in range(100000)]
"""
AFTER = BEFORE.replace("class User:\n", "class User:\n    __slots__ = ('id', 'name', 'email')\n")


def _run_both(trace, tmp_path):
    """The same prog.py before and after adding __slots__, as a user would run it twice."""
    b = trace(BEFORE)
    os.rename(b.path, tmp_path / "before.mlens")
    a = trace(AFTER)
    os.rename(a.path, tmp_path / "after.mlens")
    return tmp_path / "before.mlens", tmp_path / "after.mlens"


def _bytes(s):
    num, unit = s.lstrip("+-").split()
    return float(num) * {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]


def test_diff_shows_slots_shrinking(trace, memlens, tmp_path):
    before, after = _run_both(trace, tmp_path)
    d = memlens("diff", before, after, "--by", "function")
    assert d.returncode == 0, d.stderr
    assert "peak of the traced heap" in d.stdout
    # where the instances are created (the list comprehension, or <module> on 3.12+) shrinks: the
    # instance dicts are gone; the site is the first row, the largest change
    first = [ln for ln in d.stdout.splitlines() if "prog.py in" in ln][0]
    cells = first.split("  ")
    cells = [c.strip() for c in cells if c.strip()]
    peak_before, peak_after, change = _bytes(cells[0]), _bytes(cells[1]), cells[2]
    assert change.startswith("-") and peak_after < 0.9 * peak_before, d.stdout
    html = memlens("diff", before, after, "-o", tmp_path / "d.html")
    assert html.returncode == 0, html.stderr
    assert os.path.getsize(tmp_path / "d.html") < 2 * MiB
    if _browser_ready():
        p = subprocess.run(["node", os.path.join(BROWSER, "check_page.js"), str(tmp_path / "d.html")],
                           capture_output=True, text=True, timeout=120, env=dict(os.environ, SEARCH="__init__"))
        assert p.returncode == 0, p.stdout + p.stderr


def _browser_ready():
    return shutil.which("chromium") and os.path.isdir(os.path.join(BROWSER, "node_modules", "playwright-core"))


def test_exports_and_consumers(trace, memlens, tmp_path):
    t = trace(BEFORE)
    for fmt in ("pprof", "speedscope", "folded", "json", "csv"):
        r = memlens("export", t.path, "--format", fmt, "-o", tmp_path / ("out." + fmt))
        assert r.returncode == 0, r.stderr
    doc = json.load(open(tmp_path / "out.json"))
    assert doc["schema"] == "memlens-report" and doc["schema_version"] == 1
    assert doc["summary"]["peak_bytes"] >= 100000 * 48
    assert gzip.decompress(open(tmp_path / "out.pprof", "rb").read())
    folded = open(tmp_path / "out.folded").read().splitlines()
    assert all(line.rsplit(" ", 1)[1].isdigit() for line in folded)
    ss = json.load(open(tmp_path / "out.speedscope"))
    assert len(ss["profiles"]) == 3 and all(len(p["samples"]) == len(p["weights"]) for p in ss["profiles"])
    csv = open(tmp_path / "out.csv").read().splitlines()
    assert csv[0].startswith("stack_id,function,file,line")
    if _browser_ready() and os.path.isdir(os.path.join(BROWSER, "node_modules", "speedscope")):
        p = subprocess.run(["node", os.path.join(BROWSER, "check_speedscope.js"), str(tmp_path / "out.speedscope")],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0 and "speedscope" in p.stdout, p.stdout + p.stderr
    if not shutil.which("go"):
        pytest.skip("golang-go not installed (scripts/deps.sh --reports): go tool pprof not checked")
    top = subprocess.run(["go", "tool", "pprof", "-top", str(tmp_path / "out.pprof")], capture_output=True, text=True)
    assert top.returncode == 0 and "inuse_space" in top.stdout and "__init__" in top.stdout, top.stdout + top.stderr
    alloc = subprocess.run(["go", "tool", "pprof", "-top", "-sample_index=alloc_space", str(tmp_path / "out.pprof")],
                           capture_output=True, text=True)
    assert alloc.returncode == 0 and "alloc_space" in alloc.stdout, alloc.stdout + alloc.stderr


def test_html_in_chromium(trace, memlens, tmp_path):
    t = trace(BEFORE)
    r = memlens("report", t.path, "-o", tmp_path / "r.html")
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(tmp_path / "r.html") < 2 * MiB
    if not _browser_ready():
        pytest.skip("chromium or playwright-core missing (scripts/deps.sh --reports)")
    p = subprocess.run(["node", os.path.join(BROWSER, "check_page.js"), str(tmp_path / "r.html"),
                        str(tmp_path / "r.png")], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, SEARCH="__init__"))
    assert p.returncode == 0, p.stdout + p.stderr
    res = json.loads(p.stdout)
    assert res["frames"] > 2 and res["timeline_points"] > 1 and res["hits"] > 0
    assert "zoomed into" in res["zoom_crumbs"] and res["zoomed_width"] > 0.9 * res["fg_width"]
    assert os.path.getsize(tmp_path / "r.png") > 10000


def test_gates(trace):
    t = trace(BEFORE, opts=["--fail-peak", "1MiB"])
    assert t.returncode == 97, t.stderr
    assert "--fail-peak" in t.stderr and "prog.py" in t.stderr
    assert trace(BEFORE, opts=["--fail-peak", "10GiB"]).returncode == 0


def test_bad_capture(memlens, tmp_path):
    bad = tmp_path / "bad.mlens"
    bad.write_bytes(b"not a capture at all")
    for args in (["report", bad], ["export", bad, "--format", "json", "-o", "-"], ["diff", bad, bad]):
        r = memlens(*args)
        assert r.returncode == 1 and "bad.mlens" in r.stderr, r.stderr
    assert not os.path.exists(tmp_path / "bad.html")
    assert not [f for f in os.listdir(tmp_path) if ".tmp." in f]  # no half-written output left behind


def test_usage_errors(memlens, tmp_path):
    for args in (["export", "x.mlens", "-o", "-"], ["export", "x.mlens", "--format", "xml", "-o", "-"],
                 ["diff", "x.mlens"], ["flamegraph", "x.mlens", "--at", "sometime"],
                 ["run", "--fail-peak", "10XB", "x.py"], ["run", "--fail-exit-code", "300", "x.py"]):
        r = memlens(*args)
        assert r.returncode == 2 and "--help" in r.stderr, (args, r.stderr)
