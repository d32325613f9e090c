"""The traced program behaves exactly as under plain python3, and memlens fails cleanly on bad input."""
import os
import signal
import subprocess
import textwrap

import pytest

import mlcapture

PROBE = """
    import os, sys
    print("argv", sys.argv)
    print("name", __name__)
    print("path0", sys.path[0])
    print("memlens env", sorted(k for k in os.environ if k.startswith("MEMLENS")))
    print("pythonpath", os.environ.get("PYTHONPATH"))
    print("sitecustomize", getattr(sys.modules.get("sitecustomize"), "__file__", None) is not None
          and "memlens" in sys.modules["sitecustomize"].__file__)
    sys.stderr.write("to stderr\\n")
"""


def test_same_argv_main_path_streams(trace, plain):
    t = trace(PROBE, "one", "two words")
    p = plain("prog.py", "one", "two words")
    assert t.returncode == p.returncode == 0
    assert t.stdout == p.stdout
    assert t.stderr == p.stderr == "to stderr\n"
    assert "pythonpath None" in t.stdout  # and stdout equality: no MEMLENS_* variable left
    assert "sitecustomize False" in t.stdout


@pytest.mark.parametrize("body,code", [
    ("import sys; sys.exit(3)", 3),
    ("import sys; sys.exit('bye')", 1),
    ("raise SystemExit(0)", 0),
    ("import os; print('x', flush=True); os._exit(7)", 7),
])
def test_exit_status(trace, plain, body, code):
    t = trace(body + "\n")
    p = plain("prog.py")
    assert t.returncode == p.returncode == code
    assert (t.stdout, t.stderr) == (p.stdout, p.stderr)
    assert t.capture.complete  # os._exit too: the tracker finishes before the process ends


def test_uncaught_exception_traceback_identical(trace, plain):
    t = trace("""
        def inner():
            raise ValueError("boom")
        def outer():
            inner()
        outer()
    """)
    p = plain("prog.py")
    assert t.returncode == p.returncode == 1
    assert t.stderr == p.stderr
    assert "ValueError: boom" in t.stderr and 'line 3, in inner' in t.stderr
    assert t.capture.complete


def test_killed_by_sigterm_like_plain(trace, plain):
    t = trace("""
        import os, signal
        keep = bytearray(5 * 1024 * 1024)
        import time; time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    """)
    p = plain("prog.py")
    assert t.returncode == p.returncode == -signal.SIGTERM
    cap = t.capture  # readable up to the last flush
    assert not cap.complete
    assert cap.by_line().get(("prog.py", 3), 0) >= 5 * 1024 * 1024


