"""Fixtures for the end-to-end tests: run the real memlens binary on real Python programs.

MEMLENS          the memlens binary under test (default: build/memlens)
MEMLENS_PYTHONS  space-separated interpreters to trace with (default: /usr/bin/python3); every test
                 marked with the `python` fixture runs once per interpreter
MEMLENS_SAN      set when the binary and tracer are built with ASan/UBSan: the sanitizer runtimes are
                 preloaded into the traced interpreter
"""
import os
import subprocess
import sys
import textwrap

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import mlcapture  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MEMLENS = os.environ.get("MEMLENS", os.path.join(ROOT, "build", "memlens"))
PYTHONS = os.environ.get("MEMLENS_PYTHONS", "/usr/bin/python3").split()


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test, skipped under sanitizers")


def _san_env():
    env = dict(os.environ)
    if os.environ.get("MEMLENS_SAN"):
        libs = [subprocess.run(["gcc", "-print-file-name=" + lib], capture_output=True, text=True).stdout.strip()
                for lib in ("libasan.so", "libubsan.so")]
        env["LD_PRELOAD"] = " ".join(libs)
        # CPython frees little at exit by design; leaks are not what this run looks for
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    return env


def _label(path):
    return os.path.basename(os.path.dirname(os.path.dirname(path))) if ".pyenv" in path else path


@pytest.fixture(params=PYTHONS, ids=_label)
def python(request):
    return request.param


class Traced:
    def __init__(self, proc, capture_path):
        self.proc = proc
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.path = capture_path

    @property
    def capture(self):
        return mlcapture.Capture(self.path)


@pytest.fixture
def memlens(tmp_path):
    """memlens(*args) runs the binary; returns CompletedProcess (text)."""

    def run(*args, timeout=120, **kw):
        return subprocess.run([MEMLENS, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                              env=kw.pop("env", _san_env()), cwd=kw.pop("cwd", tmp_path), **kw)

    return run


@pytest.fixture
def trace(tmp_path, memlens, python):
    """trace(source, *args, opts=[...]) writes source to prog.py, runs it under memlens run with the
    interpreter under test, and returns a Traced (capture at tmp_path/out.mlens)."""

    def run(source, *args, opts=(), name="prog.py", timeout=120):
        script = tmp_path / name
        script.write_text(textwrap.dedent(source))
        out = tmp_path / "out.mlens"
        proc = memlens("run", "-q", "--python", python, "-o", out, *opts, script, *args, timeout=timeout)
        return Traced(proc, out)

    return run


@pytest.fixture
def plain(tmp_path, python):
    """plain(name, *args) runs an already written script under the same interpreter, untraced."""

    def run(name, *args, timeout=120):
        return subprocess.run([python, str(tmp_path / name), *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, cwd=tmp_path)

    return run


LIBDIR = os.path.join(os.path.dirname(os.path.abspath(MEMLENS)), "lib")


@pytest.fixture
def inproc(tmp_path, python):
    """inproc(source, *args) writes source to prog.py and runs it with the interpreter under test and
    the memlens package importable (PYTHONPATH), without `memlens run`: the in-process API."""
    def run(source, *args, name="prog.py", timeout=120, check=True):
        script = tmp_path / name
        script.write_text(textwrap.dedent(source))
        env = _san_env()
        env["PYTHONPATH"] = LIBDIR
        proc = subprocess.run([python, str(script), *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, cwd=tmp_path, env=env)
        if check and proc.returncode != 0:
            raise AssertionError("exit %d\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
        return proc
    return run
