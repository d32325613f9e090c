"""memlens.objects: the census (counts and bytes, objects the gc does not track included), by_type,
growth, reference chains element by element, backrefs drawn, and the tool leaving the program's heap
as it found it. Each test runs one Python program per interpreter; its asserts are the checks."""
import os
import shutil
import subprocess
import textwrap

import pytest

import conftest

LIB = os.path.join(os.path.dirname(os.path.abspath(conftest.MEMLENS)), "lib")


def run_py(python, tmp_path, source, *args, timeout=120):
    """Runs source under the interpreter with build/lib on its path; its asserts are the checks."""
    prog = tmp_path / "prog.py"
    prog.write_text(textwrap.dedent(source))
    env = dict(conftest._san_env(), PYTHONPATH=LIB)
    proc = subprocess.run([python, str(prog), *args], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_census_counts_and_bytes(python, tmp_path):
    run_py(python, tmp_path, """
        import gc, sys
        from memlens import objects

        class Widget:
            def __init__(self, i):
                self.i = i

        class Sized:
            def __sizeof__(self):  # Python code: sized after the walk, through sys.getsizeof
                return 1000

        widgets = [Widget(i) for i in range(10000)]
        tags = ["tag-%d" % i for i in range(5000)]        # str: never tracked by the gc
        pairs = [(i, -i) for i in range(3000)]            # tuples of ints: untracked after a collection
        blobs = [bytes(100 + i) for i in range(500)]
        floats = [i / 7 for i in range(700)]
        sized = [Sized() for i in range(7)]
        gc.collect()
        assert not gc.is_tracked(tags[0]) and not gc.is_tracked(pairs[0])

        c = objects.census(shortnames=False)
        w = c["__main__.Widget"]
        assert (w.count, w.bytes) == (10000, 10000 * sys.getsizeof(widgets[0])), w
        s = c["__main__.Sized"]
        assert (s.count, s.bytes) == (7, 7 * sys.getsizeof(sized[0])), s
        assert c["tuple"].count >= 3000 and c["int"].count >= 3000 and c["str"].count >= 5000
        # every object of these types, sized in C, against sys.getsizeof one by one
        for name in ("bytes", "float"):
            objs = objects.by_type(name)
            assert (len(objs), sum(map(sys.getsizeof, objs))) == (c[name].count, c[name].bytes), name
        assert {id(x) for x in tags} <= {id(x) for x in objects.by_type("str")}
        assert {id(x) for x in pairs} <= {id(x) for x in objects.by_type("tuple")}
        top = objects.most_common_types(limit=3)
        assert all(a.count >= b.count for a, b in zip(top, top[1:])) and top[0].count >= 10000, top
        assert len(objects.by_type("Widget")) == 10000 == objects.count("__main__.Widget")
        assert objects.count("Sized") == 7
        # str and int, sized in C by shortcuts, against sys.getsizeof: every one of them
        odd = ["é" * 3, "日本", "x" * 1000, "a" + "b"] + [0, 1, -5, 2 ** 30, 2 ** 64, -2 ** 100, 10 ** 50]
        for name in ("str", "int"):
            objs = objects.by_type(name)
            stat = objects.census()[name]
            assert (stat.count, stat.bytes) == (len(objs), sum(map(sys.getsizeof, objs))), (name, stat, len(objs))
            del objs

        # the gc's objects only (objgraph's census): the same counts and bytes as gc.get_objects() shows,
        # type by type, once the objects of this check itself are left out
        def by_gc():
            out = {}
            for o in gc.get_objects():
                n, b = out.get(type(o), (0, 0))
                out[type(o)] = (n + 1, b + sys.getsizeof(o))
            return out
        mine = {t: (n, b) for t, n, b, _ in objects._query(census=True, untracked=False)["census"]}
        want = by_gc()
        own = {list, dict, tuple, type(sys._getframe()), type(by_gc), type(x for x in ()), type(by_gc.__code__)}
        differ = {t.__name__: (mine.get(t), want.get(t)) for t in set(mine) | set(want)
                  if mine.get(t) != want.get(t) and t not in own}
        assert not differ, differ
        assert mine[Widget] == (10000, 10000 * sys.getsizeof(widgets[0])) and mine[Sized][0] == 7, mine[Widget]
        assert mine[list][0] >= 6 and mine[type] == want[type], (mine[list], mine[type], want[type])
        # the query's own objects are taken back from the counts: ask it to leave out some of ours
        left = {t: (n, b) for t, n, b, _ in
                objects._query(census=True, untracked=False, ignore=widgets[:100] + sized[:2])["census"]}
        assert left[Widget] == (9900, 9900 * sys.getsizeof(widgets[0])), left[Widget]
        assert left[Sized] == (5, 5 * sys.getsizeof(sized[0])), left[Sized]   # sized by Python code, after
    """)


def test_growth_without_collection(python, tmp_path):
    run_py(python, tmp_path, """
        import gc, sys
        from memlens import objects

        class Leaf:
            pass

        class Node:
            def __init__(self):
                self.me = self      # a cycle: a forced collection would free it

        objects.growth()            # baseline
        gc.disable()
        junk = [Node() for _ in range(50)]
        del junk                    # garbage now, still in memory
        kept = [Leaf() for _ in range(1234)]
        g = {r.name: r for r in objects.growth(limit=0)}
        assert g["Leaf"].delta == 1234 and g["Leaf"].delta_bytes == 1234 * sys.getsizeof(kept[0]), g["Leaf"]
        assert g["Node"].count == 50, g.get("Node")   # not collected by growth()
        assert "Leaf" not in {r.name for r in objects.growth(limit=0)}   # no growth since
        g = {r.name: r for r in objects.growth(limit=0, collect=True)}
        assert objects.count("Node") == 0
    """)


# One object of each kind of holder: a module global, a class attribute, a mutable default, a closure.
HOLDERS = """
    import ctypes, gc, sys
    from memlens import objects

    class Item:
        pass

    history = [Item() for _ in range(3)]

    class Registry:
        instances = [Item()]

    def remember(x, seen=[]):
        seen.append(x)

    remember(Item())

    def make():
        events = [Item()]
        def handler():
            return events
        return handler

    handler = make()
"""

CHAINS = HOLDERS + """

    def types_of(chain):
        return [type(o).__name__ for o in chain]

    c = objects.find_chain(history[1], explain=True)
    assert types_of(c) == ["module", "dict", "list", "Item"], types_of(c)
    assert c[0] is sys.modules["__main__"] and c[1] is vars(sys.modules["__main__"]) and c[2] is history
    assert c.links == [".__dict__", "['history']", "[1]"], c.links
    assert (c.kind, c.name) == ("module_global", "__main__.history"), (c.kind, c.name)
    assert c.explained[-1] == 1   # history: the query's own references are left out
    assert c.refcounts[2] == c.explained[2] == 1   # the list: the module's dict only

    c = objects.find_chain(Registry.instances[0])
    assert types_of(c) == ["module", "dict", "type", "dict", "list", "Item"], types_of(c)
    assert (c.kind, c.name) == ("class_attr", "__main__.Registry.instances"), (c.kind, c.name)

    c = objects.find_chain(remember.__defaults__[0][0])
    assert types_of(c) == ["module", "dict", "function", "tuple", "list", "Item"], types_of(c)
    assert c.links[2:] == [".__defaults__", "[0]", "[0]"], c.links
    assert (c.kind, c.name) == ("default_arg", "remember.__defaults__[0]")

    c = objects.find_chain(handler.__closure__[0].cell_contents[0])
    assert types_of(c) == ["module", "dict", "function", "tuple", "cell", "list", "Item"], types_of(c)
    assert c.kind == "closure" and c.name.endswith("handler.__closure__[0] (events)"), c.name

    def running():
        mine = [Item()]
        return objects.find_chain(mine[0])

    c = running()
    assert c.kind == "frame_local" and types_of(c)[0] == "frame" and c.name == "running() local 'mine'", (c.kind, c.name)

    gc.disable()
    def cycle():
        a, b = Item(), Item()
        a.peer, b.peer = b, a
    cycle()
    c = [x for x in objects.find_chains(objects.by_type("Item")) if x.kind == "cycle"]
    assert len(c) == 2, [x.kind for x in objects.find_chains(objects.by_type("Item"))]
    # a.peer -> b, b.peer -> a (through the instances' __dict__ before 3.11)
    assert [t for t in types_of(c[0]) if t != "dict"] == ["Item", "Item", "Item"], types_of(c[0])
    assert [l for l in c[0].links if l != ".__dict__"] in ([".peer", ".peer"], ["['peer']", "['peer']"]), c[0].links

    def held():
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(Item()))   # an extension's missing DECREF
    held()
    c = [x for x in objects.find_chains(objects.by_type("Item")) if x.kind == "held_from_c"]
    assert len(c) == 1 and types_of(c[0]) == ["Item"] and c[0].refcounts == [1] and c[0].explained == [0], c
    assert "held from C" == c[0].kind_text and "Py_DECREF" in c[0].fix
"""


def test_chains_element_by_element(python, tmp_path):
    run_py(python, tmp_path, CHAINS)


def test_forward_search_agrees_with_the_index(python, tmp_path):
    """Chains are searched forward from the roots unless explain=True, which builds the referrer index:
    both must give the same shortest chain for every kind of holder, fall back to the index for what no
    root reaches (held from C, cycles), which alone counts every referrer (Chain.explained)."""
    run_py(python, tmp_path, HOLDERS + """
    table = {"k": Item()}
    shared = [Item()]

    gc.disable()
    def cycle():
        a, b = Item(), Item()
        a.peer, b.peer = b, a
    cycle()

    def summary(c):
        return (c.kind, c.name, [type(o).__name__ for o in c], c.refcounts)

    def running():
        mine = [Item()]
        also = [shared]              # a frame and a module reach shared[0] in 3 links each
        items = objects.by_type("Item") + [history[1], sys.modules["gc"]]   # a duplicate, a module
        # no chain outlives its summary: a chain held here would be a referrer for the next query
        fwd = [summary(c) + (c.explained,) for c in objects.find_chains(items)]
        idx = [summary(c) + (c.explained,) for c in objects.find_chains(items, explain=True)]
        # the same chains; a cycle's may differ by its __dict__s, materialized by labelling it (3.12+),
        # and a running frame's refcounts, as on 3.11-3.12 reading f_locals leaves a copy behind
        assert [c[0] for c in fwd] == [c[0] for c in idx], (fwd, idx)
        assert [c[:3] for c in fwd if c[0] != "cycle"] == [c[:3] for c in idx if c[0] != "cycle"], (fwd, idx)
        assert [c[3] for c in fwd if c[0] not in ("cycle", "frame_local")] == \
               [c[3] for c in idx if c[0] not in ("cycle", "frame_local")], (fwd, idx)
        # explained: not known to the forward search, counted by the index (the cycles: both)
        assert [c[4] is None for c in fwd] == [c[0] != "cycle" for c in fwd], fwd
        assert all(len(c[4]) == len(c[2]) for c in idx) and idx[1][4][0] >= 1 and idx[1][4][2:] == [1, 1], idx[1]
        kinds = sorted(c[0] for c in fwd)
        assert kinds.count("cycle") == 2 and "frame_local" in kinds and "default_arg" in kinds, kinds
        assert "__main__.shared" in [c[1] for c in fwd], fwd   # the module wins the tie
        assert fwd[-1][:3] == ("module_global", "gc", ["module"]), fwd[-1]
        assert fwd[-2] == fwd[1] and fwd[1][2] == ["module", "dict", "list", "Item"], fwd
        assert fwd[1][3][2:] == [1, 1], fwd[1]
        return len(items), also, mine

    n, _, _ = running()
    assert n == 13, n   # 11 Items, history[1] again, the gc module
    """)


def test_deep_chain_and_big_fan_in(python, tmp_path):
    run_py(python, tmp_path, """
        import sys
        from memlens import objects

        class Link:
            __slots__ = ("next",)

        head = Link()
        node = head
        for _ in range(50000):      # far deeper than the recursion limit
            node.next = Link()
            node = node.next
        node.next = None
        tail = [node]
        del node
        c = objects.find_chain(tail.pop())
        assert len(c) == 50001 + 2 and c.kind == "module_global", (len(c), c.kind)
        assert c.name.startswith("__main__.head.next.next") and "links)" in c.name, c.name
        assert set(c.links[2:500] + c.links[-500:]) == {".next"}, set(c.links)  # labelled at both ends
        assert objects.find_chain(head, max_depth=1) is not None
        c = objects.find_chain(head.next.next.next, max_depth=2)
        assert c.kind == "unknown", c.kind
    """)


def test_holder_without_tp_traverse(python, tmp_path):
    """A range holds its bounds but has no tp_traverse: what it holds is reached by nothing the walk
    can see, so the chain stops at the bound, "held from C", with its unexplained reference."""
    run_py(python, tmp_path, """
        import gc, sys
        from memlens import objects

        start = int("1" + "0" * 30)
        span = range(start, start + 5)
        assert not gc.is_tracked(span) and not type(span).__flags__ & (1 << 14)
        del start
        c = objects.find_chain(span.start)
        assert (c.kind, [type(o).__name__ for o in c]) == ("held_from_c", ["int"]), (c.kind, list(c))
        assert c.refcounts[0] > c.explained[0] == 0, (c.refcounts, c.explained)
        c = objects.find_chain(span)
        assert (c.kind, c.name) == ("module_global", "__main__.span"), (c.kind, c.name)
        objects.most_common_types()
    """)


def test_backrefs_drawn(python, tmp_path):
    run_py(python, tmp_path, """
        import os, shutil
        from memlens import objects

        class Item:
            pass

        a = Item()
        owners = [[a] for _ in range(30)]
        g = objects.backrefs(a, max_depth=3, filename="refs.dot", too_many=5)
        assert g.nodes[0] is a and g.truncated
        assert sum(1 for x, y in g.edges if y == 0) == 5       # too_many referrers drawn per object
        dot = open("refs.dot").read()
        assert dot.startswith("digraph") and "Item" in dot and "refcount" in dot and "->" in dot
        if shutil.which("dot"):
            objects.backrefs(a, filename="refs.svg")
            assert open("refs.svg").read().lstrip().startswith(("<?xml", "<svg"))
    """)


def test_heap_left_as_found(python, tmp_path):
    """No object kept alive by a query, reference counts unchanged, the gc's state restored, no
    collection run by a query."""
    run_py(python, tmp_path, """
        import gc, sys, weakref
        from memlens import objects

        class Item:
            pass

        x = Item()
        stash = [x]
        before = sys.getrefcount(x)
        runs = []
        gc.callbacks.append(lambda phase, info: runs.append((gc.isenabled(), phase)))
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            objects.most_common_types()
            objects.find_chain(x)
            objects.backrefs(x, filename=None)
            objects.garbage()
            objects.by_type("Item")
            assert gc.isenabled() is enabled
        gc.enable()
        assert sys.getrefcount(x) == before
        assert [r for r in runs if not r[0]] == [], runs   # with the gc off, nothing collected
        r = weakref.ref(x)
        del x, stash
        assert r() is None      # nothing of the tool's holds it
    """)


def test_dot_missing_is_a_clear_error(python, tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("graphviz not installed")
    run_py(python, tmp_path, """
        import os
        from memlens import objects
        os.environ["PATH"] = "/nonexistent"
        try:
            objects.backrefs(object(), filename="x.png")
        except RuntimeError as e:
            assert "graphviz" in str(e), e
            assert not os.path.exists("x.png")
    """)
