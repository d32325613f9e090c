"""No leak: memory comes and goes. A bounded lru_cache, a bounded deque, temporary lists, and reference
cycles that the (enabled) gc collects. `memlens leaks` must report nothing here."""
import collections
import functools
import sys

import memlens


class Record:
    def __init__(self, i):
        self.i = i
        self.text = "r" * 100


class Node:
    def __init__(self):
        self.peer = None


@functools.lru_cache(maxsize=64)
def lookup(key):
    return Record(key)


recent = collections.deque(maxlen=50)


def handle(i):
    batch = [Record(j) for j in range(30)]  # temporary
    recent.append(Record(i))  # bounded
    lookup(i % 200)  # bounded cache, with churn
    a, b = Node(), Node()
    a.peer, b.peer = b, a  # a cycle: the gc frees it
    return len(batch)


for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3000):
    handle(i)
    if i % 100 == 99:
        memlens.mark("tick")
