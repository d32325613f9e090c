"""Leak kind: held from C. A C extension forgets a Py_DECREF: here ctypes does the missing INCREF, so
every Blob keeps one reference that no Python object explains."""
import ctypes
import sys

import memlens

incref = ctypes.pythonapi.Py_IncRef
incref.argtypes = [ctypes.py_object]


class Blob:
    def __init__(self, i):
        self.i = i
        self.data = "b" * 200


def process(i):
    blob = Blob(i)  # LEAK
    incref(blob)  # the "extension" keeps a reference it never releases
    return blob.i


for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3000):
    process(i)
    if i % 100 == 99:
        memlens.mark("tick")
