# lesson_tolerant.py — lesson.py with one change, decode(errors='replace'), so it survives non-UTF-8
# bytes and can be timed to the end. Everything else (regex, mmap, Counter, IPv4 only) is the lesson's.
import mmap, re, collections, sys
ip_pattern = re.compile(r'(\d+\.\d+\.\d+\.\d+)')
def iter_ips(path):
    with open(path, 'rb') as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for line in iter(mm.readline, b''):
            m = ip_pattern.search(line.decode(errors='replace'))
            if m:
                yield m.group(1)
pv = 0
uv = collections.Counter()
for ip in iter_ips(sys.argv[1]):
    pv += 1
    uv[ip] += 1
print("PV:", pv)
print("UV:", len(uv))