def test_sigkill_leaves_a_readable_incomplete_capture(trace, memlens):
    t = trace("""
        import os, signal, time
        keep = [bytearray(1024 * 1024) for _ in range(8)]
        time.sleep(1.2)  # more than one flush interval
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert t.returncode == -signal.SIGKILL
    cap = t.capture
    assert not cap.complete and cap.flushes >= 2
    assert cap.by_line().get(("prog.py", 3), 0) >= 8 * 1024 * 1024
    s = memlens("summary", t.path)
    assert s.returncode == 0 and "incomplete" in s.stdout + s.stderr


def test_run_module(tmp_path, memlens, python):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tool.py").write_text("import sys\nprint(__name__, sys.argv[1:])\nx = bytearray(1 << 20)\n")
    r = memlens("run", "-q", "--python", python, "-o", "m.mlens", "-m", "pkg.tool", "--flag", "v")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "__main__ ['--flag', 'v']\n"
    cap = mlcapture.Capture(tmp_path / "m.mlens")
    assert cap.by_line()[("tool.py", 3)] >= 1 << 20
    assert cap.meta["argv"].split("\0")[:2] == ["-m", "pkg.tool"]


def test_children_are_not_traced(trace):
    t = trace("""
        import subprocess, sys, os
        out = subprocess.run([sys.executable, "-c",
            "import os, sys; print(os.environ.get('PYTHONPATH'), 'memlens' in sys.modules)"],
            capture_output=True, text=True).stdout
        print(out.strip())
        pid = os.fork()
        if pid == 0:
            junk = [bytearray(1000) for _ in range(1000)]
            os._exit(0)
        os.waitpid(pid, 0)
    """)
    assert t.returncode == 0, t.stderr
    assert t.stdout.strip() == "None False"
    cap = t.capture
    assert cap.complete
    # the child's allocations are not in the parent's capture
    assert all(s["alloc_bytes"] < 1000 * 1000 for s in cap.stacks.values())


def test_default_output_name(tmp_path, memlens, python):
    (tmp_path / "job.py").write_text("x = 1\n")
    r = memlens("run", "--python", python, "job.py")
    assert r.returncode == 0, r.stderr
    made = [f for f in os.listdir(tmp_path) if f.endswith(".mlens")]
    assert len(made) == 1 and made[0].startswith("memlens-job.")
    assert "capture written to " + made[0] in r.stderr


# ---- bad input ----

def test_missing_script(memlens, tmp_path):
    r = memlens("run", "-o", "x.mlens", "nope.py")
    assert r.returncode == 2
    assert r.stderr.strip() == "memlens: nope.py: No such file or directory"
    assert not (tmp_path / "x.mlens").exists()


def test_missing_module(memlens, tmp_path, python):
    r = memlens("run", "--python", python, "-o", "x.mlens", "-m", "no_such_module_here")
    assert r.returncode == 2
    assert "no module named 'no_such_module_here'" in r.stderr
    assert not (tmp_path / "x.mlens").exists()


@pytest.mark.parametrize("out", ["/nonexistent-dir/x.mlens", "."])
def test_unwritable_output(memlens, tmp_path, out):
    (tmp_path / "p.py").write_text("open('ran', 'w').write('yes')\n")
    r = memlens("run", "-o", out, "p.py")
    assert r.returncode == 2
    assert r.stderr.startswith("memlens: " + out + ": ") and r.stderr.count("\n") == 1
    assert not (tmp_path / "ran").exists()  # nothing ran


def test_missing_python(memlens, tmp_path):
    (tmp_path / "p.py").write_text("x = 1\n")
    r = memlens("run", "--python", "/no/python3", "p.py")
    assert r.returncode == 2 and "/no/python3" in r.stderr


def test_bad_options(memlens):
    assert memlens("run").returncode == 2
    assert memlens("run", "--max-depth", "zero", "x.py").returncode == 2
    assert memlens("run", "--frobnicate", "x.py").returncode == 2
    assert memlens("frobnicate").returncode == 2
    h = memlens("run", "--help")
    assert h.returncode == 0 and "--max-depth" in h.stdout


def test_unwritable_from_the_start(memlens, tmp_path, python):
    (tmp_path / "p.py").write_text("open('ran', 'w').write('yes')\n")
    r = memlens("run", "-q", "--python", python, "-o", "/dev/full", "p.py")
    assert r.returncode == 2
    assert r.stderr == "memlens: cannot write the capture: /dev/full: No space left on device\n"
    assert not (tmp_path / "ran").exists()


def test_write_error_while_tracing(memlens, tmp_path, python):
    """The file system fills up mid-run (a 64 KiB file size limit): one warning, the program
    finishes normally, and the capture is still readable up to the last complete flush."""
    import resource
    (tmp_path / "p.py").write_text(
        "import time\n"
        "data = []\n"
        "for i in range(400):  # each a new file name: new strings and stacks, the capture grows\n"
        "    code = compile('x = [bytearray(10) for _ in range(3)]', f'/gen/{i:04d}_' + 'x' * 300 + '.py', 'exec')\n"
        "    ns = {}\n"
        "    exec(code, ns)\n"
        "    data.append(ns['x'])\n"
        "    if i % 40 == 0:\n"
        "        time.sleep(0.02)\n"
        "print('finished', len(data))\n"
        "raise SystemExit(5)\n")

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    r = memlens("run", "-q", "--python", python, "-o", "out.mlens", "p.py", preexec_fn=limit)
    assert r.returncode == 5
    assert r.stdout == "finished 400\n"
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("memlens:")]
    assert len(warnings) == 1, r.stderr
    assert "File too large" in warnings[0] and "tracing stopped, the program continues" in warnings[0]
    cap = mlcapture.Capture(tmp_path / "out.mlens")  # no partial flush left behind
    assert not cap.complete and cap.flushes >= 1
    assert os.path.getsize(tmp_path / "out.mlens") <= 64 * 1024
