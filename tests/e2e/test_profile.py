"""memlens profile: call counts, times and bytes per function; pstats/speedscope/folded files; the
program's own status and output kept; partial profiles when it fails."""
import json
import marshal
import os
import pstats
import shutil
import subprocess

import pytest

from conftest import MEMLENS, _san_env

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024


@pytest.fixture
def prog(tmp_path):
    """Copies tests/e2e/prof/NAME into tmp_path; returns its path."""
    def copy(name):
        return shutil.copy(os.path.join(HERE, "prof", name), tmp_path / name)
    return copy


def functions(path):
    """--format json output: {name: function dict}."""
    with open(path) as f:
        doc = json.load(f)
    return {fn["qualname"]: fn for fn in doc["functions"]}, doc


def test_counts_recursion_memory_and_pstats(memlens, python, prog, tmp_path):
    prog("calls.py")
    r = memlens("profile", "--python", python, "-o", "out.prof", "calls.py", "x", "y")
    assert r.returncode == 0, r.stderr
    assert "calls done ['x', 'y']" in r.stdout  # the program's own output, argv
    # table: 1000 calls of leaf, recursion as cProfile prints it
    rows = {line.split()[-1]: line.split() for line in r.stdout.splitlines() if "calls.py:" in line}
    assert rows["calls.py:5(leaf)"][0] == "1000"
    assert rows["calls.py:9(fib)"][0] == "1973/1"
    # the file loads in pstats, unchanged, with callers
    st = pstats.Stats(str(tmp_path / "out.prof")).stats
    keys = {(os.path.basename(k[0]), k[2]): v for k, v in st.items()}
    cc, nc, tt, ct, callers = keys["calls.py", "leaf"]
    assert (cc, nc) == (1000, 1000)
    assert [v[1] for k, v in callers.items() if k[2] == "main"] == [1000]
    cc, nc, tt, ct, callers = keys["calls.py", "fib"]
    assert (cc, nc) == (1, 1973)
    assert ct >= tt * 0.999 and tt > 0  # fib calls only fib: equal but for rounding
    assert sum(v[1] for v in callers.values()) == 1973  # 1 from main, 1972 from itself
    assert keys["calls.py", "raiser"][1] == 50 and keys["calls.py", "catcher"][1] == 1
    # C functions as cProfile names them, with '~' for a file
    assert keys["~", "<built-in method builtins.exec>"][1] == 1


def test_memory_columns_exact(memlens, python, prog, tmp_path):
    prog("calls.py")
    r = memlens("profile", "--python", python, "-q", "-o", "out.json", "--format", "json", "calls.py")
    assert r.returncode == 0, r.stderr
    fns, doc = functions(tmp_path / "out.json")
    keep, drop = fns["keeps_10mib"], fns["drops_10mib"]
    for fn in (keep, drop):  # 10 MiB buffer plus the bytearray object
        assert 10 * MIB <= fn["allocated"] < 10 * MIB + 4096
        assert 10 * MIB <= fn["peak"] < 10 * MIB + 4096
    assert 10 * MIB <= keep["net"] < 10 * MIB + 4096  # kept: returned to main
    assert abs(drop["net"]) < 4096                      # dropped before returning
    assert fns["main"]["peak"] >= 20 * MIB             # kept 10 MiB while the other 10 MiB lived
    assert fns["leaf"]["ncalls"] == 1000


def test_generators_coroutines_threads(memlens, python, prog, tmp_path):
    prog("flows.py")
    r = memlens("profile", "--python", python, "-q", "-o", "out.json", "--format", "json", "flows.py")
    assert r.returncode == 0, r.stderr
    fns, _ = functions(tmp_path / "out.json")
    # a generator yielding 1,000 values is one call each time it is created
    assert fns["numbers"]["ncalls"] == 2
    # suspended time is not the generator's: the consumer slept 5 x 20 ms between values
    assert fns["slow_consumer"]["cumtime"] >= 0.09
    assert fns["numbers"]["cumtime"] < 0.05
    # coroutines: two awaits of 50 ms each, concurrently; the coroutine itself runs briefly
    assert fns["waiter"]["ncalls"] == 2
    assert fns["waiter"]["tottime"] < 0.04
    # threads (profiled from their first call): 2 x 100 calls
    assert fns["work"]["ncalls"] == 200


