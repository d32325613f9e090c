"""End-to-end tests of build/logagg: generated logs with exact ground truth (bench/logagg/loggen),
the public logs in /work/shared/data/logs checked against an independent Python oracle, and the CLI
contract (errors, exit codes, outputs, state files, follow mode with rotation)."""
import csv
import gzip
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

LOGAGG = os.environ.get("LOGAGG", "build/logagg")
LOGGEN = os.environ.get("LOGGEN", "build/bench/loggen")
LOGS = Path(os.environ.get("LOGAGG_LOGS", "/work/shared/data/logs"))
SAN = "build-san" in LOGAGG

# The oracle: a line counts when it has ADDR ident user [time] "request" status (3 digits).
PREFIX = re.compile(rb'^(\S+) \S+ \S+ \[[^\]]*\] "[^"]*" \d{3}( |$)')


def oracle(paths):
    pv, clients, comments = 0, Counter(), 0
    for p in paths:
        for line in Path(p).read_bytes().split(b"\n"):
            if line.startswith(b"#"):
                comments += 1
                continue
            m = PREFIX.match(line)
            if not m:
                continue
            try:
                a = ipaddress.ip_address(m.group(1).decode("ascii"))
            except ValueError:
                continue
            if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
                a = a.ipv4_mapped
            pv += 1
            clients[str(a)] += 1
    return pv, clients, comments


def run(*args, ok=True, **kw):
    r = subprocess.run([LOGAGG, *map(str, args)], capture_output=True, timeout=300, **kw)
    if ok:
        assert r.returncode == 0, r.stderr.decode()
    return r


def json_of(*args, tmp):
    out = tmp / "out.json"
    run("--json", out, *args)
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen")
    log, truth = d / "g.log", d / "g.json"
    subprocess.run([LOGGEN, "--lines", "300000", "--clients", "50000", "--ipv6", "20", "--bad", "2000",
                    "--seed", "7", "--top", "50", "--truth", truth, "-o", log], check=True)
    return log, json.loads(truth.read_text())


def test_generated_exact(gen, tmp_path):
    log, truth = gen
    j = json_of("--top", "50", log, tmp=tmp_path)
    assert j["schema"] == "logagg/1" and j["exact"] is True
    assert j["requests"] == truth["requests"]
    assert j["clients"] == truth["clients"]
    assert j["lines"]["total"] == truth["lines"]
    assert j["lines"]["malformed"] == truth["malformed"]
    assert [(t["client"], t["requests"]) for t in j["top"]] == \
        [(t["client"], t["requests"]) for t in truth["top"]]
    assert abs(j["top"][0]["share"] - truth["top"][0]["requests"] / truth["requests"]) < 1e-6


def test_threads_give_identical_results(tmp_path):
    # large enough (> 64 MB) to be split over threads; the merge must change nothing
    log, truth = tmp_path / "big.log", tmp_path / "big.json"
    subprocess.run([LOGGEN, "--size", "70M", "--clients", "100000", "--seed", "3", "--truth", truth, "-o", log], check=True)
    t = json.loads(truth.read_text())
    a = json_of("-j", "1", "--top", "20", log, tmp=tmp_path)
    b = json_of("-j", "2", "--top", "20", log, tmp=tmp_path)
    c = json_of("-j", "5", "--top", "20", log, tmp=tmp_path)
    assert a["requests"] == b["requests"] == c["requests"] == t["requests"]
    assert a["clients"] == b["clients"] == c["clients"] == t["clients"]
    assert a["top"] == b["top"] == c["top"]
    assert [(x["client"], x["requests"]) for x in a["top"]] == [(x["client"], x["requests"]) for x in t["top"]]


def test_csv_lists_every_client(gen, tmp_path):
    log, truth = gen
    out = tmp_path / "all.csv"
    run("--csv", out, log)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == truth["clients"]
    assert sum(int(r["requests"]) for r in rows) == truth["requests"]
    assert rows[0]["client"] == truth["top"][0]["client"]
    assert list(rows[0].keys()) == ["client", "requests", "share", "max_overcount"]


@pytest.mark.parametrize("name", sorted(p.name for p in LOGS.glob("*.log")))
def test_public_logs_match_oracle(name, tmp_path):
    path = LOGS / name
    pv, clients, comments = oracle([path])
    j = json_of("--top", "100000", path, tmp=tmp_path)
    assert j["requests"] == pv
    assert j["clients"] == len(clients)
    assert j["lines"]["comments"] == comments
    assert {t["client"]: t["requests"] for t in j["top"]} == dict(clients)


