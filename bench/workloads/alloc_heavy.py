"""Allocation-heavy loop of small dicts, lists and strings (~1.5 s under plain python3.11)."""


def work(n):
    out = 0
    for i in range(n):
        d = {"a": i, "b": str(i), "c": [i, i + 1, i + 2]}
        s = "-".join([d["b"], "x", str(i * 2)])
        row = [s, d, (i, i)]
        out += len(row) + len(s)
    return out


print(work(2_500_000))