@pytest.mark.parametrize("body,code,how", [
    ("import sys\nsys.exit(3)", 3, "exit 3"),
    ("raise ValueError('boom')", 1, "exception ValueError"),
    ("import os, sys\nsys.stdout.flush()\nos._exit(7)", 7, "os._exit 7"),
])
def test_partial_profile_on_exit(memlens, python, tmp_path, body, code, how):
    (tmp_path / "p.py").write_text("def f():\n    return 1\nfor _ in range(10):\n    f()\n" + body + "\n")
    r = memlens("profile", "--python", python, "-o", "out.prof", "p.py")
    assert r.returncode == code
    assert "ended by %s" % how in r.stdout
    st = {k[2]: v for k, v in pstats.Stats(str(tmp_path / "out.prof")).stats.items()}
    assert st["f"][1] == 10
    if code == 1:
        assert "ValueError: boom" in r.stderr and "memlens" not in r.stderr.split("Traceback")[1]


def test_fork_child_writes_nothing(memlens, python, tmp_path):
    (tmp_path / "p.py").write_text(
        "import os\npid = os.fork()\nif pid == 0:\n    print('child')\n    raise SystemExit(0)\n"
        "os.waitpid(pid, 0)\nprint('parent')\n")
    r = memlens("profile", "--python", python, "p.py")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("memlens profile of p.py") == 1
    assert "child" in r.stdout and "parent" in r.stdout


def test_exports(memlens, python, prog, tmp_path):
    prog("calls.py")
    assert memlens("profile", "--python", python, "-q", "-o", "s.json", "--format", "speedscope",
                   "calls.py").returncode == 0
    doc = json.loads((tmp_path / "s.json").read_text())
    names = [f["name"] for f in doc["shared"]["frames"]]
    assert "leaf" in names and "fib" in names
    time_prof, alloc_prof = doc["profiles"]
    assert alloc_prof["unit"] == "bytes" and alloc_prof["endValue"] >= 20 * MIB
    assert len(time_prof["samples"]) == len(time_prof["weights"])
    assert memlens("profile", "--python", python, "-q", "-o", "f.txt", "--format", "folded",
                   "calls.py").returncode == 0
    lines = (tmp_path / "f.txt").read_text().splitlines()
    assert any(";fib (" in l and "calls.py:9)" in l for l in lines)
    assert all(int(l.rsplit(" ", 1)[1]) > 0 for l in lines)


def test_no_memory_and_sort(memlens, python, prog):
    prog("calls.py")
    r = memlens("profile", "--python", python, "--no-memory", "-s", "ncalls", "-n", "3", "calls.py")
    assert r.returncode == 0, r.stderr
    header = [l for l in r.stdout.splitlines() if l.startswith("ncalls")][0]
    assert "allocated" not in header
    first = r.stdout.splitlines()[r.stdout.splitlines().index(header) + 1]
    assert first.split()[0] == "1973/1"  # fib: most calls
    assert "more functions; -n 0 shows all" in r.stdout


@pytest.mark.parametrize("args,code,msg", [
    (["nosuch.py"], 2, "memlens: profile: nosuch.py: No such file or directory"),
    (["--bogus", "p.py"], 2, "memlens: profile: unknown option --bogus"),
    (["-s", "weird", "p.py"], 2, "memlens: profile: unknown sort key 'weird'"),
    ([], 2, "memlens: profile: no script given"),
    (["bad.py"], 1, "SyntaxError"),
])
def test_bad_input(memlens, tmp_path, args, code, msg):
    (tmp_path / "p.py").write_text("pass\n")
    (tmp_path / "bad.py").write_text("def f(:\n    pass\n")
    r = memlens("profile", *args)
    assert r.returncode == code
    assert msg in r.stderr
    assert not r.stdout


def test_in_process_api(python, tmp_path):
    (tmp_path / "p.py").write_text(
        "from memlens.profiler import Profile\n"
        "def f(): return [0] * 1000\n"
        "with Profile() as p:\n"
        "    for _ in range(30): f()\n"
        "s = {fn.name: fn for fn in p.stats().funcs.values()}\n"
        "print(s['f'].ncalls, s['f'].allocated >= 30 * 8000)\n")
    env = _san_env()
    env["PYTHONPATH"] = os.path.join(os.path.dirname(MEMLENS), "lib")
    r = subprocess.run([python, "p.py"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert r.stdout == "30 True\n", r.stderr
