"""Leak kind: a running frame's local. A worker thread keeps every job it has seen in a local list,
and the worker never returns (it waits for more work when the program ends)."""
import queue
import sys
import threading

import memlens


class Job:
    def __init__(self, i):
        self.i = i
        self.data = "j" * 200


def worker(inbox, done):
    seen = []
    while True:
        n = inbox.get()
        for k in range(n):
            seen.append(Job(k))  # LEAK
        done.put(len(seen))


inbox, done = queue.Queue(), queue.Queue()
threading.Thread(target=worker, args=(inbox, done), daemon=True).start()
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 30):
    inbox.put(100)
    done.get()
    memlens.mark("tick")
