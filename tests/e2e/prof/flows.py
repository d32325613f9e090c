"""Generators, coroutines and threads under the profilers (line numbers are asserted)."""
import asyncio
import threading
import time


def numbers(n):
    for i in range(n):
        yield i


def slow_consumer():
    total = 0
    for x in numbers(5):
        time.sleep(0.02)
        total += x
    return total


async def waiter():
    await asyncio.sleep(0.05)
    return 1


async def gather():
    return sum(await asyncio.gather(waiter(), waiter()))


def work(n):
    return sum(range(n))


def threaded():
    ts = [threading.Thread(target=lambda: [work(10) for _ in range(100)]) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


if __name__ == "__main__":
    assert sum(numbers(1000)) == 499500
    assert slow_consumer() == 10
    assert asyncio.run(gather()) == 2
    threaded()
