"""memlens leaks run: one small program per leak kind (tests/e2e/leaks/), each must be reported at the
line marked `# LEAK`, with the leaked objects' type and the leak's kind; the program that does not
leak must get no report. Under every interpreter, through the real CLI."""
import json
import os
import re
import subprocess
import sys

import pytest

import conftest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "leaks")

# program: (type of the leaked objects, kind, a piece of the holder's name)
EXPECTED = {
    "module_global": ("__main__.Record", "module_global", "history"),
    "cache": ("__main__.Result", "cache", "_results"),
    "default_arg": ("__main__.Item", "default_arg", "remember.__defaults__[0]"),
    "closure": ("__main__.Event", "closure", "handler.__closure__[0] (events)"),
    "class_attr": ("__main__.Session", "class_attr", "Session.registry"),
    "frame_local": ("__main__.Job", "frame_local", "worker() local 'seen'"),
    "cycle": ("__main__.Node", "cycle", "Node"),
    "resource": (("_io.FileIO", "_io.BufferedReader"), "resource", "open_files"),
    "held_from_c": ("__main__.Blob", "held_from_c", "Blob"),
}


def _spread():
    """The interpreters for the checks of the runner's behaviour (exit paths, options, outputs): the
    first one given (Debian's), and the oldest and newest of the others. The leak kinds themselves
    run under every interpreter."""
    def version(p):
        out = subprocess.run([p, "-c", "import sys; print(sys.version_info[0] * 100 + sys.version_info[1])"],
                             capture_output=True, text=True)
        return int(out.stdout or 0)
    rest = sorted(conftest.PYTHONS[1:], key=version)
    return conftest.PYTHONS[:1] + [p for p in (rest[:1] + rest[-1:]) if p not in conftest.PYTHONS[:1]]


SPREAD = list(dict.fromkeys(_spread()))


@pytest.fixture(params=SPREAD, ids=conftest._label)
def spread(request):
    return request.param


_RUNS = {}


def leak_lines(name):
    with open(os.path.join(PROGRAMS, name + ".py")) as f:
        return {i for i, line in enumerate(f, 1) if "# LEAK" in line}


def run_check(memlens, python, tmp_path, name, *opts):
    if not opts and (python, name) in _RUNS:  # one run serves every test that reads its report
        return _RUNS[python, name]
    out = tmp_path / ("%s.json" % name)
    proc = memlens("leaks", "run", "--python", python, "--interval", "0", "--json", out, *opts,
                   os.path.join(PROGRAMS, name + ".py"))
    assert proc.returncode == 0, proc.stderr
    with open(out) as f:
        result = json.load(f), proc
    if not opts:
        _RUNS[python, name] = result
    return result


def primaries(report):
    return [f for f in report["findings"] if "part_of" not in f]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_leak_kind(memlens, python, tmp_path, name):
    want_type, want_kind, want_holder = EXPECTED[name]
    report, proc = run_check(memlens, python, tmp_path, name)
    assert report["status"] == "leaks", proc.stdout
    found = primaries(report)
    assert found, proc.stdout
    lines = leak_lines(name)
    for f in found:  # every leak reported is the program's leak, nothing else
        assert f["site"]["file"] == os.path.join(PROGRAMS, name + ".py")
        assert f["site"]["line"] in lines, (f["site"], proc.stdout)
        assert f["type"] in (want_type if isinstance(want_type, tuple) else (want_type,)), proc.stdout
        assert f["kind"] == want_kind, proc.stdout
        assert want_holder in f["holder"], f["holder"]
        assert f["growth_bytes"] >= 64 * 1024 and f["rate_bytes_per_s"] > 0
        assert f["samples"] and f["samples"][0]["kind"] == want_kind
        chain = f["samples"][0]["chain"]
        assert chain[-1]["type"] == f["type"]  # the chain ends at a sample object
        assert f["fix"]
    # the text report on stdout says the same
    first = found[0]
    assert "%s:%d" % (os.path.basename(first["site"]["file"]), first["site"]["line"]) in proc.stdout
    assert "fix:" in proc.stdout