def test_public_logs_known_figures(tmp_path):
    # figures checked by hand (awk/sort) on the files, so the oracle itself is checked too
    e = json_of(LOGS / "elastic_apache_logs.log", tmp=tmp_path)
    assert (e["requests"], e["clients"]) == (10000, 1753)
    assert (e["top"][0]["client"], e["top"][0]["requests"]) == ("66.249.73.135", 482)
    d = json_of(LOGS / "ddoser_access.log", tmp=tmp_path)  # no final newline: the last line counts
    assert (d["requests"], d["clients"], d["lines"]["malformed"]) == (858, 5, 0)
    n = json_of(LOGS / "nasa_access_log_Aug95_slice.log", tmp=tmp_path)
    assert n["lines"]["malformed_by_reason"]["host_name"] > 1500  # most NASA clients are host names
    assert n["lines"]["malformed_by_reason"]["truncated"] > 0     # records broken across two lines
    a = json_of(*sorted(LOGS.glob("a9x_*.log")), tmp=tmp_path)
    assert a["lines"]["comments"] == 4
    assert any(":" in t["client"] for t in a["top"])              # IPv6 clients


def test_all_public_logs_together_and_malformed_report():
    r = run("--show-skipped", *sorted(LOGS.glob("*.log")))
    out = r.stdout.decode()
    assert re.search(r"skipped [\d,]+ malformed lines \(", out)
    assert "[host name instead of address] in24.inetnebr.com" in out


def test_gzip_and_stdin(gen, tmp_path):
    log, truth = gen
    gz = tmp_path / "g.log.gz"
    with open(log, "rb") as f, gzip.open(gz, "wb") as g:
        shutil.copyfileobj(f, g)
    a = json_of(gz, tmp=tmp_path)
    assert (a["requests"], a["clients"]) == (truth["requests"], truth["clients"])
    with open(gz, "rb") as f:
        r = run("--json", "-", "-", stdin=f)
    b = json.loads(r.stdout)
    assert (b["requests"], b["clients"]) == (truth["requests"], truth["clients"])
    with open(log, "rb") as f:
        r = run("--json", "-", "-", stdin=f)
    assert json.loads(r.stdout)["requests"] == truth["requests"]


