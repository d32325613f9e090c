"""Leak kind: mutable default argument. `seen=[]` is created once, when the function is defined, and
every call appends to that same list."""
import sys

import memlens


class Item:
    def __init__(self, i):
        self.i = i
        self.text = "item %d " % i * 8


def remember(item, seen=[]):
    seen.append(item)
    return len(seen)


for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3000):
    remember(Item(i))  # LEAK
    if i % 100 == 99:
        memlens.mark("tick")