def test_no_false_alarm(memlens, python, tmp_path):
    report, proc = run_check(memlens, python, tmp_path, "no_leak")
    assert report["status"] == "no_leaks", proc.stdout
    assert report["findings"] == []
    assert report["points"] >= 20
    assert "no allocation site kept growing" in proc.stdout


def test_chain_links_module_global(memlens, python, tmp_path):
    """The chain of a module global, link by link: module -> its dict -> the list -> the object."""
    report, _ = run_check(memlens, python, tmp_path, "module_global")
    chain = primaries(report)[0]["samples"][0]["chain"]
    assert [c["type"] for c in chain] == ["module", "dict", "list", "__main__.Record"]
    assert chain[0]["object"] == "module __main__"
    assert chain[1]["link"] == "['history']"
    assert re.fullmatch(r"\[\d+\]", chain[2]["link"])
    assert chain[2]["object"] == "list (3000 items)"
    assert chain[3]["refcount"] == 1  # the list's reference only: the checker's own are left out
    assert chain[3]["site"].endswith("module_global.py:%d" % min(leak_lines("module_global")))


def test_verify_after_fix(memlens, spread, tmp_path):
    """The lessons' last step: the same program with the fix applied reports nothing."""
    src = open(os.path.join(PROGRAMS, "default_arg.py")).read()
    fixed = src.replace("def remember(item, seen=[]):", "def remember(item, seen=None):\n    seen = [] if seen is None else seen")
    assert fixed != src
    prog = tmp_path / "fixed.py"
    prog.write_text(fixed)
    out = tmp_path / "fixed.json"
    proc = memlens("leaks", "run", "--python", spread, "--interval", "0", "--json", out, "--fail-on-leak", prog)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(out.read_text())["status"] == "no_leaks"


def test_fail_on_leak_and_html(memlens, spread, tmp_path):
    page = tmp_path / "leaks.html"
    proc = memlens("leaks", "run", "--python", spread, "--interval", "0", "--fail-on-leak", "--html", page, "-q",
                   os.path.join(PROGRAMS, "closure.py"))
    assert proc.returncode == 97, proc.stderr
    assert proc.stdout == ""
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "closure cell" in html and "<script" not in html


def test_exit_status_and_early_exit(memlens, spread, tmp_path):
    """The program's own exit status is kept; a program that ends before growth can be judged gets a
    clear "too short" result, also through os._exit."""
    prog = tmp_path / "early.py"
    prog.write_text("import os, sys\nx = [1] * 10\nif len(sys.argv) > 1:\n    os._exit(int(sys.argv[1]))\nsys.exit(3)\n")
    out = tmp_path / "early.json"
    proc = memlens("leaks", "run", "--python", spread, "--interval", "0", "--json", out, prog)
    assert proc.returncode == 3
    r = json.loads(out.read_text())
    assert r["status"] == "too_short" and "at least 3" in r["message"]
    proc = memlens("leaks", "run", "--python", spread, "--interval", "0", "--json", out, prog, "5")
    assert proc.returncode == 5
    assert json.loads(out.read_text())["status"] == "too_short"


def test_uncaught_exception(memlens, spread, tmp_path):
    prog = tmp_path / "boom.py"
    prog.write_text("def f():\n    raise ValueError('boom')\nf()\n")
    proc = memlens("leaks", "run", "--python", spread, "--interval", "0", prog)
    assert proc.returncode == 1
    assert "ValueError: boom" in proc.stderr
    assert "memlens leaks:" in proc.stdout


def test_around_function(memlens, spread, tmp_path):
    """--around module:function takes a snapshot after each call: no mark() in the program."""
    prog = tmp_path / "service.py"
    prog.write_text(
        "class Req:\n"
        "    def __init__(self, i):\n"
        "        self.body = 'x' * 300\n"
        "log = []\n"
        "def handle(i):\n"
        "    for k in range(50):\n"
        "        log.append(Req(k))\n"
        "for i in range(40):\n"
        "    handle(i)\n")
    out = tmp_path / "around.json"
    proc = memlens("leaks", "run", "--python", spread, "--interval", "0", "--around", "service:handle", "--json", out,
                   prog)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(out.read_text())
    assert r["points"] >= 40
    f = primaries(r)[0]
    assert (f["site"]["line"], f["type"], f["kind"]) == (7, "__main__.Req", "module_global")


