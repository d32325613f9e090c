"""Leak kind: class attribute. Every Session registers itself in a list that belongs to the class."""
import sys

import memlens


class Session:
    registry = []

    def __init__(self, i):
        self.i = i
        self.token = "t%06d" % i * 20
        Session.registry.append(self)


for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3000):
    Session(i)  # LEAK
    if i % 100 == 99:
        memlens.mark("tick")
