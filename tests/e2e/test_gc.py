"""memlens.gcstats and the gc part of `memlens leaks run`: collections and pauses per generation,
memory only the cyclic gc frees (and the lines that build those cycles), gc.garbage, cyclic garbage
found without collecting, pymalloc's arenas and pools."""
import json

from test_objects import run_py


def test_watch_collections_and_pauses(python, tmp_path):
    run_py(python, tmp_path, """
        import gc, tracemalloc
        from memlens import gcstats

        class Node:
            def __init__(self):
                self.me = self
                self.blob = bytes(1000)

        tracemalloc.start()
        w = gcstats.GCWatch(meter=tracemalloc.get_traced_memory).start()
        gc.disable()
        for g in (0, 1, 2):
            for _ in range(100):
                Node()
            gc.collect(g)
        s = w.stats()
        w.stop()
        gens = s["generations"]
        assert [x["collections"] for x in gens] >= [1, 1, 1], gens
        assert sum(x["collected"] for x in gens) >= 300, gens
        assert all(sum(x["pause_hist_us"]) == x["collections"] for x in gens)
        assert all(x["pause_total_s"] > 0 and x["pause_max_s"] <= x["pause_total_s"] for x in gens)
        assert s["metered"] and sum(x["freed_bytes"] for x in gens) >= 300 * 1000, gens
        before = w.stats()["generations"][2]["collections"]
        gc.collect()
        assert w.stats()["generations"][2]["collections"] == before   # stopped: no longer counted
    """)


def test_cyclic_garbage_without_collecting(python, tmp_path):
    run_py(python, tmp_path, """
        import gc
        from memlens import objects

        class Node:
            def __init__(self):
                self.peer = None
                self.blob = bytes(1000)

        gc.collect()
        gc.disable()
        for _ in range(100):
            a, b = Node(), Node()
            a.peer, b.peer = b, a
        del a, b
        g = objects.garbage()
        nodes = [t for t in g["types"] if t.name == "Node"]
        assert nodes and nodes[0].count == 200, g["types"][:5]
        blobs = [t for t in g["types"] if t.name == "bytes"]
        assert blobs and blobs[0].count >= 200 and g["bytes"] >= 200 * 1000, g["types"][:5]
        assert sum(1 for o in g["sample"] if type(o) is Node) == 200
        del g, nodes, blobs
        assert gc.collect() >= 200
        assert not [t for t in objects.garbage()["types"] if t.name == "Node"]
    """)


def test_gc_garbage_pymalloc_arenas(python, tmp_path):
    run_py(python, tmp_path, """
        import gc, tracemalloc
        from memlens import gcstats

        class Node:
            def __init__(self):
                self.me = self

        p = gcstats.pymalloc()          # no allocator hook yet: pymalloc's own report
        assert p["arenas_allocated_current"] >= 1 and p["pools_in_use"] >= 1, p
        assert p["bytes_in_allocated_blocks"] > 0 and p["classes"]
        gcstats.watch_arenas()
        junk = [[i] for i in range(300000)]    # ~30 MiB of small blocks
        a = gcstats.arenas()
        assert a["allocated"] >= 5 and a["arena_size"] >= 256 * 1024, a
        del junk
        assert gcstats.arenas()["freed"] >= 1
        tracemalloc.start()
        assert gcstats.pymalloc() is None       # hidden by the hook
        tracemalloc.stop()
        gc.set_debug(gc.DEBUG_SAVEALL)
        Node(); Node()
        gc.collect()
        rows = {r["type"]: r for r in gcstats.gc_garbage()}
        assert rows["Node"]["count"] == 2 and len(rows["Node"]["examples"]) == 2, rows
        gc.set_debug(0)
        t = gcstats.thresholds()
        assert t["thresholds"] == list(gc.get_threshold()) and t["enabled"]
    """)


def test_leak_check_names_the_lines_that_build_cycles(memlens, python, tmp_path):
    """With the gc on, cycles are freed late, not leaked: no finding, but the gc section names the
    line that builds them and what the gc freed."""
    prog = tmp_path / "cycles.py"
    prog.write_text(
        "import memlens\n"
        "class Node:\n"
        "    def __init__(self):\n"
        "        self.peer = None\n"
        "        self.blob = bytes(500)\n"
        "def work():\n"
        "    a, b = Node(), Node()\n"
        "    a.peer, b.peer = b, a\n"
        "for i in range(20000):\n"
        "    work()\n"
        "    if i % 500 == 0:\n"
        "        memlens.mark('t')\n")
    out = tmp_path / "r.json"
    proc = memlens("leaks", "run", "--python", python, "--interval", "0", "--json", out, prog)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(out.read_text())
    assert r["status"] == "no_leaks", proc.stdout
    g = r["gc"]
    assert g["generations"][0]["collections"] >= 10
    assert g["collected"] >= 10000 and g["freed_by_gc_bytes"] >= 10000 * 500, g
    sites = [(c["site"]["file"], c["site"]["line"]) for c in g["cycles"]]
    assert (str(prog), 7) in sites, g["cycles"]
    top = g["cycles"][0]
    assert top["objects_per_s"] > 0 and top["bytes_per_s"] > 0 and "weakref" in top["fix"]
    assert "creates reference cycles" in proc.stdout
