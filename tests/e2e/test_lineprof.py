"""memlens lineprof: line_profiler's layout with bytes beside time; hits and bytes known exactly."""
import os
import shutil

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def tables(out):
    """{function name: {line number: [Line #, Hits, Time, Per Hit, % Time(, Alloc, Net)]}} from
    line_profiler's layout: each row cut at the ends of its own table's right-aligned headers."""
    names = ["Line #", "Hits", "Time", "Per Hit", "% Time", "Alloc", "Net"]
    res, cur, ends = {}, None, []
    for line in out.splitlines():
        if line.startswith("Function: "):
            cur = res.setdefault(line.split()[1], {})
        elif line.startswith("Line #"):
            ends = [line.index(n) + len(n) for n in names if n in line]
        elif cur is not None and line[:6].strip().isdigit():
            cells, start = [], 0
            for e in ends:
                cells.append(line[start:e].strip())
                start = e
            cur[int(line[:6])] = cells
    return res


@pytest.fixture
def lined(tmp_path):
    shutil.copy(os.path.join(HERE, "prof", "lined.py"), tmp_path / "lined.py")
    return "lined.py"


def run(memlens, python, *args):
    r = memlens("lineprof", "--python", python, *args)
    assert r.returncode == 0, r.stderr
    return r, tables(r.stdout)


def test_hits_time_and_bytes(memlens, python, lined):
    r, rows = run(memlens, python, lined)
    hungry, loop = rows["memory_hungry"], rows["loop"]
    # Line #, Hits, Time, Per Hit, % Time, Alloc, Net
    assert hungry[7][1] == "1" and hungry[7][5] == "7.6 MiB" and hungry[7][6] == "+7.6 MiB"
    assert hungry[8][5] == "15.3 MiB" and hungry[9][6] == "-15.3 MiB"
    # loop: run 5 times (main thread once, 2 threads twice); range line runs 11 times a call
    assert loop[16][1] == "55" and loop[17][1] == "50"
    assert loop[17][5] == "50.0 MiB"  # 5 calls x 10 x 1 MiB
    fact = rows["fact"]  # recursion: every frame counts
    assert (fact[29][1], fact[30][1], fact[31][1]) == ("20", "1", "19")
    assert rows["gen"][23][1] == "101"  # generator: the for line runs n + 1 times
    fails = rows["fails"]  # half of the calls raise on line 38
    assert (fails[36][1], fails[37][1], fails[38][1], fails[39][1]) == ("10", "10", "5", "5")
    assert "plain" not in rows
    pct = sum(float(c[4]) for c in hungry.values() if len(c) > 4 and c[4])
    assert 99.0 <= pct <= 101.0


def test_func_option_without_decorator(memlens, python, lined, tmp_path):
    src = (tmp_path / "lined.py").read_text().replace("@profile  # noqa: F821", "# no decorator")
    (tmp_path / "nodeco.py").write_text(src.replace("    memory_hungry()", "    profile = None\n    memory_hungry()"))
    r, rows = run(memlens, python, "--func", "__main__:plain", "--func", "nodeco:Box.fill", "nodeco.py")
    assert set(rows) in ({"plain", "Box.fill"}, {"plain", "fill"})  # co_qualname from 3.11
    plain = rows["plain"]
    assert [plain[n][1] for n in (43, 44, 45, 46)] == ["1", "1001", "1000", "1"]
    fill = rows.get("Box.fill") or rows["fill"]
    assert fill[51][5] == "781.3 KiB"  # [None] * 100000: 800,000 bytes of pointers and the list


def test_no_memory(memlens, python, lined):
    r = memlens("lineprof", "--python", python, "--no-memory", lined)
    assert r.returncode == 0, r.stderr
    assert "Alloc" not in r.stdout and "Hits" in r.stdout


@pytest.mark.parametrize("args,code,msg", [
    (["--func", "nocolon", "p.py"], 2, "memlens: lineprof: --func needs MODULE:QUALNAME"),
    (["--func", "__main__:nosuch", "p.py"], 2, "memlens: lineprof: --func __main__:nosuch: no function nosuch"),
    (["nosuch.py"], 2, "memlens: lineprof: nosuch.py: No such file or directory"),
    (["p.py"], 0, "memlens: lineprof: no function was profiled"),
])
def test_bad_input(memlens, tmp_path, args, code, msg):
    (tmp_path / "p.py").write_text("print('ran')\n")
    r = memlens("lineprof", *args)
    assert r.returncode == code
    assert msg in r.stderr


def test_exit_status_and_partial_report(memlens, python, tmp_path):
    (tmp_path / "p.py").write_text("@profile\ndef f():\n    x = 1\n    raise SystemExit(4)\nf()\n")
    r = memlens("lineprof", "--python", python, "p.py")
    assert r.returncode == 4
    assert "ended by exit 4" in r.stdout and "Function: f at line 1" in r.stdout
