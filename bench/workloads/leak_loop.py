"""A loop with four classic leaks (1M iterations): a module-global list, an unbounded cache, a
mutable default argument, and reference cycles that only the cyclic GC frees."""
history = []
cache = {}


def remember(item, seen=[]):
    seen.append(item)
    return len(seen)


class Node:
    def __init__(self):
        self.other = None


def step(i):
    if i % 10 == 0:
        history.append((i, str(i)))
    cache[i % 200_000] = str(i) * 2
    if i % 7 == 0:
        remember(i)
    a, b = Node(), Node()
    a.other, b.other = b, a


for i in range(1_000_000):
    step(i)
print(len(history), len(cache))
