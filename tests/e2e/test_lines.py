"""Line-by-line memory (memory_profiler's layout, exact bytes): python3 -m memlens.lines, and
@memlens.profile inside a program."""
import os
import shutil
import subprocess

from conftest import MEMLENS, _san_env

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIR = os.path.join(os.path.dirname(MEMLENS), "lib")


def python_m(python, cwd, *args):
    env = _san_env()
    env["PYTHONPATH"] = LIBDIR
    return subprocess.run([python, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def rows(out):
    """{(file's line number): [Mem usage, Increment, Occurrences, RSS, Time]} of every table, cut at
    the ends of each table's own right-aligned headers (later tables overwrite nothing: numbers
    differ)."""
    names = ["Line #", "Mem usage", "Increment", "Occurrences", "RSS", "Time"]
    res, ends = {}, []
    for line in out.splitlines():
        if line.startswith("Line #"):
            ends = [line.index(n) + len(n) for n in names]
        elif ends and line[:6].strip().isdigit():
            cells, start = [], 0
            for e in ends:
                cells.append(line[start:e].strip())
                start = e
            res[int(cells[0])] = cells[1:]
    return res


def test_lessons_example_exact(python, tmp_path):
    shutil.copy(os.path.join(HERE, "prof", "lined.py"), tmp_path)
    r = python_m(python, tmp_path, "-m", "memlens.lines", "lined.py")
    assert r.returncode == 0, r.stderr
    assert "Line #  Mem usage  Increment  Occurrences" in r.stdout
    t = rows(r.stdout)
    # memory_hungry: the lessons' numbers, without RSS noise
    assert t[5][:3] == ["0.0 MiB", "", "1"]               # @profile line: at the call
    assert t[7][:3] == ["7.6 MiB", "7.6 MiB", "1"]
    assert t[8][:3] == ["22.9 MiB", "15.3 MiB", "1"]
    assert t[9][:3] == ["7.6 MiB", "-15.3 MiB", "1"]
    assert t[10][:2] == ["7.6 MiB", "0.0 MiB"]
    # inside a loop: 10 x 1 MiB, over 5 calls (1 here, 2 in each of 2 threads)
    assert t[17][1:3] == ["50.0 MiB", "50"]
    assert t[16][2] == "55"
    assert t[7][3].endswith("MiB")  # RSS beside the traced heap
    assert float(t[8][3].split()[0]) >= 15.0


def test_decorator_in_program(python, tmp_path):
    (tmp_path / "p.py").write_text(
        "import memlens\n"
        "@memlens.profile(precision=2)\n"
        "def build():\n"
        "    data = [bytes(1024) for _ in range(1024)]\n"
        "    big = bytearray(3 * 1024 * 1024)\n"
        "    return data\n"
        "for _ in range(3):\n"
        "    kept = build()\n"
        "print('program output first')\n")
    r = python_m(python, tmp_path, "p.py")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("program output first\n")  # the report comes at exit
    t = rows(r.stdout)
    assert t[2][2] == "3"                 # three calls
    assert t[5][1] == "9.00 MiB"          # 3 calls x 3 MiB
    assert t[6][1] == "0.00 MiB"          # big is freed after the return, when the frame goes
    inc = float(t[4][1].split()[0])       # 3 x 1024 x (1024 B + bytes object header) + the lists
    assert 3.09 <= inc <= 3.2


def test_func_and_output_file(python, tmp_path):
    (tmp_path / "p.py").write_text("def grow(n):\n    out = []\n    for i in range(n):\n"
                                   "        out.append(bytearray(4096))\n    return out\nx = grow(256)\n")
    r = python_m(python, tmp_path, "-m", "memlens.lines", "--func", "__main__:grow", "-o", "rep.txt", "p.py")
    assert r.returncode == 0, r.stderr
    t = rows((tmp_path / "rep.txt").read_text())
    assert t[4][1:3] == ["1.0 MiB", "256"]
    assert "report written to rep.txt" in r.stderr


def test_exception_keeps_report_and_status(python, tmp_path):
    (tmp_path / "p.py").write_text("@profile\ndef f():\n    x = bytearray(2 * 1024 * 1024)\n"
                                   "    raise RuntimeError('stop')\nf()\n")
    r = python_m(python, tmp_path, "-m", "memlens.lines", "p.py")
    assert r.returncode == 1
    assert "RuntimeError: stop" in r.stderr and 'line 4, in f' in r.stderr
    assert "ended by exception RuntimeError" in r.stdout
    assert rows(r.stdout)[3][1] == "2.0 MiB"
