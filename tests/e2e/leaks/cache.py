"""Leak kind: unbounded cache. Results are memoised in a module-level dict keyed by request id: every
new id adds an entry and none is ever evicted."""
import sys

import memlens


class Result:
    def __init__(self, key):
        self.key = key
        self.rows = [key] * 20


_results = {}


def compute(key):
    return Result(key)  # LEAK


def lookup(key):
    if key not in _results:
        _results[key] = compute(key)
    return _results[key]


for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3000):
    lookup(i)
    if i % 100 == 99:
        memlens.mark("tick")