def test_timed_snapshots(memlens, spread, tmp_path):
    """No mark, no --around: the timer thread's snapshots find the leak of a program that sleeps."""
    prog = tmp_path / "slow.py"
    prog.write_text(
        "import time\n"
        "class Row:\n"
        "    def __init__(self):\n"
        "        self.text = 'y' * 400\n"
        "table = []\n"
        "for i in range(40):\n"
        "    table.extend(Row() for _ in range(100))\n"
        "    time.sleep(0.01)\n")
    out = tmp_path / "timed.json"
    proc = memlens("leaks", "run", "--python", spread, "--interval", "0.02", "--json", out, prog)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(out.read_text())
    assert r["points"] >= 5, r["points"]
    f = primaries(r)[0]
    assert (f["site"]["line"], f["type"], f["kind"], f["holder"]) == (7, "__main__.Row", "module_global", "__main__.table")


def test_usage_errors(memlens, tmp_path):
    assert memlens("leaks", "run").returncode == 2
    assert memlens("leaks", "run", "--bogus", "x.py").returncode == 2
    proc = memlens("leaks", "run", "--python", sys.executable, "--interval", "soon", "x.py")
    assert proc.returncode == 2 and "--interval" in proc.stderr
    assert "usage: memlens leaks run" in memlens("leaks", "run", "--help").stdout


def test_killed_program(memlens, spread, tmp_path):
    prog = tmp_path / "killed.py"
    prog.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    proc = memlens("leaks", "run", "--python", spread, "--interval", "0", prog)
    assert proc.returncode == -15
    assert "killed by signal 15" in proc.stderr


def test_tracemalloc_tracer(memlens, spread, tmp_path):
    """The checker works with the standard library's tracemalloc too (--tracer tracemalloc)."""
    probe = subprocess.run([spread, "-c", "import tracemalloc\ntracemalloc.start()\nclass A: pass\n"
                            "print(tracemalloc.get_object_traceback(A()) is not None)"], capture_output=True, text=True)
    if probe.stdout.strip() != "True":
        pytest.skip("this CPython's tracemalloc cannot find instances with a managed dict (3.11)")
    report, _ = run_check(memlens, spread, tmp_path, "default_arg", "--tracer", "tracemalloc")
    assert report["tracer"] == "tracemalloc"
    f = primaries(report)[0]
    assert (f["type"], f["kind"]) == ("__main__.Item", "default_arg")


def test_python_api(spread, tmp_path):
    """LeakCheck from Python, snapshots taken by the program."""
    prog = tmp_path / "api.py"
    prog.write_text(
        "import json, sys\n"
        "from memlens import leaks\n"
        "kept = {}\n"
        "class Blob:\n"
        "    def __init__(self): self.data = 'z' * 400\n"
        "with leaks.LeakCheck(interval=0) as check:\n"
        "    for i in range(2000):\n"
        "        kept[i] = Blob()\n"
        "        if i % 100 == 0: check.snapshot()\n"
        "r = check.report\n"
        "f = [f for f in r.findings if 'part_of' not in f][0]\n"
        "print(json.dumps([f['site']['line'], f['type'], f['kind'], f['holder']]))\n"
        "assert 'unbounded cache' in r.text()\n")
    env = dict(conftest._san_env(), PYTHONPATH=os.path.join(os.path.dirname(conftest.MEMLENS), "lib"))
    proc = subprocess.run([spread, str(prog)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [8, "__main__.Blob", "cache", "__main__.kept"]


def test_run_leak_check_alias(memlens, spread, tmp_path):
    """memlens run --leak-check OPTIONS script.py is memlens leaks run OPTIONS script.py."""
    out = tmp_path / "alias.json"
    proc = memlens("run", "--leak-check", "--interval", "0", "--json", out, os.path.join(PROGRAMS, "closure.py"))
    assert proc.returncode == 0, proc.stderr
    report = json.load(open(out))
    assert [f["kind"] for f in primaries(report)] == ["closure"]
    assert "closure.py:25" in proc.stdout
