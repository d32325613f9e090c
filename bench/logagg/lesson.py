# lesson.py — the lessons' Python aggregator (lesson 8, section 8.7), reproduced as printed there,
# for the logagg benchmark. Do not fix it: its failures (UnicodeDecodeError on the first non-UTF-8
# byte, no IPv6, the mmap'd file counted in its resident memory) are what the benchmark shows.
import mmap, re, collections, sys
ip_pattern = re.compile(r'(\d+\.\d+\.\d+\.\d+)')
def iter_ips(path):
    with open(path, 'rb') as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for line in iter(mm.readline, b''):
            m = ip_pattern.search(line.decode())
            if m:
                yield m.group(1)
pv = 0
uv = collections.Counter()
for ip in iter_ips(sys.argv[1]):
    pv += 1
    uv[ip] += 1
print("PV:", pv)
print("UV:", len(uv))
