"""What `memlens run` records: exact sizes at the right lines, the peak and its time, threads, deep
stacks. Numbers are checked against the capture through the reference reader (mlcapture.py), and the
report commands against those numbers."""
import os
import re

MiB = 1 << 20


def test_ten_mib_bytearray_at_its_line(trace, memlens):
    t = trace("""
        import time
        def make():
            return bytearray(10 * 1024 * 1024)
        keep = make()
        gone = make()
        del gone
    """)
    assert t.returncode == 0, t.stderr
    cap = t.capture
    assert cap.complete
    end = cap.by_line()
    assert abs(end[("prog.py", 4)] - 10 * MiB) <= 0.01 * 10 * MiB  # one alive at exit
    peak = cap.by_line("peak")
    assert abs(peak[("prog.py", 4)] - 20 * MiB) <= 0.01 * 20 * MiB  # both alive at the peak
    assert cap.peak["bytes"] >= 20 * MiB
    assert cap.peak["bytes"] == sum(b for b, _ in cap.peak_stacks.values())
    # the stack of the surviving block: make() called from line 5 of <module>
    sid = max(cap.stacks, key=lambda s: cap.stacks[s]["live_bytes"])
    frames = cap.frames(sid)
    assert [(os.path.basename(f), fn, ln) for f, fn, ln in frames] == [("prog.py", "make", 4),
                                                                        ("prog.py", "<module>", 5)]
    # the report commands say the same
    top = memlens("top", t.path, "--by", "line", "--at", "end", "-n", "3")
    assert top.returncode == 0, top.stderr
    first = [ln for ln in top.stdout.splitlines() if "prog.py:4" in ln]
    assert first and "10.0 MiB" in first[0], top.stdout
    leaks = memlens("leaks", t.path)
    assert leaks.returncode == 0 and "prog.py:4" in leaks.stdout and "10.0 MiB" in leaks.stdout, leaks.stdout


def test_counts_and_totals_are_exact(trace):
    t = trace("""
        blobs = [None] * 5000
        for i in range(5000):
            blobs[i] = bytes(1000)                   # line 4: 5,000 blocks, nothing else
        freed = [bytes(3000) for _ in range(100)]    # line 5
        del freed
    """)
    cap = t.capture
    size = 1000 + 33  # bytes object: 32-byte header + payload + NUL on 64-bit CPython
    line4 = [s for sid, s in cap.stacks.items() if cap.frames(sid) and cap.frames(sid)[0][2] == 4]
    # 3.8-3.10 make one small allocation of their own on that line (58 B, not a bytes object)
    assert 5000 <= sum(s["live_blocks"] for s in line4) <= 5001
    assert 5000 * size <= sum(s["live_bytes"] for s in line4) <= 5000 * size + 64
    assert 5000 <= sum(s["alloc_blocks"] for s in line4) <= 5001
    line5 = [s for sid, s in cap.stacks.items() if cap.frames(sid) and cap.frames(sid)[0][2] == 5]
    assert sum(s["alloc_bytes"] for s in line5) >= 100 * 3033
    assert sum(s["live_bytes"] for s in line5) < 3033  # every 3,000-byte object freed


def test_peak_time(trace):
    """The peak is stamped between the allocation that made it and the free that ended it, on the
    program's own clock (start_unix_ns in META + the peak's offset), however loaded the machine is."""
    t = trace("""
        import time
        time.sleep(0.3)
        t_alloc = time.time_ns()
        big = bytearray(64 * 1024 * 1024)
        time.sleep(0.3)
        t_free = time.time_ns()
        del big
        time.sleep(0.2)
        small = bytearray(8 * 1024 * 1024)
        print(t_alloc, t_free)
    """)
    cap = t.capture
    t_alloc, t_free = map(int, t.stdout.split())
    peak_at = int(cap.meta["start_unix_ns"]) + cap.peak["t"]
    tick = 5_000_000  # the tracker stamps peaks with the kernel's coarse clock
    assert t_alloc - tick <= peak_at <= t_free + tick, (t_alloc, peak_at, t_free)
    assert cap.peak["bytes"] >= 64 * 1024 * 1024
    assert cap.by_line("peak")[("prog.py", 5)] >= 64 * 1024 * 1024
    assert cap.by_line("peak").get(("prog.py", 10), 0) == 0
    # the timeline shows the rise and the fall
    heaps = [tk["heap"] for tk in cap.ticks]
    assert max(heaps) >= 64 * 1024 * 1024 and heaps[-1] < 20 * 1024 * 1024


def test_threads_get_their_own_stacks(trace):
    t = trace("""
        import threading
        def worker_a():
            return [bytearray(1000) for _ in range(2000)]
        def worker_b():
            return [bytearray(3000) for _ in range(2000)]
        out = {}
        ta = threading.Thread(target=lambda: out.setdefault("a", worker_a()))
        tb = threading.Thread(target=lambda: out.setdefault("b", worker_b()))
        ta.start(); tb.start(); ta.join(); tb.join()
    """)
    cap = t.capture
    by_func = {}
    for sid, s in cap.stacks.items():
        fr = cap.frames(sid)
        names = [fn.split(".")[-1] for _, fn, _ in fr]  # qualnames from 3.11 on, plain names before
        if any(n.endswith("worker_a") or n.endswith("worker_b") for n in names):
            assert not ({"worker_a", "worker_b"} <= set(names)), names
            key = "a" if "worker_a" in names else "b"
            by_func[key] = by_func.get(key, 0) + s["live_bytes"]
            assert "run" in names or "_bootstrap_inner" in names  # the thread's own entry frames
    assert 2000 * 1000 <= by_func["a"] < 2000 * 1100
    assert 2000 * 3000 <= by_func["b"] < 2000 * 3100


def test_deep_recursion_recorded_whole(trace):
    t = trace("""
        import sys
        sys.setrecursionlimit(5000)
        def down(n):
            if n == 0:
                return bytearray(1 << 20)
            return down(n - 1)
        keep = down(1000)
    """)
    cap = t.capture
    sid = max(cap.stacks, key=lambda s: cap.stacks[s]["live_bytes"])
    frames = cap.frames(sid)
    assert sum(1 for _, fn, _ in frames if fn == "down") == 1001
    assert frames[-1][1] == "<module>"


def test_max_depth_caps_stacks(trace):
    t = trace("""
        def down(n):
            return bytearray(1 << 20) if n == 0 else down(n - 1)
        keep = down(50)
    """, opts=["--max-depth", "5"])
    cap = t.capture
    assert cap.meta["max_depth"] == "5"
    assert max(len(cap.frames(s)) for s in cap.stacks) == 5
    sid = max(cap.stacks, key=lambda s: cap.stacks[s]["live_bytes"])
    assert [fn for _, fn, _ in cap.frames(sid)] == ["down"] * 5


def test_realloc_follows_the_block(trace):
    t = trace("""
        buf = bytearray()
        for i in range(2000):
            buf += b"x" * 1000            # line 4: grows by realloc
        assert len(buf) == 2_000_000
    """)
    cap = t.capture
    end = cap.by_line()
    assert 2_000_000 <= end[("prog.py", 4)] <= 2_000_000 * 1.13  # bytearray over-allocates by ~1/8


def test_meta_describes_the_run(trace, python):
    t = trace("print('hi')\n", "a b", "c")
    meta = t.capture.meta
    assert meta["argv"].split("\0")[1:] == ["a b", "c"]
    assert meta["argv"].split("\0")[0].endswith("prog.py")
    assert meta["mode"] == "exact" and int(meta["pid"]) > 0
    assert re.match(r"3\.\d+", meta["python_version"])
