"""Leak kind: reference cycle. Parent and child point at each other; with the gc switched off (as
some services do for latency), every pair stays in memory for ever."""
import gc
import sys

import memlens


class Node:
    def __init__(self, name):
        self.name = name
        self.children = []
        self.parent = None
        self.blob = bytes(200)


def build(i):
    parent = Node("p%d" % i)  # LEAK
    child = Node("c%d" % i)  # LEAK
    parent.children.append(child)
    child.parent = parent


gc.disable()
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 2000):
    build(i)
    if i % 100 == 99:
        memlens.mark("tick")
