"""A small program with the memory habits memlens is built to expose.

It builds 200,000 user rows as plain objects (the lessons' `User` rows: a __dict__ each), keeps the
scores of every run in a module-level history (grows forever), memoises formatting in an unbounded
dict cache, and collects tags through a mutable default argument. Peak memory is the rows; what is
still alive at exit is the history, the cache and the default list.

    memlens run examples/report_builder.py && memlens summary memlens-report_builder.*.mlens
"""
import sys


class User:
    def __init__(self, name, score):
        self.name = name
        self.score = score


history = []          # module global: every batch's scores are kept
_format_cache = {}    # unbounded memo


def load_users(n):
    return [User(name=f"user{i}", score=i % 997) for i in range(n)]


def fmt(score):
    if score not in _format_cache:
        _format_cache[score] = f"{score:>6} points".encode() * 8
    return _format_cache[score]


def tag(user, tags=[]):  # mutable default argument: one list shared by every call
    tags.append(user.name.upper())
    return tags


def build_report(n):
    users = load_users(n)
    total = sum(u.score for u in users)
    lines = [fmt(u.score) for u in users[:5000]]
    for u in users[:20000]:
        tag(u)
    history.append([u.score for u in users])
    return total, len(lines)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    total, nlines = build_report(n)
    print(f"report: {n} users, total score {total}, {nlines} lines")


if __name__ == "__main__":
    main()
