"""Known call counts and bytes for the function profiler's tests (line numbers are asserted)."""
import sys


def leaf(n):
    return n + 1


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def keeps_10mib():
    return bytearray(10 * 1024 * 1024)


def drops_10mib():
    block = bytearray(10 * 1024 * 1024)
    del block
    return None


def raiser(i):
    raise ValueError(i)


def catcher():
    caught = 0
    for i in range(50):
        try:
            raiser(i)
        except ValueError:
            caught += 1
    return caught


def main():
    for i in range(1000):
        leaf(i)
    fib(15)
    kept = keeps_10mib()
    drops_10mib()
    assert catcher() == 50
    return kept


if __name__ == "__main__":
    main()
    print("calls done", sys.argv[1:])
