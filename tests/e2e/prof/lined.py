"""Functions marked @profile for the line engine (line numbers are asserted)."""
import threading


@profile  # noqa: F821 (the runner provides it, like kernprof and memory_profiler)
def memory_hungry():
    a = [1] * 1000000
    b = [2] * 2000000
    del b
    return a


@profile  # noqa: F821
def loop():
    chunks = []
    for i in range(10):
        chunks.append(bytearray(1024 * 1024))
    return chunks


@profile  # noqa: F821
def gen(n):
    for i in range(n):
        yield i * 2


@profile  # noqa: F821
def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)


@profile  # noqa: F821
def fails(i):
    x = [0] * 1000
    if i % 2:
        raise KeyError(i)
    return x


def plain(n):
    total = 0
    for i in range(n):
        total += i
    return total


class Box:
    def fill(self, n):
        self.items = [None] * n
        return len(self.items)


if __name__ == "__main__":
    memory_hungry()
    kept = loop()
    assert sum(gen(100)) == 9900
    assert fact(20) > 0
    for i in range(10):
        try:
            fails(i)
        except KeyError:
            pass
    ts = [threading.Thread(target=lambda: [loop() for _ in range(2)]) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    plain(1000)
    Box().fill(100000)
