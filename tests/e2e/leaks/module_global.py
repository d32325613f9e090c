"""Leak kind: module global. Every request is appended to a module-level list that nothing empties."""
import sys

import memlens


class Record:
    def __init__(self, i):
        self.i = i
        self.body = "r" * 200


history = []


def handle(i):
    history.append(Record(i))  # LEAK


def main(n):
    for i in range(n):
        handle(i)
        if i % 100 == 99:
            memlens.mark("tick")


main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
