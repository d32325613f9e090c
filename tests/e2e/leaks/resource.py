"""Leak kind: unclosed resource. Every request opens a file and keeps the open file object."""
import os
import sys

import memlens

open_files = []


def handle(path):
    f = open(path, "rb")  # LEAK
    f.read(1)
    open_files.append(f)


for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 200):
    handle(os.devnull if i % 2 else __file__)
    if i % 10 == 9:
        memlens.mark("tick")
