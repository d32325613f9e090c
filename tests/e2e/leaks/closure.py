"""Leak kind: closure cell. The handler closes over `events`, and the handler lives for ever."""
import sys

import memlens


class Event:
    def __init__(self, i):
        self.i = i
        self.payload = b"e" * 150


def make_handler():
    events = []

    def handler(event):
        events.append(event)

    return handler


on_event = make_handler()

for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3000):
    on_event(Event(i))  # LEAK
    if i % 100 == 99:
        memlens.mark("tick")
