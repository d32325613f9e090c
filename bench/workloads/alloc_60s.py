"""alloc_60s.py — an allocation-heavy run of about 60 seconds for bench/reports.py: dicts, lists,
strings and bytearrays from a few dozen sites, some kept (a slowly growing cache), most freed."""
import sys
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0


def record(i):
    return {"id": i, "name": "user%d" % i, "tags": [str(i % 7), str(i % 11)]}


def batch(n):
    return [record(i) for i in range(n)]


def blob(i):
    return bytearray(256 + (i % 4096))


cache = {}
end = time.monotonic() + SECONDS
i = 0
while time.monotonic() < end:
    rows = batch(2000)
    blobs = [blob(j) for j in range(200)]
    text = ",".join(r["name"] for r in rows)
    if i % 10 == 0:
        cache[i] = rows[:50]
    if len(cache) > 2000:
        cache.clear()
    del rows, blobs, text
    i += 1
