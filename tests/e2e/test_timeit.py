"""memlens timeit: python -m timeit's arguments, less loop overhead, noise warnings, comparisons,
clear errors."""
import json
import os
import re
import subprocess

import pytest

from conftest import MEMLENS, _san_env

LIBDIR = os.path.join(os.path.dirname(MEMLENS), "lib")


def timeit_json(memlens, python, *args):
    r = memlens("timeit", "--python", python, "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_runs_exact_number_of_times(python, tmp_path):
    env = _san_env()
    env["PYTHONPATH"] = LIBDIR
    code = ("from memlens.timing import Timer\n"
            "c = [0]\n"
            "for n in (1, 9, 10, 1003):\n"
            "    c[0] = 0\n"
            "    Timer('c[0] += 1', globals={'c': c}).timeit(n)\n"
            "    print(c[0], end=' ')\n")
    r = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.stdout == "1 9 10 1003 ", r.stderr


def test_report_and_plain_format(memlens, python):
    r = memlens("timeit", "--python", python, "-n", "1000", "-r", "3", "-s", "x = list(range(100))", "sorted(x)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sorted(x): 1,000 loops × 3 runs\n")
    assert re.search(r"^  best +[\d.]+ (ns|µs) per loop$", r.stdout, re.M)
    assert re.search(r"^  median +[\d.]+ (ns|µs) per loop$", r.stdout, re.M)
    assert re.search(r"^  spread +±[\d.]+% \(stdev", r.stdout, re.M)
    r = memlens("timeit", "--python", python, "--plain", "-n", "1000", "-r", "3", "pass")
    assert re.fullmatch(r"1000 loops, best of 3: [\d.]+ (nsec|usec) per loop\n", r.stdout), r.stdout


@pytest.mark.slow  # timing against the stdlib: meaningless under the sanitizers
def test_pass_costs_less_than_stdlib(memlens, python):
    ours = timeit_json(memlens, python, "-n", "2000000", "-r", "3", "pass")["statements"][0]
    std = subprocess.run([python, "-m", "timeit", "-n", "2000000", "-r", "3", "pass"],
                         capture_output=True, text=True).stdout
    m = re.match(r"\d+ loops, best of 3: ([\d.]+) (nsec|usec)", std)
    std_best = float(m.group(1)) * (1e-9 if m.group(2) == "nsec" else 1e-6)
    assert ours["unroll"] == 10
    assert ours["best"] < std_best


def test_calibration(memlens):
    r = memlens("timeit", "-r", "2", "-s", "import time", "time.sleep(0.05)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("time.sleep(0.05): 5 loops × 2 runs")  # 1, 2, 5: 5 x 50 ms >= 0.2 s


def test_noisy_runs_warned(memlens, python):
    setup = "import builtins, time; builtins.k = getattr(builtins, 'k', 0) + 1"
    r = memlens("timeit", "--python", python, "-n", "1", "-r", "4", "-s", setup, "time.sleep(0.002 * (1 + 9 * (k % 2)))")
    assert r.returncode == 0, r.stderr
    assert "warning: the runs vary by" in r.stdout


def test_compare(memlens, python):
    r = memlens("timeit", "--python", python, "-n", "2000", "-r", "5", "--compare", "sum(range(10))", "sum(range(1000))")
    assert r.returncode == 0, r.stderr
    assert "A = sum(range(10))" in r.stdout and "B = sum(range(1000))" in r.stdout
    m = re.search(r"B is ([\d.]+)× slower than A \(95% confidence interval ([\d.]+)×–([\d.]+)×\)", r.stdout)
    assert m and float(m.group(2)) > 5, r.stdout
    doc = timeit_json(memlens, python, "-n", "2000", "-r", "3", "--compare", "sum(range(10))", "sum(range(10))")
    low, high = doc["ratios"][0]["low"], doc["ratios"][0]["high"]
    assert low <= high and low < 2 and high > 0.5


def test_syntax_errors(memlens):
    r = memlens("timeit", "x = = 1")
    assert r.returncode == 2
    assert r.stderr.startswith("memlens: timeit: syntax error in STMT: invalid syntax")
    assert "x = = 1\n" in r.stderr and "^" in r.stderr
    r = memlens("timeit", "-s", "def (", "pass")
    assert r.returncode == 2 and "syntax error in SETUP" in r.stderr


def test_exceptions_in_timed_code(memlens, python):
    r = memlens("timeit", "--python", python, "-n", "5", "1/0")
    assert r.returncode == 1
    assert "ZeroDivisionError: division by zero" in r.stderr
    assert "memlens: timeit: the timed code (SETUP or STMT) raised ZeroDivisionError" in r.stderr
    assert "timing.py" not in r.stderr
    r = memlens("timeit", "--python", python, "-s", "import nosuchmodule", "pass")
    assert r.returncode == 1 and "ModuleNotFoundError" in r.stderr


def test_usage_errors(memlens):
    for args, msg in ((["-n", "x", "pass"], "-n needs a positive integer, not 'x'"),
                      (["--bogus"], "option --bogus not recognized"),
                      (["--compare", "pass"], "--compare needs two statements or more"),
                      (["-u", "year", "pass"], "-u must be one of nsec, usec, msec or sec")):
        r = memlens("timeit", *args)
        assert r.returncode == 2 and r.stderr.startswith("memlens: timeit: " + msg), r.stderr