def test_truncated_gzip_is_an_error(gen, tmp_path):
    log, _ = gen
    gz = tmp_path / "cut.log.gz"
    with open(log, "rb") as f:
        data = gzip.compress(f.read())
    gz.write_bytes(data[: len(data) // 2])
    r = run(gz, ok=False)
    assert r.returncode == 1
    err = r.stderr.decode().strip()
    assert err.startswith(f"logagg: {gz}: ") and "\n" not in err


def test_state_merge_equals_single_run(gen, tmp_path):
    log, truth = gen
    lines = log.read_bytes().split(b"\n")
    half = len(lines) // 2
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_bytes(b"\n".join(lines[:half]) + b"\n")
    b.write_bytes(b"\n".join(lines[half:]))
    run("--state", tmp_path / "a.lgs", a)
    run("--state", tmp_path / "b.lgs", b)
    m = json_of("--top", "50", "merge", tmp_path / "a.lgs", tmp_path / "b.lgs", tmp=tmp_path)
    assert (m["requests"], m["clients"], m["exact"]) == (truth["requests"], truth["clients"], True)
    assert [(t["client"], t["requests"]) for t in m["top"]] == [(t["client"], t["requests"]) for t in truth["top"]]
    assert m["lines"]["malformed"] == truth["malformed"]


def test_corrupt_state_is_one_line_error(gen, tmp_path):
    log, _ = gen
    s = tmp_path / "s.lgs"
    run("--state", s, log)
    data = bytearray(s.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "bad.lgs"
    bad.write_bytes(bytes(data))
    r = run("merge", bad, ok=False)
    assert r.returncode == 1
    assert r.stderr.decode() == f"logagg: {bad}: corrupt state file (checksum mismatch)\n"
    r = run("merge", log, ok=False)
    assert r.stderr.decode() == f"logagg: {log}: not a logagg state file\n"
    assert r.stdout == b""


def test_memory_bound_switches_to_estimates(tmp_path):
    log, truth = tmp_path / "m.log", tmp_path / "m.json"
    subprocess.run([LOGGEN, "--lines", "400000", "--clients", "200000", "--seed", "11", "--top", "5",
                    "--truth", truth, "-o", log], check=True)
    t = json.loads(truth.read_text())
    j = json_of("--max-memory", "256K", "--top", "5", log, tmp=tmp_path)
    assert j["exact"] is False
    assert j["requests"] == t["requests"]                      # PV stays exact
    rse = j["clients_relative_standard_error"]
    assert rse == pytest.approx(0.0081)
    assert abs(j["clients"] - t["clients"]) <= 4 * rse * t["clients"]
    for got, want in zip(j["top"], t["top"]):                 # heavy hitters within their bounds
        assert got["client"] == want["client"]
        assert got["requests"] - got["max_overcount"] <= want["requests"] <= got["requests"]
    out = run("--max-memory", "256K", log).stdout.decode()
    assert "estimate" in out and "max overcount" in out
    # sketch states merge too
    run("--max-memory", "256K", "--state", tmp_path / "s1.lgs", log)
    m = json_of("merge", tmp_path / "s1.lgs", tmp_path / "s1.lgs", tmp=tmp_path)
    assert m["requests"] == 2 * t["requests"] and m["exact"] is False
    assert abs(m["clients"] - t["clients"]) <= 4 * rse * t["clients"]


def test_bad_input_never_crashes(tmp_path):
    p = tmp_path / "junk.log"
    junk = bytes(range(256)) * 50 + b"\n" + b"A" * 200000 + b"\n\n" + os.urandom(100000) + \
        b"\n1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200 1\n" + b"x" * 70000
    p.write_bytes(junk)
    j = json_of(p, tmp=tmp_path)
    assert j["requests"] == 1
    assert j["lines"]["malformed_by_reason"]["overlong"] == 2
    assert j["lines"]["total"] == j["requests"] + j["lines"]["malformed"] + j["lines"]["comments"]


def test_errors_and_usage(tmp_path):
    r = run("missing.log", ok=False)
    assert (r.returncode, r.stderr) == (1, b"logagg: missing.log: No such file or directory\n")
    r = run(tmp_path, ok=False)
    assert (r.returncode, r.stderr) == (1, f"logagg: {tmp_path}: Is a directory\n".encode())
    assert run(ok=False).returncode == 2
    assert run("--top", "lots", "x", ok=False).returncode == 2
    assert run("--max-memory", "12Q", "x", ok=False).returncode == 2
    assert run("--bogus", ok=False).returncode == 2
    h = run("--help").stdout.decode()
    for opt in ["--top", "--json", "--csv", "--state", "--field", "--xff", "--max-memory", "--threads",
                "--follow", "--interval", "--show-skipped", "merge"]:
        assert opt in h
    # no half-written output: a failing run leaves no file behind
    out = tmp_path / "o.json"
    run("--json", out, "missing.log", ok=False)
    assert not out.exists() and not list(tmp_path.glob("o.json.tmp*"))


def test_field_and_xff(tmp_path):
    p = tmp_path / "x.log"
    p.write_text('10.0.0.1 - - [t] "GET / HTTP/1.1" 200 5 "-" "ua" "203.0.113.9, 10.0.0.1"\n'
                 '10.0.0.1 - - [t] "GET / HTTP/1.1" 200 5 "-" "ua" "-"\n'
                 '10.0.0.2 - - [t] "GET / HTTP/1.1" 200 5 "-" "ua" "203.0.113.9"\n')
    j = json_of("--xff", p, tmp=tmp_path)
    assert {t["client"]: t["requests"] for t in j["top"]} == {"203.0.113.9": 2, "10.0.0.1": 1}
    q = tmp_path / "f.log"
    q.write_text("1 GET 2001:db8::1\n2 GET 2001:DB8:0:0::1\n3 GET ::ffff:9.9.9.9\n4 GET\n")
    j = json_of("--field", "3", q, tmp=tmp_path)
    assert {t["client"]: t["requests"] for t in j["top"]} == {"2001:db8::1": 2, "9.9.9.9": 1}
    assert j["lines"]["malformed_by_reason"]["truncated"] == 1


LINE = '192.0.2.{} - - [21/Nov/2026:06:37:50 +0000] "GET / HTTP/1.1" 200 5 "-" "t"\n'


def follow_until(proc, want_pv, timeout=15):
    deadline = time.time() + timeout
    line = ""
    while time.time() < deadline:
        line = proc.stdout.readline().decode()
        if f"pv={want_pv:,} " in line or f"pv={want_pv} " in line:
            return line
    raise AssertionError(f"pv={want_pv} never seen, last: {line!r}")


def test_follow_survives_rotation(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(LINE.format(1) * 3)
    p = subprocess.Popen([LOGAGG, "-f", "--interval", "1", "--json", tmp_path / "f.json", log],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        follow_until(p, 3)
        with open(log, "a") as f:                  # appended, in two writes mid-line
            f.write(LINE.format(2)[:20])
            f.flush()
            time.sleep(0.6)
            f.write(LINE.format(2)[20:])
        follow_until(p, 4)
        log.rename(tmp_path / "access.log.1")      # rotation by rename, old file still written once
        with open(tmp_path / "access.log.1", "a") as f:
            f.write(LINE.format(3))
        log.write_text(LINE.format(4) * 2)
        follow_until(p, 7)
        with open(log, "r+") as f:                 # copytruncate
            f.truncate(0)
        time.sleep(0.6)
        log.write_text(LINE.format(5))
        follow_until(p, 8)
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    j = json.loads((tmp_path / "f.json").read_text())
    assert j["requests"] == 8
    assert {t["client"]: t["requests"] for t in j["top"]} == \
        {"192.0.2.1": 3, "192.0.2.2": 1, "192.0.2.3": 1, "192.0.2.4": 2, "192.0.2.5": 1}
